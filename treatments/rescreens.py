"""The health check before each procedure: the patient answers through their plan's link in the
days before; a "yes" holds the session as "needs review" until the practitioner clears it (with
a note) or moves it to a later day."""

from datetime import datetime

from django.db import transaction

from bookings.models import Booking
from treatments.models import RESCREEN_OPENS_BEFORE as OPENS_BEFORE
from treatments.models import RESCREEN_QUESTIONS, PlanStep, Rescreen, StepKind
from treatments.services import PlanError

PROCEDURES = (StepKind.PROCEDURE, StepKind.TOP_UP)
CLEAR_NOTE_LIMIT = 2000


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
        rescreen.cleared_note = ""
        rescreen.save()
    return rescreen


def rescreen_clear(*, rescreen: Rescreen, user, note: str, now: datetime) -> Rescreen:
    """The practitioner has reviewed the answers and says what they checked: the session goes
    ahead. The note is kept with the health check, and in its history."""
    note = note.strip()
    if not note:
        raise PlanError("Say what you checked: the note is kept with the health check.")
    if len(note) > CLEAR_NOTE_LIMIT:
        raise PlanError(f"Keep the note under {CLEAR_NOTE_LIMIT} characters.")
    with transaction.atomic():
        locked = Rescreen.objects.select_for_update().select_related("booking").get(pk=rescreen.pk)
        if not locked.needs_review:
            raise PlanError("This health check needs no review.")
        locked.cleared_at = now
        locked.cleared_by = user
        locked.cleared_note = note
        locked.save()
    return locked
