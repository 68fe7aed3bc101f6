"""The demo clinic's clinical side: answers, scalp pictures and an earlier assessed visit.

So that a newcomer finds something in the review queue and on a patient's page: the demo's
upcoming consultations get the hair-loss answers a patient would give (one of them raising a
screening flag) with drawn scalp pictures, and one patient has a consultation twelve weeks ago,
assessed and signed off, whose photos the new ones can be compared with. The pictures are drawn
here with Pillow (hair as short strokes on skin): nothing is downloaded, nobody's photo is used.
"""

import io
import random
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from bookings.models import Booking
from bookings.services import blocked_interval
from devtools.sample_answers import intake_answers
from patients.forms import IntakeForm
from patients.models import Assessment
from patients.photos import clean_photo
from patients.services import intake_update

SKIN = (222, 184, 156)
HAIR = (58, 42, 32)


def scalp_picture(seed: int, strands: int) -> SimpleUploadedFile:
    """Draw a scalp: ``strands`` short dark strokes on skin, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGB", (480, 360), SKIN)
    draw = ImageDraw.Draw(image)
    for _ in range(strands):
        x, y = rng.randrange(480), rng.randrange(360)
        dx, dy = rng.randrange(-6, 7), rng.randrange(10, 26)
        draw.line([(x, y), (x + dx, y + dy)], fill=HAIR, width=2)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile(f"demo-{seed}.jpg", out.getvalue(), content_type="image/jpeg")


def answers(**overrides) -> dict:
    """Return cleaned intake answers, from what a patient would tick and type."""
    # The demo's patients say a little more than the sample's short goal.
    goals = "Keep what I have, and fill in the temples if that is possible."
    data = intake_answers(**{"goals": goals, **overrides})
    form = IntakeForm(data)
    if not form.is_valid():  # the demo's own answers: a mistake here is a bug in this file
        raise ValueError(f"Demo answers refused: {form.errors.as_json()}")
    return form.intake_values()


def pictures(views, seed: int, strands: int):
    return [(view, *clean_photo(scalp_picture(seed + n, strands))) for n, view in enumerate(views)]


# What each demo patient answers, by e-mail: the first takes a blood thinner (a PRP caution).
DEMO_ANSWERS = {
    "daniel.moreno@example.com": {
        "overrides": {
            "screen_anticoagulants": "yes",
            "current_medicines": "Apixaban 5 mg twice a day (since a clot in 2024)",
            "areas": ["crown", "top"],
            "main_concern": "crown",
            "stage": "nh4",
        },
        "views": ["crown", "top"],
        "strands": 900,
    },
    "priya.shah@example.com": {
        "overrides": {
            "main_concern": "thinning",
            "areas": ["top"],
            "stage": "l2",
            "family_history": ["mother_side"],
            "triggers": ["childbirth"],
            "tried_minoxidil": "gt1y",
            "goals": "Thicker hair on top; my parting looks wider in photos.",
        },
        "views": ["top", "hairline"],
        "strands": 1300,
    },
}


def add_demo_history(bookings) -> None:
    """Give the demo's upcoming ``bookings`` their answers and pictures, and one patient an
    earlier, assessed consultation."""
    now = timezone.now()
    for booking in bookings:
        spec = DEMO_ANSWERS.get(booking.patient.email)
        if spec is None:
            continue  # Tom Becker has not answered yet
        photos = pictures(spec["views"], booking.pk * 10, spec["strands"])
        values = answers(**spec["overrides"])
        intake_update(booking=booking, values=values, photos=photos, now=now)
        if booking.patient.email == "priya.shah@example.com":
            _earlier_visit(booking, spec, now)


def _earlier_visit(upcoming, spec, now) -> None:
    """Add the first consultation, twelve weeks before: completed, with denser hair in its
    photos and a signed-off assessment recommending blood tests, then PRP."""
    # Twelve weeks earlier at the same clock time in the clinic, daylight saving or not.
    zone = upcoming.location.zone
    local = upcoming.starts_at.astimezone(zone)
    starts_at = datetime.combine(local.date() - timedelta(weeks=12), local.time(), tzinfo=zone)
    ends_at, blocked_from, blocked_until = blocked_interval(upcoming.consultation_type, starts_at)
    earlier = Booking.objects.create(
        patient=upcoming.patient,
        practitioner=upcoming.practitioner,
        consultation_type=upcoming.consultation_type,
        location=upcoming.location,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
        status=Booking.Status.COMPLETED,
        checked_in_at=starts_at - timedelta(minutes=5),
    )
    overrides = {**spec["overrides"], "stage": "l1", "tried_minoxidil": "3to12m"}
    photos = pictures(spec["views"], earlier.pk * 10, spec["strands"] + 500)
    intake_update(booking=earlier, values=answers(**overrides), photos=photos, now=starts_at)
    Assessment.objects.create(
        booking=earlier,
        author=upcoming.practitioner.user,
        pattern="female_pattern",
        stage="l1",
        likely_cause="androgenetic",
        recommendations=["prp", "blood_tests"],
        rationale=(
            "Ludwig I with a widening parting since her second child; likely androgenetic, "
            "with a post-partum effluvium to rule out. No contraindication to PRP. Ferritin, "
            "thyroid and vitamin D first."
        ),
        patient_summary=(
            "Your thinning looks like the common, partly inherited kind, perhaps made worse "
            "after your baby. We suggest blood tests first, then a course of PRP, and we will "
            "compare photos in three months."
        ),
        signed_off_at=starts_at + timedelta(minutes=40),
    )
