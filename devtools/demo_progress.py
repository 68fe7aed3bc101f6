"""The demo clinic's progress story: a patient through a course of PRP, measured and photographed.

Marcus Reid came for a consultation about six and a half months ago, started PRP, and came back
for reviews at about three and six months: three visits, each with the practitioner's measures
and the standard photos, shared with him, so that the timeline, its trend charts, the comparison
and his own progress page (through his latest visit's link) have something true-looking to
show. The photos are drawn here with Pillow (a head seen from the view's side, with hair as
short strokes thinning where his loss is): nobody's photo is used.
"""

import io
import math
import random
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from bookings.models import Booking, ConsultationType
from bookings.services import blocked_interval
from patients.models import Patient, VisitMeasures
from patients.photo_files import photo_transaction
from patients.photos import clean_photo
from patients.progress import clinic_photo_store
from patients.services import consents_record

PATIENT = ("Marcus", "Reid", "marcus.reid@example.com", (1984, 9, 3))
BACKDROP = (226, 232, 236)
SKIN = (224, 188, 160)
HAIR = (52, 38, 30)
# Where each view's loss is, as (x, y, spread) in the picture: the crown and the temples.
THIN_SPOTS = {
    "front": [(160, 120, 70), (320, 120, 70)],
    "top": [(240, 200, 90)],
    "crown": [(240, 180, 80)],
    "left": [(300, 110, 70)],
    "right": [(180, 110, 70)],
    "donor": [],
}
VIEWS = ["front", "top", "crown", "donor"]
# (days before today, consultation type slug, measures): the consultation, then two reviews.
VISITS = [
    (
        200,
        "initial-consultation",
        dict(
            stage="nw3",
            frontal_density=118,
            frontal_thin=34,
            mid_scalp_density=132,
            mid_scalp_thin=28,
            crown_density=96,
            crown_thin=41,
            donor_density=212,
            donor_thin=9,
            pull_test=8,
            shedding=5,
            notes="Vertex thinning with miniaturisation; active shedding. PRP course agreed.",
        ),
    ),
    (
        110,
        "treatment-review",
        dict(
            stage="nw3",
            frontal_density=124,
            frontal_thin=30,
            mid_scalp_density=139,
            mid_scalp_thin=25,
            crown_density=108,
            crown_thin=35,
            donor_density=210,
            donor_thin=9,
            pull_test=5,
            shedding=3,
            notes="Three PRP sessions done. Shedding down; early regrowth at the crown.",
        ),
    ),
    (
        20,
        "treatment-review",
        dict(
            stage="nw3",
            frontal_density=131,
            frontal_thin=26,
            mid_scalp_density=146,
            mid_scalp_thin=22,
            crown_density=121,
            crown_thin=29,
            donor_density=214,
            donor_thin=8,
            pull_test=3,
            shedding=2,
            notes="Crown visibly fuller in the standard photos. Top-up in six months.",
        ),
    ),
]


def head_picture(view: str, fullness: float, seed: int) -> SimpleUploadedFile:
    """Draw a head from ``view``'s side with hair thinning at the view's spots; ``fullness``
    from 0 (as thin as at the first visit) to 1 (much fuller)."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGB", (480, 360), BACKDROP)
    draw = ImageDraw.Draw(image)
    draw.ellipse([70, 30, 410, 400], fill=SKIN)
    for _ in range(5200):
        x, y = rng.uniform(80, 400), rng.uniform(40, 360)
        if ((x - 240) / 170) ** 2 + ((y - 215) / 185) ** 2 > 1:
            continue
        keep = 1.0
        for cx, cy, spread in THIN_SPOTS[view]:
            loss = 0.85 * (1 - 0.55 * fullness)
            keep -= loss * math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * spread**2))
        if rng.random() > keep:
            continue
        angle = rng.uniform(-0.5, 0.5) + (math.pi / 2 if view != "front" else -math.pi / 2)
        length = rng.uniform(10, 22)
        end = (x + length * math.cos(angle), y + length * math.sin(angle))
        draw.line([(x, y), end], fill=HAIR, width=2)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile(f"demo-{view}.jpg", out.getvalue(), content_type="image/jpeg")


def add_demo_progress(*, location, practitioner) -> None:
    """Add Marcus Reid's three measured and photographed visits, once."""
    first, last, email, born = PATIENT
    if Patient.objects.filter(email=email).exists():
        return
    # All or nothing: the rows and their photo files together.
    with photo_transaction():
        _add_visits(location, practitioner, first, last, email, born)


def _add_visits(location, practitioner, first, last, email, born) -> None:
    patient = Patient.objects.create(
        first_name=first, last_name=last, email=email, date_of_birth=datetime(*born).date()
    )
    today = timezone.now().astimezone(location.zone).date()
    for index, (days_ago, slug, measures) in enumerate(VISITS):
        consultation_type = ConsultationType.objects.get(slug=slug)
        starts_at = datetime.combine(today - timedelta(days=days_ago), time(11), location.zone)
        ends_at, blocked_from, blocked_until = blocked_interval(consultation_type, starts_at)
        booking = Booking.objects.create(
            patient=patient,
            practitioner=practitioner,
            consultation_type=consultation_type,
            location=location,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=blocked_from,
            blocked_until=blocked_until,
            status=Booking.Status.COMPLETED,
            checked_in_at=starts_at - timedelta(minutes=5),
        )
        if index == 0:
            consents_record(
                patient=patient, booking=booking, photos_beyond_care=False, now=starts_at
            )
        # Each visit shared with him: his link shows his progress.
        VisitMeasures.objects.create(
            booking=booking, recorded_by=practitioner.user, shared_with_patient=True, **measures
        )
        fullness = index / (len(VISITS) - 1)
        for view in VIEWS:
            content, width, height = clean_photo(head_picture(view, fullness, seed=index))
            clinic_photo_store(
                booking=booking,
                view=view,
                content=content,
                width=width,
                height=height,
                author=practitioner.user,
                now=starts_at,
            )
