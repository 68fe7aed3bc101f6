"""Reads behind the staff pages: the day and week diaries, the review queue, a patient's earlier
visits and clinical records, patient search. Role rules on clinical data live here too: a
practitioner reads the consultations they see, a clinic admin reads all.

Nothing here records a read: the views record what they show, through ``clinic.audit``.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q

from bookings.models import Booking, Location
from clinic.roles import CLINIC_ADMIN, has_role
from patients.choices import PHOTO_VIEWS
from patients.models import Assessment, HairLossIntake, IntakePhoto, Patient, ScreeningFlag
from patients.screening import SEVERITY_RANK

# How long after its time a consultation without an assessment stays in the review queue.
RECENT_DAYS = 7
PATIENT_SEARCH_LIMIT = 25


def visible_bookings(user):
    """Bookings whose clinical data this user may read: their own, or all for clinic admins."""
    bookings = Booking.objects.all()
    if has_role(user, CLINIC_ADMIN):
        return bookings
    return bookings.filter(practitioner__user=user)


def sorted_flags(flags):
    """Screening flags, the most severe first."""
    return sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 99), f.treatment))


@dataclass(frozen=True)
class LocationDay:
    location: Location
    day: date
    bookings: list


def day_schedule(*, locations, day: date | None, now: datetime) -> list[LocationDay]:
    """Each location's consultations of ``day``, in one query. With ``day`` None it is "today",
    which is each location's own date: Dubai's day may have begun while London's has not."""
    bounds = {}
    for location in locations:
        local_day = day or now.astimezone(location.zone).date()
        start = datetime.combine(local_day, time(0), tzinfo=location.zone)
        bounds[location.pk] = (local_day, start, start + timedelta(days=1))
    by_location = {location.pk: [] for location in locations}
    if locations:
        bookings = Booking.objects.filter(
            starts_at__gte=min(start for _, start, _ in bounds.values()),
            starts_at__lt=max(end for _, _, end in bounds.values()),
        ).select_related("patient", "practitioner__user", "consultation_type", "location")
        for booking in bookings:
            _, start, end = bounds[booking.location_id]
            if start <= booking.starts_at < end:
                by_location[booking.location_id].append(booking)
    return [LocationDay(loc, bounds[loc.pk][0], by_location[loc.pk]) for loc in locations]


def week_grid(*, location: Location, monday: date):
    """A location's week: (practitioner, [each day's active bookings]) rows, Monday first."""
    days = [monday + timedelta(days=n) for n in range(7)]
    start = datetime.combine(monday, time(0), tzinfo=location.zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=location.zone)
    practitioners = list(location.practitioners.filter(is_active=True).select_related("user"))
    cells = {(p.pk, day): [] for p in practitioners for day in days}
    bookings = (
        Booking.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("patient", "consultation_type")
        .order_by("starts_at")
    )
    for booking in bookings:
        key = (booking.practitioner_id, booking.starts_at.astimezone(location.zone).date())
        cells.setdefault(key, []).append(booking)
    return days, [(p, [cells[(p.pk, day)] for day in days]) for p in practitioners]


def review_queue(*, user, now: datetime):
    """Upcoming and recent consultations this user reviews that have answers and no assessment
    yet, soonest first, with their screening flags prefetched."""
    return (
        visible_bookings(user)
        .filter(
            intake__isnull=False,
            assessment__isnull=True,
            status=Booking.Status.CONFIRMED,
            starts_at__gte=now - timedelta(days=RECENT_DAYS),
        )
        .select_related("patient", "practitioner__user", "consultation_type", "location")
        .prefetch_related(Prefetch("intake__flags", queryset=ScreeningFlag.objects.all()))
        .order_by("starts_at")
    )


def intake_missing(*, user, now: datetime, limit: int = 25):
    """Upcoming confirmed consultations this user reviews whose type asks for the intake before
    the visit and whose patient has not sent it yet, soonest first (at most ``limit``)."""
    return (
        visible_bookings(user)
        .filter(
            intake__isnull=True,
            consultation_type__intake_required=True,
            status=Booking.Status.CONFIRMED,
            starts_at__gte=now,
        )
        .select_related("patient", "practitioner__user", "consultation_type", "location")
        .order_by("starts_at")[:limit]
    )


def reviewable_booking(*, user, pk: int):
    """One consultation with answers that this user may review (DoesNotExist otherwise)."""
    return (
        visible_bookings(user)
        .select_related("patient", "practitioner__user", "consultation_type", "location", "intake")
        .get(pk=pk, intake__isnull=False)
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
    readable = visible_bookings(user).filter(
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
    """One scalp photo of a consultation this user may review (DoesNotExist otherwise)."""
    return IntakePhoto.objects.select_related("intake__booking").get(
        pk=pk, intake__booking__in=visible_bookings(user)
    )


def _phone_digits(word: str) -> Q:
    """Numbers are stored in international form (+447400…), while staff type them as the
    patient says them (07400…): a word of digits also matches without its leading zeros."""
    digits = word.lstrip("0")
    if len(digits) >= 3 and digits.isascii() and digits.isdigit() and digits != word:
        return Q(phone__contains=digits)
    return Q(pk__in=[])


def patient_search(query: str, *, birth_date) -> list:
    """Patients matching every word of ``query``: a date of birth (``birth_date(word)`` parses
    it), or part of a name, e-mail or phone. At most PATIENT_SEARCH_LIMIT, by name."""
    if not query:
        return []
    matches = Q()
    for word in query.split():
        born = birth_date(word)
        if born:
            matches &= Q(date_of_birth=born)
        else:
            matches &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
                | _phone_digits(word)
            )
    found = Patient.objects.filter(matches).order_by("last_name", "first_name")
    return list(found[:PATIENT_SEARCH_LIMIT])


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
        visible_bookings(user)
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
