"""The patient's own rating before each review: how they rate their hair now (0 to 10) and how
satisfied they are, asked through the review's private link and by one e-mail a few days before.

A review is a plan's review or check-in step, or any booking of a consultation type that the
protocols' review steps book (a review booked by phone, outside a plan). The rating is stored
per visit in the patients layer (``patients.models.SelfRating``) and shown beside the
practitioner's figures.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from bookings.models import Booking
from clinic.text import header_safe
from clinic.times import format_local
from patients import choices
from patients.models import SelfRating
from treatments.models import ProtocolStep, RatingInvitation, StepKind

REVIEW_KINDS = (StepKind.REVIEW, StepKind.CHECK_IN)
# The question opens a week before the review and closes when the visit ends; the e-mail goes
# three days before (at once when the review is booked later than that).
OPENS_BEFORE = timedelta(days=7)
INVITE_DAYS_BEFORE = 3


class RatingError(ValueError):
    """A rating that cannot be taken; the message says why, for the patient."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def review_bookings():
    """Every booking that is a review (see the module's docstring), as one query."""
    review_types = ProtocolStep.objects.filter(kind__in=REVIEW_KINDS).values("consultation_type")
    return Booking.objects.filter(
        Q(plan_step__kind__in=REVIEW_KINDS) | Q(consultation_type__in=review_types)
    )


def is_review(booking) -> bool:
    return review_bookings().filter(pk=booking.pk).exists()


def review_rating(booking) -> tuple[bool, SelfRating | None]:
    """Tell whether the booking is a review and, if it is, the patient's rating of it so far
    (None before they answer), in one query."""
    review = review_bookings().filter(pk=booking.pk).select_related("self_rating").first()
    if review is None:
        return False, None
    return True, getattr(review, "self_rating", None)


def rating_open(booking, now: datetime) -> bool:
    """Tell whether the patient may give (or correct) their rating now: a confirmed review, from
    a week before it until it ends. Whether it is a review is the caller's to know."""
    return (
        booking.status == Booking.Status.CONFIRMED
        and booking.starts_at - OPENS_BEFORE <= now < booking.ends_at
    )


def rating_submit(*, booking, hair_now, satisfaction, now: datetime) -> SelfRating:
    """Keep the patient's rating of one review, replacing an earlier answer to it."""
    if not is_review(booking):
        raise RatingError("This visit is not a review, so there is nothing to rate.")
    if not rating_open(booking, now):
        raise RatingError(
            "Your rating can be given in the week before a review, until the review ends."
        )
    low, high = choices.HAIR_RATING_RANGE
    if not isinstance(hair_now, int) or not low <= hair_now <= high:
        raise RatingError(f"Choose how you rate your hair now, from {low} to {high}.")
    if satisfaction not in dict(choices.SATISFACTION):
        raise RatingError("Choose how satisfied you are with your hair.")
    with transaction.atomic():
        # update_or_create locks an existing row; a first answer sent twice at once is caught
        # by the one-per-visit constraint and read back as the one row.
        rating, _ = SelfRating.objects.update_or_create(
            booking=booking,
            defaults={"hair_now": hair_now, "satisfaction": satisfaction, "submitted_at": now},
        )
    return rating


def rating_link(booking) -> str:
    return settings.SITE_URL + reverse("treatments:rating", args=[booking.token])


@task()
def send_rating_request(booking_id: int, starts_at: str) -> str:
    """Invite the patient to rate their hair before a review, at most once per review.

    Nothing is sent for a review cancelled, moved since (the move queued its own request),
    started, already rated or already invited. The invitation row is written with the send,
    under the booking's lock: a failed send rolls it back so that a retry sends it.
    """
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("patient", "location")
            .filter(pk=booking_id)
            .first()
        )
        if booking is None or booking.status != Booking.Status.CONFIRMED:
            return "skipped: not a confirmed review"
        if booking.starts_at.isoformat() != starts_at:
            return "skipped: moved since"
        if booking.starts_at <= timezone.now():
            return "skipped: already started"
        if not is_review(booking):
            return "skipped: not a review"
        if SelfRating.objects.filter(booking=booking).exists():
            return "skipped: already rated"
        _, created = RatingInvitation.objects.get_or_create(
            booking=booking, defaults={"sent_at": timezone.now()}
        )
        if not created:
            return "skipped: already invited"
        when = format_local(booking.starts_at, booking.location.zone, r"l j F \a\t H:i")
        context = {
            "booking": booking,
            "link": rating_link(booking),
            "clinic": settings.CLINIC,
            "when": when,
        }
        EmailMultiAlternatives(
            subject=header_safe(f"Before your visit to {settings.CLINIC['name']}: two questions"),
            body=render_to_string("treatments/email/rating.txt", context),
            to=[booking.patient.email],
        ).send()
    return "sent"


def rating_request_on_commit(booking, *, now: datetime) -> None:
    """Queue the rating request for three days before a review (at once if that has passed)."""
    send_at = booking.starts_at - timedelta(days=INVITE_DAYS_BEFORE)
    booking_id, starts_at = booking.pk, booking.starts_at.isoformat()
    if send_at <= now:
        send_at = None
    transaction.on_commit(
        lambda: send_rating_request.using(run_after=send_at).enqueue(booking_id, starts_at)
    )


def rating_requests_due(*, now: datetime) -> int:
    """Queue the request for every review in the next three days that has none yet, however
    it was booked (a review booked by phone has no plan to queue it). Run daily with the plan
    reminders; the request itself makes sure it goes at most once. Return how many were queued."""
    due = list(
        review_bookings()
        .filter(
            status=Booking.Status.CONFIRMED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=INVITE_DAYS_BEFORE),
            rating_invitation__isnull=True,
            self_rating__isnull=True,
        )
        .distinct()
    )
    with transaction.atomic():
        for booking in due:
            rating_request_on_commit(booking, now=now)
    return len(due)
