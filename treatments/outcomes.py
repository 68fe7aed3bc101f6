"""The clinic's outcomes: for each treatment, how many courses reached the window when results
can fairly be judged, and how many of them saw the density or the patient's own rating improve.

Each course's outcome is written as an anonymous ``OutcomeRecord`` whenever a visit's measures
or the patient's rating are saved (and so kept up to date as the course goes on), not computed
at erasure: the figures page then reads one small table in a fixed number of queries, the same
rows serve patients still on file and patients erased, so the figures do not jump when someone
is erased, and an erasure has nothing to compute; it only cuts the record's link to the plan
(``treatments.privacy``). A figure about fewer than five patients is never shown.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from bookings.models import Booking
from patients.choices import RECOMMENDATIONS
from patients.models import SelfRating, VisitMeasures
from treatments.models import OutcomeRecord, Plan, Protocol
from treatments.selectors import judge_window

MIN_PATIENTS = 5
# Plans that went ahead: a course stopped after its window was reached still has an outcome.
OUTCOME_STATUSES = [
    Plan.Status.ACCEPTED,
    Plan.Status.IN_PROGRESS,
    Plan.Status.COMPLETED,
    Plan.Status.STOPPED,
]
# The donor area is not treated: its density says nothing about how a treatment works.
TREATED_ZONES = ("frontal", "mid_scalp", "crown")


@dataclass(frozen=True)
class VisitFigures:
    day: date
    densities: dict  # zone -> hairs/cm², the treated zones measured at this visit
    rating: int | None  # the patient's own 0-10 rating before it


def _improved(before, after, compare):
    if before is None or after is None or before is after:
        return None
    return compare(before, after)


def course_outcome(*, since: date, window: tuple[date, date], visits) -> tuple | None:
    """(density improved, rating improved) for a course followed from ``since`` with results
    judged in ``window``, each None when unknown; None when no visit in the window measured or
    rated anything. The first figure of the course is compared with the latest in the window."""
    followed = [v for v in sorted(visits, key=lambda v: v.day) if v.day >= since]
    inside = [v for v in followed if window[0] <= v.day <= window[1]]
    if not any(v.densities or v.rating is not None for v in inside):
        return None
    measured = [v for v in followed if v.densities]
    judged = [v for v in inside if v.densities]

    def density(before, after):
        zones = before.densities.keys() & after.densities.keys()
        if not zones:
            return None
        return sum(after.densities[z] for z in zones) > sum(before.densities[z] for z in zones)

    rated = [v for v in followed if v.rating is not None]
    rated_inside = [v for v in inside if v.rating is not None]
    return (
        _improved(measured[0] if measured else None, judged[-1] if judged else None, density),
        _improved(
            rated[0] if rated else None,
            rated_inside[-1] if rated_inside else None,
            lambda before, after: after.rating > before.rating,
        ),
    )


def _visit_figures(patient_id) -> list[VisitFigures]:
    bookings = (
        Booking.objects.filter(patient_id=patient_id)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("location", "measures", "self_rating")
    )
    figures = []
    for booking in bookings:
        measures = getattr(booking, "measures", None)
        rating = getattr(booking, "self_rating", None)
        densities = {
            zone: value
            for zone in TREATED_ZONES
            if measures and (value := getattr(measures, f"{zone}_density")) is not None
        }
        if densities or rating:
            figures.append(
                VisitFigures(
                    booking.starts_at.astimezone(booking.location.zone).date(),
                    densities,
                    rating.hair_now if rating else None,
                )
            )
    return figures


def outcomes_refresh(*, patient_id: int) -> None:
    """Write (or correct) the outcome of each course of the patient that reached its window,
    and drop one whose visits were corrected out of it. Three reads (the plans, their
    protocols, the patient's visits with their figures), then a write or two per course."""
    plans = list(
        Plan.objects.filter(patient_id=patient_id, status__in=OUTCOME_STATUSES)
        .select_related("consultation__location")
        .prefetch_related("protocols")
    )
    if not plans:
        return
    visits = _visit_figures(patient_id)
    with transaction.atomic():
        for plan in plans:
            consultation = plan.consultation
            since = consultation.starts_at.astimezone(consultation.location.zone).date()
            for protocol, start, end in judge_window(plan):
                outcome = course_outcome(since=since, window=(start, end), visits=visits)
                if outcome is None:
                    OutcomeRecord.objects.filter(plan=plan, protocol=protocol).delete()
                    continue
                OutcomeRecord.objects.update_or_create(
                    plan=plan,
                    protocol=protocol,
                    defaults={
                        "treatment": protocol.treatment,
                        "density_improved": outcome[0],
                        "rating_improved": outcome[1],
                    },
                )


@receiver(post_save, sender=VisitMeasures, dispatch_uid="outcomes-after-measures")
@receiver(post_save, sender=SelfRating, dispatch_uid="outcomes-after-rating")
def outcomes_follow_figures(sender, instance, **kwargs):
    patient_id = (
        Booking.objects.filter(pk=instance.booking_id).values_list("patient_id", flat=True).first()
    )
    if patient_id is not None:
        outcomes_refresh(patient_id=patient_id)


@dataclass(frozen=True)
class Share:
    """How many of ``known`` courses improved; hidden when fewer than five are known."""

    better: int
    known: int

    @property
    def shown(self) -> bool:
        return self.known >= MIN_PATIENTS

    @property
    def percent(self) -> int:
        return round(100 * self.better / self.known) if self.known else 0


@dataclass(frozen=True)
class TreatmentOutcome:
    treatment: str
    label: str
    reached: int
    density: Share
    rating: Share

    @property
    def shown(self) -> bool:
        return self.reached >= MIN_PATIENTS


def outcome_figures() -> list[TreatmentOutcome]:
    """Every treatment with a protocol, with its outcome figures. Two queries."""
    counts = {
        row["treatment"]: row
        for row in OutcomeRecord.objects.values("treatment").annotate(
            reached=Count("id"),
            density_known=Count("id", filter=Q(density_improved__isnull=False)),
            density_better=Count("id", filter=Q(density_improved=True)),
            rating_known=Count("id", filter=Q(rating_improved__isnull=False)),
            rating_better=Count("id", filter=Q(rating_improved=True)),
        )
    }
    offered = set(Protocol.objects.values_list("treatment", flat=True)) | set(counts)
    result = []
    for code, label in RECOMMENDATIONS:
        if code not in offered:
            continue
        row = counts.get(code, {})
        result.append(
            TreatmentOutcome(
                treatment=code,
                label=label,
                reached=row.get("reached", 0),
                density=Share(row.get("density_better", 0), row.get("density_known", 0)),
                rating=Share(row.get("rating_better", 0), row.get("rating_known", 0)),
            )
        )
    return result
