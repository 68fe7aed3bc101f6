"""The patient's own rating before each review: what counts as a review, when the question is
open, the page behind the review's private link, and the one e-mail that invites it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings.models import Booking
from patients.models import SelfRating
from tests.factories import BookingFactory, accepted_plan, plan_session, proposed_plan
from tests.mail import words_of
from treatments import selectors
from treatments.models import RatingInvitation
from treatments.ratings import (
    RatingError,
    is_review,
    rating_requests_due,
    rating_submit,
    send_rating_request,
)
from treatments.services import course_book, session_move

pytestmark = pytest.mark.django_db
REVIEW_3_MONTHS = 4  # the PRP course's fourth step


def review_in(treatments_setup, hours):
    """The PRP course's 3-month review, booked ``hours`` from now."""
    plan = proposed_plan(treatments_setup["consultation"])
    return plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=-hours)


def test_a_review_is_a_plans_review_step_or_any_booking_of_the_review_type(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    review = plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=-48)
    session = plan_session(plan, order=1, hours_ago=-96)
    by_phone = BookingFactory(
        patient=plan.patient,
        practitioner=plan.practitioner,
        location=plan.location,
        consultation_type=review.consultation_type,
        starts_at=timezone.now() + timedelta(days=9),
    )
    assert is_review(review) and is_review(by_phone)
    assert not is_review(session)
    assert not is_review(treatments_setup["consultation"])


def test_the_rating_opens_a_week_before_and_closes_when_the_review_ends(treatments_setup):
    review = review_in(treatments_setup, hours=24 * 9)
    now = timezone.now()
    with pytest.raises(RatingError, match="week before a review"):
        rating_submit(booking=review, hair_now=6, satisfaction=3, now=now)
    rating_submit(booking=review, hair_now=6, satisfaction=3, now=now + timedelta(days=3))
    # Answering again before the visit corrects the answer: one rating per review.
    rating_submit(booking=review, hair_now=7, satisfaction=4, now=review.starts_at)
    rating = SelfRating.objects.get()
    assert (rating.hair_now, rating.satisfaction) == (7, 4)
    with pytest.raises(RatingError, match="until the review ends"):
        rating_submit(booking=review, hair_now=8, satisfaction=4, now=review.ends_at)
    assert SelfRating.objects.get().hair_now == 7


@pytest.mark.parametrize(
    ("hair_now", "satisfaction", "message"),
    [(11, 3, "from 0 to 10"), (-1, 3, "from 0 to 10"), (5, 0, "how satisfied"), (5, 6, "how")],
)
def test_a_rating_outside_its_scale_is_refused(treatments_setup, hair_now, satisfaction, message):
    review = review_in(treatments_setup, hours=30)
    with pytest.raises(RatingError, match=message):
        rating_submit(
            booking=review, hair_now=hair_now, satisfaction=satisfaction, now=timezone.now()
        )
    assert not SelfRating.objects.exists()


def test_a_visit_that_is_no_review_takes_no_rating(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    session = plan_session(plan, order=1, hours_ago=-30)
    with pytest.raises(RatingError, match="not a review"):
        rating_submit(booking=session, hair_now=5, satisfaction=3, now=timezone.now())


# The booking by its link, whether it is a review, the rating already given (the rate limit's
# counter is in the cache).
RATING_PAGE_QUERIES = 3


def test_the_patient_rates_their_hair_through_the_reviews_link(
    client, treatments_setup, django_assert_num_queries
):
    review = review_in(treatments_setup, hours=50)
    url = reverse("treatments:rating", args=[review.token])
    with django_assert_num_queries(RATING_PAGE_QUERIES):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "How would you rate your hair now?" in html
    assert html.count('type="radio" name="hair_now"') == 11
    response = client.post(url, {"hair_now": "6", "satisfaction": "4"})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:manage", args=[review.token])
    rating = SelfRating.objects.get(booking=review)
    assert (rating.hair_now, rating.satisfaction) == (6, 4)
    # Coming back shows the answer given, to change.
    again = client.get(url)
    chosen = [w.data["value"] for w in again.context["form"]["hair_now"] if "checked" in w.tag()]
    assert chosen == [6] and "Change my answer" in again.content.decode()


@pytest.mark.parametrize(
    ("form", "message", "kept"),
    [
        ({"satisfaction": "4"}, "Choose how you rate your hair now, from 0 to 10.", "satisfaction"),
        ({"hair_now": "42", "satisfaction": "4"}, "from 0 to 10", "satisfaction"),
        ({"hair_now": "7"}, "Choose how satisfied you are with your hair.", "hair_now"),
        ({"hair_now": "7", "satisfaction": "<b>9</b>"}, "how satisfied", "hair_now"),
    ],
)
def test_bad_input_comes_back_with_a_message_and_the_other_answer_kept(
    client, treatments_setup, form, message, kept
):
    review = review_in(treatments_setup, hours=50)
    response = client.post(reverse("treatments:rating", args=[review.token]), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "<b>9</b>" not in html
    chosen = response.context["form"][kept]
    assert [w for w in chosen if "checked" in w.tag()]  # the answer given is still chosen
    assert not SelfRating.objects.exists()


def test_the_rating_page_opens_for_reviews_only_and_says_when_it_is_closed(
    client, treatments_setup
):
    plan = proposed_plan(treatments_setup["consultation"])
    session = plan_session(plan, order=1, hours_ago=-30)
    assert client.get(reverse("treatments:rating", args=[session.token])).status_code == 404
    later = plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=-24 * 20)
    page = client.get(reverse("treatments:rating", args=[later.token])).content.decode()
    assert "open a week before your review" in page and "<form" not in page.split("<main")[-1]
    response = client.post(
        reverse("treatments:rating", args=[later.token]), {"hair_now": "5", "satisfaction": "3"}
    )
    assert response.status_code == 400 and "week before a review" in response.content.decode()
    assert not SelfRating.objects.exists()


def test_booking_a_course_asks_for_the_rating_three_days_before_each_review_once(
    treatments_setup, django_capture_on_commit_callbacks
):
    plan = accepted_plan(treatments_setup["consultation"])
    proposal = selectors.course_proposal(plan)
    choices = {s.order: (o.start, who) for s, o, who in proposal.choices}
    with django_capture_on_commit_callbacks(execute=True):
        course_book(plan=plan, choices=choices)
    queued = DBTaskResult.objects.filter(task_path__endswith="send_rating_request")
    reviews = list(
        Booking.objects.filter(plan_step__plan=plan, plan_step__kind="review").order_by("starts_at")
    )
    assert queued.count() == len(reviews) == 2
    assert {r.starts_at - timedelta(days=3) for r in reviews} == {q.run_after for q in queued}
    first = reviews[0]
    assert send_rating_request.call(first.pk, first.starts_at.isoformat()) == "sent"
    (message,) = mail.outbox
    assert "PRP" not in words_of(message) and "treatment" not in message.subject
    assert f"/my-booking/{first.token}/rating/" in message.body
    local = first.starts_at.astimezone(first.location.zone)
    assert (
        f"Your next visit is on {local:%A} {local.day} {local:%B} at {local:%H:%M}." in message.body
    )
    # At most once per review, even if it is asked again or moved afterwards.
    assert send_rating_request.call(first.pk, first.starts_at.isoformat()) == (
        "skipped: already invited"
    )
    moved = (first.starts_at + timedelta(days=1)).isoformat()
    assert send_rating_request.call(first.pk, moved) == "skipped: moved since"
    assert len(mail.outbox) == 1 and RatingInvitation.objects.count() == 1


def test_a_moved_review_is_asked_about_at_its_new_time_and_not_once_answered(
    treatments_setup, django_capture_on_commit_callbacks
):
    plan = accepted_plan(treatments_setup["consultation"])
    proposal = selectors.course_proposal(plan)
    choices = {s.order: (o.start, who) for s, o, who in proposal.choices}
    with django_capture_on_commit_callbacks(execute=True):
        course_book(plan=plan, choices=choices)
    review = plan.steps.select_related("booking").get(order=5)
    later = review.booking.starts_at + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        session_move(plan=plan, step_order=5, starts_at=later, by_staff=True, shift_following=True)
    queued = DBTaskResult.objects.filter(
        task_path__endswith="send_rating_request", args_kwargs__args__0=review.booking_id
    )
    assert queued.count() == 2 and later - timedelta(days=3) in {q.run_after for q in queued}
    assert send_rating_request.call(review.booking_id, review.booking.starts_at.isoformat()) == (
        "skipped: moved since"
    )
    SelfRating.objects.create(
        booking_id=review.booking_id, hair_now=5, satisfaction=3, submitted_at=timezone.now()
    )
    assert send_rating_request.call(review.booking_id, later.isoformat()) == (
        "skipped: already rated"
    )
    assert mail.outbox == []


def test_the_daily_run_asks_about_reviews_booked_by_phone_once(
    treatments_setup, django_capture_on_commit_callbacks
):
    plan = proposed_plan(treatments_setup["consultation"])
    review_type = plan.steps.get(order=REVIEW_3_MONTHS).consultation_type
    by_phone = BookingFactory(
        patient=plan.patient,
        practitioner=plan.practitioner,
        location=plan.location,
        consultation_type=review_type,
        starts_at=timezone.now() + timedelta(days=2),
    )
    BookingFactory(  # a review further ahead: its turn comes later
        patient=plan.patient,
        practitioner=plan.practitioner,
        location=plan.location,
        consultation_type=review_type,
        starts_at=timezone.now() + timedelta(days=12),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert rating_requests_due(now=timezone.now()) == 1
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="send_rating_request")
    assert queued.task.run_after is None  # inside the three days: at once
    assert send_rating_request.call(by_phone.pk, by_phone.starts_at.isoformat()) == "sent"
    assert rating_requests_due(now=timezone.now()) == 0
    assert len(mail.outbox) == 1


def test_the_reviews_booking_page_offers_the_rating_while_it_is_open(client, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    review = plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=-50)
    later = plan_session(plan, order=REVIEW_3_MONTHS + 1, hours_ago=-24 * 30)
    session = plan_session(plan, order=1, hours_ago=-30)
    rating = reverse("treatments:rating", args=[review.token])
    assert rating in client.get(reverse("bookings:manage", args=[review.token])).content.decode()
    for other in (later, session):  # not open yet; not a review
        page = client.get(reverse("bookings:manage", args=[other.token])).content.decode()
        assert "/rating/" not in page


def test_once_rated_the_reviews_pages_say_the_answer_was_received_instead_of_asking_again(
    client, treatments_setup
):
    review = review_in(treatments_setup, hours=50)
    manage = reverse("bookings:manage", args=[review.token])
    rating = reverse("treatments:rating", args=[review.token])
    client.post(rating, {"hair_now": "7", "satisfaction": "4"})
    page = client.get(manage).content.decode()
    assert "How is your hair now?" not in page and "Two quick questions" not in page
    assert "We have your answer for your review: 7 out of 10." in page
    assert f'href="{rating}"' in page and "Change my answer" in page  # still open to correct
    # The e-mail's link, opened again, says the same before offering the change.
    again = client.get(rating).content.decode()
    assert "we have your answer, 7 out of 10 (happy)" in again
