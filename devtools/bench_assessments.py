"""The benchmark clinic's past assessments: every consultation it completed was assessed.

Without them the benchmark flattered every page that reads assessments (the dashboard's
recommendations, the review queue's "not assessed yet"): a clinic two years old holds tens of
thousands, and a page that reads them all, or asks about each, is slow there and fast here.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery

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
    assessment, written an hour after it began, once: a later run finds them there. Return
    whether any were added."""
    completed = Booking.objects.filter(
        location=location,
        status=Booking.Status.COMPLETED,
        consultation_type__slug="bench-initial",
        assessment__isnull=True,
    )
    if Assessment.objects.filter(booking__location=location).exists():
        return False
    rng = random.Random(7)  # noqa: S311 - reproducible data, not security
    options, weights = zip(*RECOMMENDED, strict=True)
    rows = completed.values_list("pk", "practitioner__user_id").iterator(chunk_size=BATCH)
    made = 0
    with transaction.atomic():
        batch = []
        for booking_id, author_id in rows:
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
                )
            )
            if len(batch) >= BATCH:
                made += len(Assessment.objects.bulk_create(batch))
                batch.clear()
        made += len(Assessment.objects.bulk_create(batch))
        # ``created_at`` is set to now on every insert: written as an hour into the visit.
        visit_start = Subquery(
            Booking.objects.filter(pk=OuterRef("booking_id")).values("starts_at")[:1]
        )
        Assessment.objects.filter(booking__location=location).update(
            created_at=visit_start + timedelta(hours=1), updated_at=visit_start + timedelta(hours=1)
        )
    stdout.write(f"Seeded {made} assessments of past consultations.")
    return True
