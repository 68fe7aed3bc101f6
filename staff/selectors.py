"""Reads behind the staff pages: the day and week diaries, the review queue, a patient's earlier
visits and clinical records, patient search. Role rules on clinical data live here too: a
practitioner works on the consultations they see and reads the whole clinical history of the
patients they see (a care team), a clinic admin reads all.

Nothing here records a read: the views record what they show, through ``clinic.audit``.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import CharField, Exists, Func, OuterRef, Q, Value

from bookings.models import (
    Booking,
    Location,
    TimeOff,
    WorkingHours,
)
from bookings.selectors import closed_days
from clinic.roles import CLINIC_ADMIN, roles_of
from patients.choices import PHOTO_VIEWS
from patients.models import Assessment, HairLossIntake, IntakePhoto, Patient
from patients.screening import SEVERITY_RANK

# How long after its time a consultation without an assessment stays in the review queue.
RECENT_DAYS = 7
PATIENT_SEARCH_LIMIT = 25


def sees_all_bookings(user) -> bool:
    """Tell whether this user works on every booking (a clinic admin) rather than their own."""
    return CLINIC_ADMIN in roles_of(user)


def visible_bookings(user):
    """Bookings this user works on (reviews, assesses, measures): their own, or all for clinic
    admins. The review queue's written-out queries apply the same rule (staff/queue_sql.py)."""
    bookings = Booking.objects.all()
    if sees_all_bookings(user):
        return bookings
    return bookings.filter(practitioner__user=user)


def care_team_bookings(user):
    """Bookings whose clinical data this user may read: every booking of a patient they have an
    upcoming or past consultation with (not a cancelled one), so that a second practitioner sees
    what a colleague found before; all for clinic admins. One query, whatever the history."""
    bookings = Booking.objects.all()
    if sees_all_bookings(user):
        return bookings
    their_patients = (
        Booking.objects.filter(practitioner__user=user)
        .exclude(status=Booking.Status.CANCELLED)
        .values("patient_id")
    )
    return bookings.filter(Q(practitioner__user=user) | Q(patient_id__in=their_patients))


def sorted_flags(flags):
    """Screening flags, the most severe first."""
    return sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 99), f.treatment))


def week_grid(*, location: Location, monday: date, now: datetime):
    """A location's week: (practitioner, [each day's active bookings]) rows, Monday first;
    each booking still to come marked ``during_time_off`` when confirmed in its practitioner's
    time off."""
    days = [monday + timedelta(days=n) for n in range(7)]
    start = datetime.combine(monday, time(0), tzinfo=location.zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=location.zone)
    practitioners = list(location.practitioners.filter(is_active=True).select_related("user"))
    cells = {(p.pk, day): [] for p in practitioners for day in days}
    bookings = (
        Booking.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("patient", "consultation_type")
        # Time off saved over a booking leaves it booked: marked on it, to move or cancel, in
        # the same query.
        .annotate(
            in_time_off=Exists(
                TimeOff.objects.filter(
                    practitioner_id=OuterRef("practitioner_id"),
                    starts_at__lt=OuterRef("ends_at"),
                    ends_at__gt=OuterRef("starts_at"),
                )
            )
        )
        .order_by("starts_at")
    )
    for booking in bookings:
        key = (booking.practitioner_id, booking.starts_at.astimezone(location.zone).date())
        booking.during_time_off = (
            booking.in_time_off
            and booking.status == Booking.Status.CONFIRMED
            and booking.starts_at > now
        )
        cells.setdefault(key, []).append(booking)
    return days, [(p, [cells[(p.pk, day)] for day in days]) for p in practitioners]


@dataclass(frozen=True)
class PractitionerLoad:
    practitioner: object
    bookings: int
    booked_minutes: int
    working_minutes: int

    @property
    def percent(self) -> int | None:
        """How much of the day's working time is booked, or None on a day off."""
        if not self.working_minutes:
            return None
        return round(100 * self.booked_minutes / self.working_minutes)

    @property
    def working_hours(self) -> str:
        """Working time in hours, e.g. "8" or "7.5"."""
        return f"{self.working_minutes / 60:g}"


@dataclass(frozen=True)
class MonthDay:
    day: date
    in_month: bool
    loads: list  # PractitionerLoad of those who work, are off, or have bookings that day
    closed: str = ""  # the closure's name when the location is closed that day


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def month_load(*, location: Location, first: date) -> list[list[MonthDay]]:
    """A location's month as calendar weeks (Monday first): each day's active bookings and
    booked minutes per practitioner, against their working hours less time off.

    Five queries whatever the month holds: practitioners, hours, time off, bookings, and the
    days the location is closed (on which nobody works).
    """
    first = first.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = following + timedelta(days=(7 - following.weekday()) % 7)
    days = [grid_start + timedelta(days=n) for n in range((grid_end - grid_start).days)]
    zone = location.zone
    start = datetime.combine(grid_start, time(0), tzinfo=zone)
    end = datetime.combine(grid_end, time(0), tzinfo=zone)

    practitioners = list(location.practitioners.filter(is_active=True).select_related("user"))
    hours = {}
    for row in WorkingHours.objects.filter(location=location, practitioner__in=practitioners):
        hours.setdefault((row.practitioner_id, row.weekday), []).append(row)
    time_off = {}
    for row in TimeOff.objects.filter(
        practitioner__in=practitioners, starts_at__lt=end, ends_at__gt=start
    ):
        time_off.setdefault(row.practitioner_id, []).append(row)
    booked = {}
    for practitioner_id, starts_at, ends_at in (
        Booking.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Booking.Status.CANCELLED)
        .values_list("practitioner_id", "starts_at", "ends_at")
    ):
        key = (practitioner_id, starts_at.astimezone(zone).date())
        count, minutes = booked.get(key, (0, 0))
        booked[key] = (count + 1, minutes + _minutes(starts_at, ends_at))

    def working_minutes(practitioner, day):
        """Their weekly hours that day, and what is left of them after time off."""
        scheduled = left = 0
        for span in hours.get((practitioner.pk, day.weekday()), []):
            span_start = datetime.combine(day, span.start_time, tzinfo=zone)
            span_end = datetime.combine(day, span.end_time, tzinfo=zone)
            off = sum(
                _minutes(max(span_start, t.starts_at), min(span_end, t.ends_at))
                for t in time_off.get(practitioner.pk, [])
            )
            scheduled += _minutes(span_start, span_end)
            left += max(0, _minutes(span_start, span_end) - off)
        return scheduled, left

    closed = closed_days(location, days[0], days[-1])
    cells = []
    for day in days:
        loads = []
        for practitioner in practitioners:
            count, minutes = booked.get((practitioner.pk, day), (0, 0))
            scheduled, working = working_minutes(practitioner, day)
            if day in closed:
                # Nobody works; only who still has bookings there (to move) is listed.
                scheduled = working = 0
            # Someone on leave on a working day is listed too, as not working.
            if count or scheduled:
                loads.append(PractitionerLoad(practitioner, count, minutes, working))
        cells.append(MonthDay(day, first <= day < following, loads, closed.get(day, "")))
    return [cells[n : n + 7] for n in range(0, len(cells), 7)]


def reviewable_booking(*, user, pk: int):
    """One consultation with answers that this user may read (DoesNotExist otherwise)."""
    return (
        care_team_bookings(user)
        .select_related("patient", "practitioner__user", "consultation_type", "location", "intake")
        .get(pk=pk, intake__isnull=False)
    )


def booking_assessment(booking):
    """The consultation's assessment, with the follow-up it booked, or None."""
    return (
        Assessment.objects.filter(booking=booking)
        .select_related(
            "follow_up__practitioner__user", "follow_up__location", "follow_up__consultation_type"
        )
        .first()
    )


@dataclass(frozen=True)
class EarlierVisits:
    visits: list  # (booking, its assessment where readable, else None), newest first
    assessments: list  # the readable ones, for the audit trail
    photos: list  # readable photos of earlier visits, newest visit first


def earlier_visits(*, user, booking) -> EarlierVisits:
    """The patient's consultations before ``booking``: all of them listed, with the assessments
    and photos of those this user may read."""
    earlier = Booking.objects.filter(patient=booking.patient, starts_at__lt=booking.starts_at)
    readable = care_team_bookings(user).filter(
        patient=booking.patient, starts_at__lt=booking.starts_at
    )
    assessments = {
        a.booking_id: a for a in Assessment.objects.filter(booking__in=readable.values("pk"))
    }
    visits = [
        (visit, assessments.get(visit.pk))
        for visit in earlier.select_related("consultation_type", "practitioner__user", "location")
        .annotate(has_intake=Exists(HairLossIntake.objects.filter(booking=OuterRef("pk"))))
        .order_by("-starts_at")
    ]
    photos = (
        IntakePhoto.objects.filter(intake__booking__in=readable.values("pk"))
        .select_related("intake__booking")
        .order_by("-intake__booking__starts_at", "uploaded_at")
    )
    return EarlierVisits(visits, list(assessments.values()), list(photos))


def photos_by_view(photos, earlier_photos):
    """Rows of (view label, this visit's photos, the latest earlier visit's photos of that view),
    in the order of the photo views, so that a view can be compared side by side with the
    last time it was taken. ``earlier_photos`` come newest visit first."""
    rows = []
    for code, label in PHOTO_VIEWS:
        now = [p for p in photos if p.view == code]
        before = [p for p in earlier_photos if p.view == code]
        if before:
            latest = before[0].intake.booking_id
            before = [p for p in before if p.intake.booking_id == latest]
        if now or before:
            rows.append((label, now, before))
    return rows


def visible_photo(*, user, pk: int):
    """One scalp photo of a consultation this user may read (DoesNotExist otherwise)."""
    return IntakePhoto.objects.select_related("intake__booking").get(
        pk=pk, intake__booking__in=care_team_bookings(user)
    )


def _phone_digits(word: str) -> Q:
    """Numbers are stored in international form (+447400…), while staff type them as the
    patient says them (07400…): a word of digits also matches without its leading zeros."""
    digits = word.lstrip("0")
    if len(digits) >= 3 and digits.isascii() and digits.isdigit() and digits != word:
        return Q(phone__contains=digits)
    return Q(pk__in=[])


def _joined_numbers(words: list[str], birth_date) -> list[str]:
    """The words, with each run of numbers made one word: a phone number is said and typed in
    groups ("050 123 4567", "+971 50 123 4567", "050-123-4567", "(050) 123 4567"), while it is
    stored in one piece. A date of birth ("1985-06-01") stays as typed."""

    def is_number(word: str) -> bool:
        return word.isascii() and word.lstrip("+").isdigit()

    joined = []
    for word in words:
        if not birth_date(word):
            bare = re.sub(r"[-()]", "", word)
            word = bare if is_number(bare) else word
        if joined and is_number(joined[-1]) and is_number(word) and not word.startswith("+"):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def patient_search(query: str, *, birth_date) -> list:
    """Patients matching every word of ``query``: a date of birth (``birth_date(word)`` parses
    it), or part of a name, e-mail or phone. At most PATIENT_SEARCH_LIMIT, by name."""
    if not query:
        return []
    matches = Q()
    # "Shah, Priya" is two words; a name's accents count for nothing ("nunez" finds Núñez).
    for word in _joined_numbers(re.split(r"[\s,;]+", query.strip()), birth_date):
        if not word:
            continue
        born = birth_date(word)
        if born:
            matches &= Q(date_of_birth=born)
        else:
            # The word folded by the same function as the names it is compared with.
            typed = Func(Value(word), function="UNACCENT", output_field=CharField())
            matches &= (
                Q(first_plain__icontains=typed)
                | Q(last_plain__icontains=typed)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
                | _phone_digits(word)
            )
    found = (
        Patient.objects.annotate(
            first_plain=Func("first_name", function="UNACCENT"),
            last_plain=Func("last_name", function="UNACCENT"),
        )
        .filter(matches)
        .order_by("last_name", "first_name")
    )
    return list(found[:PATIENT_SEARCH_LIMIT])


def upcoming_bookings(patient, now: datetime, limit: int = 5) -> list:
    """The patient's confirmed bookings not over yet, soonest first (at most ``limit``), with
    what reception reads of each: for a caller booked already, before booking another."""
    return list(
        Booking.objects.filter(patient=patient, status=Booking.Status.CONFIRMED, ends_at__gt=now)
        .select_related("location", "consultation_type", "practitioner__user")
        .order_by("starts_at")[:limit]
    )


def patient_timeline(patient) -> list:
    """The patient's consultations, newest first, each marked with whether it has answers."""
    return list(
        patient.bookings.select_related("consultation_type", "practitioner__user", "location")
        .annotate(has_intake=Exists(HairLossIntake.objects.filter(booking=OuterRef("pk"))))
        .order_by("-starts_at")
    )


def clinical_records(*, user, patient) -> dict:
    """Each consultation of ``patient`` this user may review: its intake (with flags and photos)
    and assessment, by booking id, in a fixed number of queries."""
    reviewable = (
        care_team_bookings(user)
        .filter(patient=patient, intake__isnull=False)
        .select_related("intake", "assessment")
        .prefetch_related("intake__flags", "intake__photos")
    )
    return {
        booking.pk: {
            "intake": booking.intake,
            "flags": sorted_flags(booking.intake.flags.all()),
            "photos": list(booking.intake.photos.all()),
            "assessment": getattr(booking, "assessment", None),
        }
        for booking in reviewable
    }
