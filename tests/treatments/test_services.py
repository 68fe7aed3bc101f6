"""Plan services: proposing, status moves with reasons, the signed consent, and booking a
course all or nothing, inside every window."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_create
from patients.models import Assessment
from tests.factories import (
    BookingFactory,
    PatientFactory,
    accepted_plan,
    proposed_plan,
    protocol_steps,
    run_worker,
)
from tests.mail import words_of
from treatments import selectors
from treatments.models import Plan, PlanConsent, PlanStep
from treatments.seed import CONSENT_VERSION
from treatments.services import (
    PlanError,
    course_book,
    plan_accept,
    plan_propose,
    plan_transition,
)
from treatments.windows import broken

pytestmark = pytest.mark.django_db
MEDICATION = "Medication with check-ins"


@pytest.mark.django_db(transaction=True)
def test_plan_propose_copies_the_steps_with_windows_and_prices_and_tells_the_patient(
    treatments_setup,
):
    plan = proposed_plan(
        treatments_setup["consultation"], "PRP course", "Medication with check-ins"
    )
    steps = list(plan.steps.all())
    assert [s.name for s in steps][:3] == ["PRP session 1", "PRP session 2", "PRP session 3"]
    assert len(steps) == 8
    first = steps[0]
    assert (first.earliest, first.latest) == (plan.starts_on, plan.starts_on + timedelta(days=28))
    assert first.price == 450 and first.currency == "GBP"
    check_in = next(s for s in steps if s.name == "Check-in at 3 months")
    assert check_in.earliest == plan.starts_on + timedelta(days=85)  # its own chain
    quote = selectors.quote(steps)
    assert quote.totals == {"GBP": 4 * 450} and quote.unpriced == []
    assert plan.history.count() == 1 and first.history.count() == 1
    run_worker()
    (message,) = mail.outbox
    assert message.to == [plan.patient.email]
    assert "PRP" not in words_of(message)  # discreet
    assert f"/my-plan/{plan.consultation.token}/" in message.body


def test_plan_propose_refuses_a_consultation_not_completed_or_not_assessed(treatments_setup):
    consultation = treatments_setup["consultation"]
    Booking.objects.filter(pk=consultation.pk).update(status=Booking.Status.CONFIRMED)
    with pytest.raises(PlanError, match="marked completed"):
        proposed_plan(consultation)
    unassessed = BookingFactory(
        practitioner=consultation.practitioner,
        location=consultation.location,
        starts_at=consultation.starts_at - timedelta(days=30),
        status=Booking.Status.COMPLETED,
    )
    with pytest.raises(PlanError, match="Record the assessment"):
        proposed_plan(unassessed)
    # A draft that leaves parts for later is not yet something to plan from.
    Booking.objects.filter(pk=consultation.pk).update(status=Booking.Status.COMPLETED)
    Assessment.objects.filter(booking=consultation).update(recommendations=[], signed_off_at=None)
    with pytest.raises(PlanError, match="Complete the assessment"):
        proposed_plan(consultation)
    assert not Plan.objects.exists()


def test_plan_propose_refuses_a_step_whose_latest_day_is_before_its_earliest(treatments_setup):
    consultation = treatments_setup["consultation"]
    steps = protocol_steps("PRP course")
    steps[1] = type(steps[1])(steps[1].protocol_step, 30, 10)
    with pytest.raises(PlanError, match="latest day"):
        plan_propose(
            consultation=consultation,
            practitioner=consultation.practitioner,
            steps=steps,
            starts_on=timezone.now().date(),
        )


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["accepted", "in_progress", "completed"], True),
        (["accepted", "completed"], False),
        (["completed"], False),
        (["declined", "accepted"], False),
        (["stopped", "in_progress"], False),
    ],
)
def test_plan_transition_allows_only_the_listed_moves(treatments_setup, path, allowed):
    plan = proposed_plan(treatments_setup["consultation"])
    try:
        for status in path:
            plan = plan_transition(plan=plan, to=status, reason="Patient's choice.")
    except PlanError as error:
        assert not allowed, error.message
        assert "cannot become" in error.message
    else:
        assert allowed
        assert plan.history.count() == len(path) + 1


def test_declining_or_stopping_needs_a_reason_and_the_database_holds_it(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    for status in ("declined", "stopped"):
        with pytest.raises(PlanError, match="reason"):
            plan_transition(plan=plan, to=status, reason="   ")
    plan.refresh_from_db()
    assert plan.status == "proposed"
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(status="stopped", reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(status="paused")


def test_plan_accept_keeps_the_exact_consent_text_signer_and_address(treatments_setup):
    plan = proposed_plan(
        treatments_setup["consultation"], "PRP course", "Medication with check-ins"
    )
    name = f"  {plan.patient.first_name.upper()}   {plan.patient.last_name.lower()} "
    plan_accept(plan=plan, signed_name=name, ip_address="203.0.113.9")
    plan.refresh_from_db()
    assert plan.status == "accepted"
    consents = list(PlanConsent.objects.filter(plan=plan).select_related("consent_text"))
    assert len(consents) == 2  # one per treatment
    for consent in consents:
        assert consent.text == consent.consent_text.text
        assert consent.version == consent.consent_text.version == CONSENT_VERSION
        assert consent.ip_address == "203.0.113.9"
        assert consent.signed_name == name.strip()


def test_plan_accept_refuses_another_name_and_changes_nothing(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    with pytest.raises(PlanError, match="does not match"):
        plan_accept(plan=plan, signed_name="Somebody Else", ip_address=None)
    plan.refresh_from_db()
    assert plan.status == "proposed" and not PlanConsent.objects.exists()


def book_proposal(plan, now=None):
    proposal = selectors.course_proposal(plan, now=now)
    return proposal, {step.order: (offer.start, who) for step, offer, who in proposal.choices}


def test_course_book_books_every_session_inside_its_window_with_the_same_practitioner(
    treatments_setup,
):
    plan = accepted_plan(treatments_setup["consultation"])
    proposal, choices = book_proposal(plan)
    assert proposal.missing == []
    made = course_book(plan=plan, choices=choices)
    assert len(made) == 6
    plan.refresh_from_db()
    assert plan.status == "in_progress"
    steps = list(plan.steps.select_related("booking"))
    assert all(s.status == PlanStep.Status.BOOKED for s in steps)
    assert {s.booking.practitioner_id for s in steps} == {plan.practitioner_id}
    days = selectors.booked_days(steps, plan.location.zone)
    assert broken(plan.starts_on, selectors.rules_of(steps), days) == []


def test_course_book_is_all_or_nothing_and_names_the_session_taken_meanwhile(treatments_setup):
    plan = accepted_plan(treatments_setup["consultation"])
    _, choices = book_proposal(plan)
    # Someone else takes session 3's time with that practitioner after the proposal was shown.
    start, _ = choices[3]
    step_type = plan.steps.get(order=3).consultation_type
    booking_create(
        patient=PatientFactory(),
        consultation_type=step_type,
        location=plan.location,
        starts_at=start,
        practitioner=plan.practitioner,
        notify=False,
    )
    before = Booking.objects.count()
    with pytest.raises(PlanError, match="PRP session 3") as refused:
        course_book(plan=plan, choices=choices)
    assert "Nothing was booked" in refused.value.message
    assert Booking.objects.count() == before
    plan.refresh_from_db()
    assert plan.status == "accepted"
    assert not plan.steps.filter(booking__isnull=False).exists()
    # A new proposal works around the taken time.
    _, again = book_proposal(plan)
    assert again[3][0] != start
    assert len(course_book(plan=plan, choices=again)) == 6


def test_course_book_refuses_a_time_outside_the_window_whatever_the_browser_sent(
    treatments_setup,
):
    plan = accepted_plan(treatments_setup["consultation"])
    _, choices = book_proposal(plan)
    _, who = choices[2]
    choices[2] = (choices[1][0] + timedelta(days=7), who)  # 7 days after session 1: too soon
    with pytest.raises(PlanError, match="PRP session 2 must be between"):
        course_book(plan=plan, choices=choices)
    assert not Booking.objects.filter(patient=plan.patient, starts_at__gt=timezone.now()).exists()


def test_course_book_refuses_a_plan_not_accepted(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    with pytest.raises(PlanError, match="once the plan is accepted"):
        course_book(plan=plan, choices={1: (timezone.now() + timedelta(days=3), 1)})
