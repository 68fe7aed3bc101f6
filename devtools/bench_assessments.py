"""The benchmark clinic's past assessments: every consultation it completed was assessed.

Without them the benchmark flattered every page that reads assessments (the dashboard's
recommendations, the review queue's "not assessed yet"): a clinic two years old holds tens of
thousands, and a page that reads them all, or asks about each, is slow there and fast here.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import F

from bookings.models import Booking
from patients.models import Assessment

BATCH = 5000
# What the clinic recommends, as a practitioner's options combine, most often first.
RECOMMENDED = [
    (["prp"], 30),
    (["prp", "medication"], 25),
    (["medication"], 15),
    (["stem_cell_adipose"], 6),
    (["exosomes", "micro_needling"], 6),
    (["transplant"], 5),
    (["blood_tests"], 5),
    (["referral"], 3),
    (["no_treatment"], 5),
]


def seed_assessments(location, stdout) -> bool:
    """Give each completed consultation at ``location`` (not a procedure session) its
    assessment, written and signed off an hour after it began, once: a later run finds them
    there. Return whether any were added or changed."""
    completed = Booking.objects.filter(
        location=location,
        status=Booking.Status.COMPLETED,
        consultation_type__slug="bench-initial",
        assessment__isnull=True,
    )
    if Assessment.objects.filter(booking__location=location).exists():
        return _sign_off_earlier_seeds(location, stdout)
    rng = random.Random(7)  # noqa: S311 - reproducible data, not security
    options, weights = zip(*RECOMMENDED, strict=True)
    rows = completed.values_list("pk", "practitioner__user_id", "starts_at").iterator(
        chunk_size=BATCH
    )
    # Each written an hour into its visit: the fields' own "now" is switched off while the
    # rows are made (in this process only), so that each is counted once, on its own day, by
    # the database's triggers (an UPDATE of the times after took minutes, each row counted
    # twice).
    created, updated = (Assessment._meta.get_field(name) for name in ("created_at", "updated_at"))
    created.auto_now_add = updated.auto_now = False
    made = 0
    try:
        with transaction.atomic():
            batch = []
            for booking_id, author_id, starts_at in rows:
                written = starts_at + timedelta(hours=1)
                batch.append(
                    Assessment(
                        booking_id=booking_id,
                        author_id=author_id,
                        pattern="male_pattern",
                        stage="nh3",
                        likely_cause="androgenetic",
                        recommendations=rng.choices(options, weights)[0],
                        rationale="Benchmark assessment.",
                        patient_summary="Benchmark summary.",
                        created_at=written,
                        updated_at=written,
                        signed_off_at=written,
                    )
                )
                if len(batch) >= BATCH:
                    made += len(Assessment.objects.bulk_create(batch))
                    batch.clear()
            made += len(Assessment.objects.bulk_create(batch))
    finally:
        created.auto_now_add, updated.auto_now = True, True
    stdout.write(f"Seeded {made} assessments of past consultations.")
    return True


def _sign_off_earlier_seeds(location, stdout) -> bool:
    """Sign off the assessments a benchmark database seeded before they were (the clinic's
    recommendation figures count signed-off assessments only), once, in one statement."""
    unsigned = Assessment.objects.filter(
        booking__location=location, signed_off_at__isnull=True, rationale="Benchmark assessment."
    )
    signed = unsigned.update(signed_off_at=F("created_at"))
    if signed:
        stdout.write(f"Signed off {signed} assessments seeded before.")
    return bool(signed)
