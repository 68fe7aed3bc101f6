"""Progress across visits: the practitioner's measures and the clinic's standard photos.

Both are recorded at a visit (a consultation, review or procedure), on the day or afterwards,
never for a visit that was cancelled or missed. Photos follow the same file rules as the
patient's own uploads (``patients.photo_files``): written before the row commits, an old file
deleted only after its replacement has committed.
"""

from datetime import datetime

from django.db import IntegrityError, transaction

from clinic.seen import changed_since
from patients import choices
from patients.models import (
    DENSITY_FIELDS,
    DENSITY_MAX,
    PULL_TEST_MAX,
    SHEDDING_RANGE,
    THIN_FIELDS,
    ClinicPhoto,
    VisitMeasures,
)
from patients.photo_files import (
    photo_file_names,
    photo_file_write,
    photo_files_delete_after_commit,
    photo_transaction,
)

# Every figure of VisitMeasures; a record holds at least one of them (or a stage).
FIGURES = [*DENSITY_FIELDS, *THIN_FIELDS, "pull_test", "shedding"]
MEASURE_FIELDS = ["stage", *FIGURES, "notes", "shared_with_patient"]
NOTES_MAX = 5000
RANGES = {
    **{name: (0, DENSITY_MAX, "hairs per cm²") for name in DENSITY_FIELDS},
    **{name: (0, 100, "%") for name in THIN_FIELDS},
    "pull_test": (0, PULL_TEST_MAX, "hairs"),
    "shedding": (*SHEDDING_RANGE, "on the shedding scale"),
}


class ProgressError(ValueError):
    """A measure or photo that cannot be recorded; the message says why, for the staff member."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def visit_check_open(*, booking, now: datetime) -> None:
    """Refuse a visit that was cancelled, missed, or is still to come."""
    if not booking.is_active:
        raise ProgressError("This visit was cancelled: nothing can be recorded for it.")
    if booking.status == booking.Status.NO_SHOW:
        raise ProgressError("The patient did not come to this visit: nothing can be recorded.")
    zone = booking.location.zone
    day = booking.starts_at.astimezone(zone).date()
    if day > now.astimezone(zone).date():
        raise ProgressError(
            f"This visit is on {day.day} {day:%B %Y}: record its measures and photos at the visit."
        )


def _checked(values: dict) -> dict:
    """Return the measure values, refusing a stage or figure outside its sane range."""
    stage = values.get("stage") or ""
    if stage and stage not in choices.VISIT_STAGE_CODES:
        raise ProgressError("Choose a stage from the Norwood, Ludwig or Sinclair scale.")
    checked = {"stage": stage}
    for name in FIGURES:
        value = values.get(name)
        if value is not None:
            low, high, unit = RANGES[name]
            if not low <= value <= high:
                label = name.replace("_", " ")
                raise ProgressError(f"The {label} must be between {low} and {high} {unit}.")
        checked[name] = value
    notes = (values.get("notes") or "").strip()
    if len(notes) > NOTES_MAX:
        raise ProgressError(f"Keep the notes under {NOTES_MAX:,} characters.")
    checked["notes"] = notes
    checked["shared_with_patient"] = bool(values.get("shared_with_patient"))
    if not stage and all(checked[name] is None for name in FIGURES):
        raise ProgressError(
            "Record at least one measure: the stage, a density, a share of thin hairs, "
            "the pull test or the shedding."
        )
    return checked


MEASURES_CHANGED = (
    "These measures were saved by someone else, or in another tab, while you had the page "
    "open, so nothing was saved. Your figures are kept below: save again to replace the saved "
    "ones, or open the page afresh to see them."
)


def measures_record(
    *, booking, author, values: dict, now: datetime, seen: str | None = None
) -> VisitMeasures:
    """Record (or correct) the measures of one visit, in one transaction.

    The first author stays the author; every change is in the measures' history, with who made
    it and from where. ``seen``: the measures as the page showed them (``clinic.seen``); saved
    since, nothing is saved and ProgressError says so.
    """
    visit_check_open(booking=booking, now=now)
    checked = _checked(values)
    try:
        with transaction.atomic():
            measures = VisitMeasures.objects.select_for_update().filter(booking=booking).first()
            if changed_since(measures, seen):
                raise ProgressError(MEASURES_CHANGED)
            if measures is None:
                measures = VisitMeasures(booking=booking, recorded_by=author)
            for name, value in checked.items():
                setattr(measures, name, value)
            measures.save()
    except IntegrityError:
        # Two first saves of one visit at the same moment: the other one won.
        raise ProgressError(
            "Someone else saved this visit's measures at the same moment. "
            "Open the page again to see them, then correct them if needed."
        ) from None
    return measures


# A standard view is compared visit by visit, side by side: a thumbnail or an icon sent by
# mistake would stand in for the visit's photo. Any camera's photo is far larger.
CLINIC_PHOTO_MIN_SIDE = 200


def clinic_photo_store(
    *, booking, view: str, content: bytes, width: int, height: int, author, now: datetime
) -> ClinicPhoto:
    """Keep a cleaned photo (``patients.photos.clean_photo``) of one standard view of a visit,
    replacing the view's earlier photo of that visit."""
    visit_check_open(booking=booking, now=now)
    if view not in dict(choices.CLINIC_PHOTO_VIEWS):
        raise ProgressError("Choose one of the standard views.")
    if min(width, height) < CLINIC_PHOTO_MIN_SIDE:
        raise ProgressError(
            f"This photo is {width} × {height} pixels: too small to compare visits by. Please "
            f"send the photo as the camera took it (at least {CLINIC_PHOTO_MIN_SIDE} pixels a "
            "side)."
        )
    try:
        with photo_transaction():
            old = ClinicPhoto.objects.select_for_update().filter(booking=booking, view=view)
            replaced = photo_file_names(old)
            old.delete()
            photo = ClinicPhoto.objects.create(
                booking=booking,
                view=view,
                width=width,
                height=height,
                taken_by=author,
                image=photo_file_write(view, content),
            )
            photo_files_delete_after_commit(replaced)
    except IntegrityError:
        raise ProgressError(
            "Another photo of this view was saved at the same moment. "
            "Look at the page again and retake it if needed."
        ) from None
    return photo
