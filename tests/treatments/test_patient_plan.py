"""The patient's plan through the private link: read, sign, decline, ask to talk, book the
course in one go; hostile text shown escaped; query counts fixed."""

import pytest
from django.core import mail
from django.urls import reverse

from bookings.models import Booking
from tests.factories import (
    BookingFactory,
    accepted_plan,
    plan_session,
    proposed_plan,
    run_worker,
    upcoming_booking,
)
from treatments.models import Plan, PlanConsent
from treatments.services import plan_transition

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script>'


def plan_url(plan, name="plan"):
    return reverse(f"treatments:{name}", args=[plan.consultation.token])


def test_the_plan_page_shows_each_visit_the_total_the_expectations_and_escapes_the_note(
    client, treatments_setup
):
    plan = proposed_plan(treatments_setup["consultation"], note=f"Hello {HOSTILE}")
    page = client.get(plan_url(plan)).content.decode()
    assert "PRP session 1" in page and "Review at 6 months" in page
    assert "Total: £1,800.00" in page
    assert "Results can fairly be judged between" in page
    assert "Not suitable with some blood and platelet disorders" in page  # the risks
    assert "Eat a normal meal" in page  # preparation
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "Version 2026-12" in page


def test_the_link_opens_the_running_plan_not_a_later_one_stopped(client, treatments_setup):
    running = accepted_plan(treatments_setup["consultation"])
    later = proposed_plan(treatments_setup["consultation"], note="A second idea")
    plan_transition(plan=later, to="stopped", reason="Not needed after all.")
    page = client.get(plan_url(running)).content.decode()
    assert "A second idea" not in page and "Not needed after all" not in page
    assert running.get_status_display() in page
    # An open plan proposed later is the one to act on.
    newest = proposed_plan(treatments_setup["consultation"], note="The new proposal")
    assert "The new proposal" in client.get(plan_url(newest)).content.decode()


def test_an_unknown_link_opens_no_plan(client, treatments_setup):
    proposed_plan(treatments_setup["consultation"])
    assert client.get(reverse("treatments:plan", args=["not-a-token"])).status_code == 404
    # Another consultation's link (a real one, without a plan) opens no plan either.
    other = BookingFactory()
    assert client.get(reverse("treatments:plan", args=[other.token])).status_code == 404


def test_signing_with_another_name_is_refused_in_the_page_with_the_typing_kept(
    client, treatments_setup
):
    plan = proposed_plan(treatments_setup["consultation"])
    response = client.post(plan_url(plan, "accept"), {"full_name": HOSTILE})
    assert response.status_code == 400
    page = response.content.decode()
    assert "does not match the name we hold" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    plan.refresh_from_db()
    assert plan.status == "proposed" and not PlanConsent.objects.exists()


def test_signing_with_their_own_name_accepts_and_leads_to_booking_the_course(
    client, treatments_setup
):
    plan = proposed_plan(treatments_setup["consultation"])
    typed = plan.patient.full_name.lower()
    response = client.post(plan_url(plan, "accept"), {"full_name": typed})
    assert response.status_code == 302 and response.url == plan_url(plan, "book_course")
    consent = PlanConsent.objects.get(plan=plan)
    assert (consent.signed_name, consent.ip_address) == (typed, "127.0.0.1")
    # Signing again changes nothing.
    again = client.post(plan_url(plan, "accept"), {"full_name": typed}, follow=True)
    assert "already accepted" in again.content.decode()
    assert PlanConsent.objects.count() == 1


def test_declining_needs_a_reason_then_keeps_it(client, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    refused = client.post(plan_url(plan, "decline"), {"reason": " "})
    assert refused.status_code == 400
    done = client.post(plan_url(plan, "decline"), {"reason": f"Too dear {HOSTILE}"})
    assert done.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.reason) == ("declined", f"Too dear {HOSTILE}")
    page = client.get(plan_url(plan)).content.decode()
    assert "declined" in page and HOSTILE not in page


@pytest.mark.django_db(transaction=True)
def test_asking_to_talk_tells_the_clinic_by_e_mail(client, treatments_setup, settings):
    plan = proposed_plan(treatments_setup["consultation"])
    run_worker()
    mail.outbox.clear()
    response = client.post(plan_url(plan, "talk"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.talk_requested_at is not None and plan.status == "proposed"
    run_worker()
    (message,) = mail.outbox
    assert message.to == [settings.CLINIC_INBOX_EMAIL]
    assert plan.patient.full_name in message.subject
    assert reverse("staff:plan", args=[plan.pk]) in message.body
    assert "will call you" in client.get(plan_url(plan)).content.decode()


def course_form(page):
    """The hidden times of the course form, as the browser would send them."""
    import re

    return dict(re.findall(r'name="(step-\d+)" value="([^"]+)"', page))


def test_book_my_course_proposes_every_visit_and_books_them_in_one_go(client, treatments_setup):
    plan = accepted_plan(treatments_setup["consultation"])
    page = client.get(plan_url(plan, "book_course")).content.decode()
    form = course_form(page)
    assert len(form) == 6 and "Book 6 visits" in page
    response = client.post(plan_url(plan, "book_course"), form)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "in_progress"
    assert Booking.objects.filter(patient=plan.patient, status="confirmed").count() == 6
    # A second submit of the same form books nothing more and says why.
    again = client.post(plan_url(plan, "book_course"), form)
    assert again.status_code == 409
    assert "already booked" in again.content.decode()
    assert Booking.objects.filter(patient=plan.patient, status="confirmed").count() == 6


def test_a_mangled_course_form_books_nothing(client, treatments_setup):
    plan = accepted_plan(treatments_setup["consultation"])
    response = client.post(plan_url(plan, "book_course"), {"step-1": "yesterday|x"})
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert not Booking.objects.filter(patient=plan.patient, status="confirmed").exists()


def test_the_course_page_of_a_proposed_plan_leads_back_to_the_plan(client, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    response = client.get(plan_url(plan, "book_course"))
    assert response.status_code == 302 and response.url == plan_url(plan)


@pytest.mark.parametrize(
    "protocols", [("PRP course",), ("PRP course", "Medication with check-ins")]
)
def test_the_plan_page_costs_the_same_queries_whatever_the_plan_holds(
    client, treatments_setup, django_assert_num_queries, protocols
):
    plan = proposed_plan(treatments_setup["consultation"], *protocols)
    client.get(plan_url(plan))  # the session and rate-limit counters settle
    with django_assert_num_queries(6):
        assert client.get(plan_url(plan)).status_code == 200
    assert Plan.objects.count() == 1


@pytest.mark.parametrize(
    "protocols", [("PRP course",), ("PRP course", "Medication with check-ins")]
)
def test_the_course_page_costs_the_same_queries_whatever_the_plan_holds(
    client, treatments_setup, django_assert_num_queries, protocols
):
    # Both plans book two consultation types (sessions and reviews): one slot-engine call each,
    # each reading the rooms and equipment a procedure holds, and the days the location is
    # closed, too.
    plan = accepted_plan(treatments_setup["consultation"], *protocols)
    client.get(plan_url(plan, "book_course"))
    with django_assert_num_queries(19):
        assert client.get(plan_url(plan, "book_course")).status_code == 200


def test_a_treatment_session_does_not_ask_for_the_hair_loss_questions(client, treatments_setup):
    from bookings.notifications import send_patient_email

    plan = proposed_plan(treatments_setup["consultation"])
    session = plan_session(plan, order=1, hours_ago=-72)  # in three days
    page = client.get(reverse("bookings:manage", args=[session.token])).content.decode()
    assert "Tell us about your hair loss" not in page and "Start the questions" not in page
    # The questions' own address leads back to the booking.
    intake = client.get(reverse("bookings:intake", args=[session.token]))
    assert intake.status_code == 302
    assert intake["Location"] == reverse("bookings:manage", args=[session.token])
    send_patient_email(session, "confirmed")
    text = mail.outbox[-1].body
    html = mail.outbox[-1].alternatives[0][0]
    assert "questions" not in text and "questions" not in html
    # A consultation still asks.
    consultation = upcoming_booking(
        clinic=(treatments_setup["location"], None, treatments_setup["type"])
    )
    page = client.get(reverse("bookings:manage", args=[consultation.token])).content.decode()
    assert "Tell us about your hair loss" in page and "Start the questions" in page
    send_patient_email(consultation, "confirmed")
    assert "complete your questions before you come" in mail.outbox[-1].body


def test_a_plan_without_prices_is_priced_on_request_not_free(client, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    plan.steps.update(price=None)
    page = client.get(plan_url(plan)).content.decode()
    assert "Total: priced on request" in page and "no charge" not in page
    # With one visit priced, the rest are counted beside the total.
    first = plan.steps.get(order=1)
    first.price = 600
    first.save()
    page = client.get(plan_url(plan)).content.decode()
    unpriced = plan.steps.count() - 1
    assert "Total: £600.00" in page and f"(plus {unpriced} visits priced on request)" in page
