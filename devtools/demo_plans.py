"""The demo clinic's treatment plan: Priya Shah, midway through a PRP course.

Her earlier, assessed consultation recommended PRP; the plan made from it started eight weeks
ago, she signed it online, had sessions 1 and 2 (four weeks apart) and has session 3 booked
inside its window; the reviews are still to book. Her health check before session 3 says she
had a cold, so the session waits for the practitioner's review. Past sessions are written
straight to the table (no booking service books the past); the coming one is booked through
booking_create.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from bookings.models import Booking
from bookings.selectors import available_slots
from bookings.services import BookingError, blocked_interval, booking_create
from patients.models import Assessment
from treatments import windows
from treatments.models import (
    RESCREEN_OPENS_BEFORE,
    RESCREEN_QUESTIONS,
    ConsentText,
    Plan,
    PlanConsent,
    PlanStep,
    Protocol,
    Rescreen,
    StepPrice,
)

PATIENT_EMAIL = "priya.shah@example.com"


def add_demo_plan(stderr) -> None:
    earlier = (
        Booking.objects.filter(patient__email=PATIENT_EMAIL, status=Booking.Status.COMPLETED)
        .select_related("patient", "practitioner__user", "location")
        .first()
    )
    if earlier is None or Plan.objects.filter(patient=earlier.patient).exists():
        return
    protocol = Protocol.objects.get(name="PRP course")
    location, practitioner = earlier.location, earlier.practitioner
    zone = location.zone
    today = timezone.now().astimezone(zone).date()
    plan = Plan.objects.create(
        patient=earlier.patient,
        consultation=earlier,
        assessment=Assessment.objects.get(booking=earlier),
        practitioner=practitioner,
        location=location,
        starts_on=today - timedelta(days=60),
        status=Plan.Status.IN_PROGRESS,
        patient_note=(
            "As we discussed: three PRP sessions about four weeks apart, after your blood "
            "tests came back normal. Keep taking the iron supplement."
        ),
    )
    plan.protocols.add(protocol)
    prices = {p.step_id: p for p in StepPrice.objects.filter(location=location)}
    steps = []
    for step in protocol.steps.all():
        price = prices.get(step.pk)
        steps.append(
            PlanStep(
                plan=plan,
                protocol_step=step,
                protocol=protocol,
                order=step.order,
                kind=step.kind,
                name=step.name,
                consultation_type=step.consultation_type,
                min_days_after=step.min_days_after,
                max_days_after=step.max_days_after,
                earliest=today,
                latest=today,
                price=price.amount if price else None,
                currency=price.currency if price else "",
            )
        )
    rules = [
        windows.StepRule(s.order, protocol.pk, s.min_days_after, s.max_days_after) for s in steps
    ]
    booked = {}
    for step, days_ago in zip(steps[:2], (56, 28), strict=True):
        starts_at = datetime.combine(today - timedelta(days=days_ago), time(10), tzinfo=zone)
        ends_at, blocked_from, blocked_until = blocked_interval(step.consultation_type, starts_at)
        step.booking = Booking.objects.create(
            patient=plan.patient,
            practitioner=practitioner,
            consultation_type=step.consultation_type,
            location=location,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=blocked_from,
            blocked_until=blocked_until,
            status=Booking.Status.COMPLETED,
            checked_in_at=starts_at - timedelta(minutes=5),
        )
        step.status = PlanStep.Status.DONE
        booked[step.order] = starts_at.date()
    third = steps[2]
    window = windows.windows(plan.starts_on, rules, booked)[third.order]
    slots = available_slots(
        consultation_type=third.consultation_type,
        location=location,
        first_day=max(window.earliest, today + timedelta(days=2)),
        last_day=window.latest,
        practitioner=practitioner,
        by_staff=True,
    ).slots
    if slots:
        try:
            third.booking = booking_create(
                patient=plan.patient,
                consultation_type=third.consultation_type,
                location=location,
                starts_at=slots[0].start,
                practitioner=practitioner,
                notify=False,
                by_staff=True,
            )
        except BookingError as error:
            stderr.write(f"Skipped the demo plan's session 3: {error.message}")
        else:
            third.status = PlanStep.Status.BOOKED
            booked[third.order] = slots[0].start.astimezone(zone).date()
            if third.booking.starts_at - RESCREEN_OPENS_BEFORE <= timezone.now():
                Rescreen.objects.create(
                    booking=third.booking,
                    answers={
                        key: "yes" if key == "illness" else "no" for key, _ in RESCREEN_QUESTIONS
                    },
                    details="A cold with a temperature last week; better now.",
                    submitted_at=timezone.now(),
                )
    found = windows.windows(plan.starts_on, rules, booked)
    for step in steps:
        step.earliest, step.latest = found[step.order].earliest, found[step.order].latest
        step.save()
    text = ConsentText.objects.filter(treatment=protocol.treatment).first()
    PlanConsent.objects.create(
        plan=plan,
        consent_text=text,
        version=text.version,
        text=text.text,
        signed_name=plan.patient.full_name,
        signed_at=timezone.now() - timedelta(days=62),
        ip_address="127.0.0.1",
    )
