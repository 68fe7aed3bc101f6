"""The patient's home: who is signed in (a session, no password), and what their home shows.

It lives in bookings because it is a patient's bookings that it shows and changes (through the
same private-link pages and services), with the patients layer's details, consents and erasure
request below it. Treatment plans sit a layer up: they add their links to the home through the
``home_sections_wanted`` signal, as they join the export and erasure, so this layer never
imports them and the home stays free of staff code.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.dispatch import Signal

from bookings.models import Booking
from patients.models import Patient

SESSION_KEY = "patient_home"

# sender=Patient, patient=...: each receiver returns a list of HomeSection for that patient, in
# a fixed number of queries.
home_sections_wanted = Signal()


@dataclass(frozen=True)
class HomeLink:
    label: str
    detail: str
    url: str
    # A visit the patient is to book there now (a plan's top-up, say): the home says so where
    # it would otherwise say nothing is booked.
    to_book: bool = False


@dataclass(frozen=True)
class HomeSection:
    heading: str
    links: list[HomeLink] = field(default_factory=list)


def home_sections(patient: Patient) -> list[HomeSection]:
    """What the layers above hold for the patient (their treatment plans), as linked sections."""
    replies = home_sections_wanted.send(sender=Patient, patient=patient)
    return [section for _, sections in replies for section in sections if section.links]


def home_sign_in(request, patient: Patient, now: datetime) -> None:
    """Sign the patient in on this browser: a new session key (so a key planted before sign-in
    opens nothing), kept while used, at most ``PATIENT_HOME_MAX_HOURS``."""
    request.session.cycle_key()
    stamp = now.timestamp()
    request.session[SESSION_KEY] = {"patient": patient.pk, "since": stamp, "seen": stamp}
    request.session.set_expiry(settings.PATIENT_HOME_IDLE_MINUTES * 60)


def home_sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def home_patient(request, now: datetime) -> Patient | None:
    """The patient signed in on this browser, or None: signed out after
    ``PATIENT_HOME_IDLE_MINUTES`` without a page, after ``PATIENT_HOME_MAX_HOURS`` in all, or
    once erased. Each page seen keeps the session going."""
    signed_in = request.session.get(SESSION_KEY)
    if not signed_in:
        return None
    stamp = now.timestamp()
    idle = stamp - signed_in["seen"] > settings.PATIENT_HOME_IDLE_MINUTES * 60
    too_long = stamp - signed_in["since"] > settings.PATIENT_HOME_MAX_HOURS * 3600
    patient = None
    if not (idle or too_long):
        patient = Patient.objects.filter(pk=signed_in["patient"], erased_at=None).first()
    if patient is None:
        request.session.pop(SESSION_KEY, None)
        return None
    request.session[SESSION_KEY] = {**signed_in, "seen": stamp}
    return patient


@dataclass(frozen=True)
class HomeBooking:
    booking: Booking
    can_change: bool  # movable and cancellable online (before the type's late-cancel cutoff)
    can_move: bool  # procedures move only from their treatment plan, with its windows
    inside_cutoff: bool
    intake: str  # "sent", "started", "missing", or "" when no longer asked for
    summary: str  # the practitioner's signed-off words, once the consultation is completed


def patient_actions(booking: Booking, now: datetime) -> dict:
    """What the patient may still do with this booking online, and why not."""
    cutoff = timedelta(hours=booking.consultation_type.late_cancel_hours)
    active = booking.status == Booking.Status.CONFIRMED and booking.starts_at > now
    can_change = active and booking.starts_at - now >= cutoff
    return {
        "can_change": can_change,
        # A procedure belongs to a treatment plan, whose own move keeps the course's windows.
        "can_move": can_change and not booking.consultation_type.is_procedure,
        "inside_cutoff": active and booking.starts_at - now < cutoff,
        # The hair-loss questions come before a consultation; a treatment session has its own
        # health check (treatments.rescreens).
        "can_edit_intake": active and not booking.consultation_type.is_procedure,
        "is_over": not active,
    }


def summary_for_patient(booking: Booking) -> str:
    """The practitioner's summary as the patient may read it: signed off, and only once the
    consultation is marked completed (before that the visit may still be moved or cancelled,
    and an assessment written ahead of it is not yet the practitioner's word to the patient)."""
    assessment = getattr(booking, "assessment", None)
    if (
        assessment is None
        or assessment.signed_off_at is None
        or booking.status != Booking.Status.COMPLETED
    ):
        return ""
    return assessment.patient_summary


def home_bookings(patient: Patient, now: datetime) -> tuple[list[HomeBooking], list[HomeBooking]]:
    """(upcoming, soonest first; past and cancelled, newest first) for one patient, in one
    query whatever their number."""
    bookings = (
        Booking.objects.filter(patient=patient)
        .select_related(
            "consultation_type",
            "location",
            "practitioner__user",
            "intake",
            "intake_in_progress",
            "assessment",
            # Whether the progress page has anything to show, in the same query.
            "measures",
            "self_rating",
        )
        .order_by("starts_at", "pk")
    )
    upcoming, past = [], []
    for booking in bookings:
        actions = patient_actions(booking, now)
        intake = ""
        if actions["can_edit_intake"]:
            if hasattr(booking, "intake"):
                intake = "sent"
            elif hasattr(booking, "intake_in_progress"):
                intake = "started"
            else:
                intake = "missing"
        entry = HomeBooking(
            booking=booking,
            can_change=actions["can_change"],
            can_move=actions["can_change"]
            and booking.consultation_type.kind != booking.consultation_type.Kind.PROCEDURE,
            inside_cutoff=actions["inside_cutoff"],
            intake=intake,
            summary=summary_for_patient(booking),
        )
        (past if actions["is_over"] else upcoming).append(entry)
    past.reverse()
    return upcoming, past


def progress_booking(entries: list[HomeBooking]) -> Booking | None:
    """The latest booking whose link opens the patient's progress page with something on it: a
    visit shared with them, or their own rating of their hair (as the booking page offers it).
    A cancelled booking's rating or measures are not on that page, so they do not count."""
    with_progress = [
        entry.booking
        for entry in entries
        if entry.booking.status != Booking.Status.CANCELLED
        and (
            (hasattr(entry.booking, "measures") and entry.booking.measures.shared_with_patient)
            or hasattr(entry.booking, "self_rating")
        )
    ]
    return max(with_progress, key=lambda booking: booking.starts_at, default=None)
