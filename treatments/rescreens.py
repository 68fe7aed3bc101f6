"""The health check before each procedure: the patient answers through their plan's link in the
days before; a "yes" holds the session as "needs review" until the practitioner clears it."""

from datetime import datetime, timedelta

from django.db import transaction

from bookings.models import Booking
from treatments.models import RESCREEN_QUESTIONS, PlanStep, Rescreen, StepKind
from treatments.services import PlanError

# The check opens this long before the session (the reminder goes two days before).
OPENS_BEFORE = timedelta(days=3)
PROCEDURES = (StepKind.PROCEDURE, StepKind.TOP_UP)


def rescreen_open(step: PlanStep, now: datetime) -> bool:
    """Tell whether the patient may answer the check for this session now."""
    booking = step.booking
    return (
        step.kind in PROCEDURES
        and booking is not None
        and booking.status == Booking.Status.CONFIRMED
        and booking.starts_at - OPENS_BEFORE <= now < booking.starts_at
    )


def rescreen_submit(*, step: PlanStep, answers: dict, details: str, now: datetime) -> Rescreen:
    """Save the patient's answers (again, until the session starts); a new answer needs a new
    review."""
    if not rescreen_open(step, now):
        raise PlanError("The health check opens three days before a procedure, until it starts.")
    clean = {key: answers.get(key) for key, _ in RESCREEN_QUESTIONS}
    if any(value not in ("yes", "no") for value in clean.values()):
        raise PlanError("Please answer every question.")
    with transaction.atomic():
        rescreen, _ = Rescreen.objects.select_for_update().get_or_create(
            booking=step.booking, defaults={"submitted_at": now}
        )
        rescreen.answers = clean
        rescreen.details = details.strip()[:2000]
        rescreen.submitted_at = now
        rescreen.cleared_at = None
        rescreen.cleared_by = None
        rescreen.save()
    return rescreen


def rescreen_clear(*, rescreen: Rescreen, user, now: datetime) -> Rescreen:
    """The practitioner has reviewed the answers: the session goes ahead."""
    with transaction.atomic():
        locked = Rescreen.objects.select_for_update().get(pk=rescreen.pk)
        if not locked.needs_review:
            raise PlanError("This health check needs no review.")
        locked.cleared_at = now
        locked.cleared_by = user
        locked.save()
    return locked
