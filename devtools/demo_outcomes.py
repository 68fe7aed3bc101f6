"""The demo clinic's outcomes: Marcus Reid's PRP course as a plan, with his own ratings before
his reviews, and the anonymous outcome records of earlier courses.

Marcus's three visits (``demo_progress``) become a PRP course: the consultation, three sessions
a month apart, the reviews at three and six months (where he rated his hair 5, then 7), so that
his timeline marks the sessions and shades the window when results can fairly be judged, and his
course writes a real outcome record. The earlier records stand for courses of patients seen
before the demo's story (some since erased): anonymous rows, as erasure leaves them, enough for
PRP and exosomes to show figures and few enough for micro-needling that it shows none.
"""

from datetime import datetime, time, timedelta

from bookings.models import Booking, ConsultationType
from bookings.services import blocked_interval
from patients.models import Assessment, Patient, SelfRating
from treatments import windows
from treatments.models import OutcomeRecord, Plan, PlanStep, Protocol
from treatments.outcomes import outcomes_refresh

# Treatment -> (density improved: yes, no, unknown; own rating improved: yes, no, unknown).
EARLIER_OUTCOMES = {
    "prp": ((11, 3, 2), (9, 4, 3)),
    "exosomes": ((4, 2, 1), (3, 1, 3)),
    "stem_cell_adipose": ((3, 1, 1), (4, 1, 0)),
    "micro_needling": ((2, 1, 0), (1, 1, 1)),
}
# Marcus's ratings before his reviews (his second and third visits): hair now, satisfaction.
RATINGS = [(5, 3), (7, 4)]
SESSION_DAYS_AFTER_START = (0, 28, 51)


def add_demo_outcomes(*, email: str) -> None:
    """Add Marcus's course and ratings, and the earlier anonymous outcomes, once each."""
    patient = Patient.objects.filter(email=email).first()
    if patient is not None and not Plan.objects.filter(patient=patient).exists():
        _add_course(patient)
    if not OutcomeRecord.objects.filter(plan__isnull=True).exists():
        _add_earlier_outcomes()


def _add_course(patient) -> None:
    visits = list(
        Booking.objects.filter(patient=patient).select_related("location", "practitioner__user")
    )
    consultation, reviews = visits[0], visits[1:]
    location, practitioner = consultation.location, consultation.practitioner
    zone = location.zone
    assessment = Assessment.objects.create(
        booking=consultation,
        author=practitioner.user,
        pattern="male_pattern",
        stage="nh3",
        likely_cause="androgenetic",
        recommendations=["prp"],
        rationale="Norwood 3 vertex with active shedding and miniaturisation at the crown.",
        patient_summary="Inherited thinning at the crown, still active. A course of PRP.",
        signed_off_at=consultation.ends_at,
    )
    protocol = Protocol.objects.get(name="PRP course")
    start = consultation.starts_at.astimezone(zone).date() + timedelta(days=4)
    plan = Plan.objects.create(
        patient=patient,
        consultation=consultation,
        assessment=assessment,
        practitioner=practitioner,
        location=location,
        starts_on=start,
        status=Plan.Status.IN_PROGRESS,
    )
    plan.protocols.add(protocol)
    session_type = ConsultationType.objects.get(slug="prp-session")
    booked, steps = {}, []
    for step in protocol.steps.all():
        booking = None
        if step.kind == "procedure":
            day = start + timedelta(days=SESSION_DAYS_AFTER_START[step.order - 1])
            starts_at = datetime.combine(day, time(16, 30), zone)
            ends_at, blocked_from, blocked_until = blocked_interval(session_type, starts_at)
            booking = Booking.objects.create(
                patient=patient,
                practitioner=practitioner,
                consultation_type=session_type,
                location=location,
                starts_at=starts_at,
                ends_at=ends_at,
                blocked_from=blocked_from,
                blocked_until=blocked_until,
                status=Booking.Status.COMPLETED,
            )
        elif step.kind == "review" and reviews:
            booking = reviews.pop(0)
        if booking is not None:
            booked[step.order] = booking.starts_at.astimezone(zone).date()
        steps.append((step, booking))
    rules = [
        windows.StepRule(s.order, protocol.pk, s.min_days_after, s.max_days_after) for s, _ in steps
    ]
    found = windows.windows(start, rules, booked)
    for step, booking in steps:
        PlanStep.objects.create(
            plan=plan,
            protocol_step=step,
            protocol=protocol,
            order=step.order,
            kind=step.kind,
            name=step.name,
            consultation_type=step.consultation_type,
            min_days_after=step.min_days_after,
            max_days_after=step.max_days_after,
            earliest=found[step.order].earliest,
            latest=found[step.order].latest,
            booking=booking,
            status=PlanStep.Status.DONE if booking else PlanStep.Status.PLANNED,
        )
    for review, (hair_now, satisfaction) in zip(visits[1:], RATINGS, strict=False):
        SelfRating.objects.create(
            booking=review,
            hair_now=hair_now,
            satisfaction=satisfaction,
            submitted_at=review.starts_at - timedelta(days=2),
        )
    outcomes_refresh(patient_id=patient.pk)


def _add_earlier_outcomes() -> None:
    protocols = {p.treatment: p for p in Protocol.objects.order_by("position")}
    rows = []
    for treatment, (density, rating) in EARLIER_OUTCOMES.items():
        protocol = protocols.get(treatment)
        if protocol is None:
            continue
        densities = [True] * density[0] + [False] * density[1] + [None] * density[2]
        ratings = [True] * rating[0] + [False] * rating[1] + [None] * rating[2]
        rows += [
            OutcomeRecord(
                protocol=protocol,
                treatment=treatment,
                density_improved=densities[i] if i < len(densities) else None,
                rating_improved=ratings[i] if i < len(ratings) else None,
            )
            for i in range(max(len(densities), len(ratings)))
        ]
    OutcomeRecord.objects.bulk_create(rows)
