"""Reception books a consultation for a patient who phones: the same services and rules as the
public flow, without the online notice and horizon.

The page is one form. Its buttons other than "Book" (show free times, another day, find a
patient, book for the patient found, someone else) send everything typed so far and get the
page back with it, so nothing is lost; with htmx only the part that changed is swapped in, and
without JavaScript the whole page comes back the same way.
"""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from bookings import drafts, selectors
from bookings.models import ConsultationType, Location, Practitioner
from bookings.services import BookingError, phone_booking_create
from clinic.times import format_local
from patients.models import Patient
from staff.auth import StaffRequiredMixin
from staff.forms import PatientSearchForm, PhoneBookingForm, bookable_day
from staff.selectors import patient_search, upcoming_bookings
from staff.views.today import back_to_day

# A patient's visits still to come listed on the page; more are on their page.
UPCOMING_SHOWN = 5
PATIENT_GONE = (
    "That patient's record could not be found (or their data was erased): find them again, "
    "or type their details."
)


def _choice(params):
    """Read the consultation, location, practitioner and day chosen, with safe defaults."""
    types = list(ConsultationType.objects.filter(is_active=True))
    consultation_type = next(
        (t for t in types if t.slug == params.get("type")), types[0] if types else None
    )
    locations = list(Location.objects.all())
    location = next(
        (loc for loc in locations if str(loc.pk) == params.get("location")),
        locations[0] if locations else None,
    )
    practitioners = (
        list(selectors.eligible_practitioners(consultation_type, location))
        if consultation_type and location
        else []
    )
    asked = (params.get("practitioner") or "").strip()
    asked_pk = _primary_key(asked)
    practitioner = next((p for p in practitioners if p.pk == asked_pk), None)
    today = timezone.now().astimezone(location.zone).date() if location else date.today()
    notes = []
    # A practitioner chosen, then a location or consultation they do not offer (or one no
    # longer on file): the times are the first available's, and the page says so rather than
    # changing who silently.
    not_here = ""
    if practitioner is None and asked not in ("", "any") and location and consultation_type:
        named = (
            Practitioner.objects.select_related("user").filter(pk=asked_pk).first()
            if asked_pk is not None
            else None
        )
        not_here = named.display_name if named else "The practitioner chosen"
    if (
        consultation_type
        and location
        and consultation_type.is_procedure
        and selectors.needed_resources(consultation_type, location) is None
    ):
        notes.append(
            f"{consultation_type.name} cannot be booked at {location.name}: the rooms and "
            "equipment it needs are at another location."
        )
    if not_here:
        notes.append(
            f"{not_here} does not see {consultation_type.name} at {location.name}: the "
            "times shown are the first available practitioner's."
        )
    day = bookable_day(params, today=today, horizon=selectors.STAFF_HORIZON, notes=notes)
    return {
        "not_here": not_here,
        "day_notes": notes,
        "last_day": today + selectors.STAFF_HORIZON,
        "types": types,
        "consultation_type": consultation_type,
        "locations": locations,
        "location": location,
        "practitioners": practitioners,
        "practitioner": practitioner,
        "day": day,
        "today": today,
    }


def _primary_key(value: str) -> int | None:
    """``value`` as a primary key a table can hold (ASCII digits, within a bigint), else None:
    "²" is a digit to ``isdigit`` but not to ``int``."""
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def chosen_patient(value) -> tuple[Patient | None, str]:
    """The patient on file a booking is for (``patient`` in the form), and what went wrong:
    nothing chosen is (None, ""); one that is not there, or was erased, is (None, a reason)."""
    value = (value or "").strip()
    if not value:
        return None, ""
    patient = None
    pk = _primary_key(value)
    if pk is not None:
        patient = Patient.objects.filter(pk=pk, erased_at__isnull=True).first()
    return (patient, "") if patient else (None, PATIENT_GONE)


def _region(choice) -> str | None:
    """The country whose numbers reception may write without a country code: the chosen
    location's, as the patient's own booking form reads them (a Dubai mobile, 050 …)."""
    return choice["location"].country if choice["location"] else None


def _action(post) -> str:
    """Which button sent the form; a form sent without one books, as before."""
    if post.get("use_patient"):
        return "use"
    return post.get("action", "book")


class PhoneBookingView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.add_booking"
    raise_exception = True
    template_name = "staff/phone_booking.html"

    def render_page(self, request, choice, form, *, status=200, alternatives=(), found=None):
        slots, closed = [], ""
        if choice["consultation_type"] and choice["location"]:
            free = selectors.available_slots(
                consultation_type=choice["consultation_type"],
                location=choice["location"],
                first_day=choice["day"],
                last_day=choice["day"],
                practitioner=choice["practitioner"],
                by_staff=True,
            )
            slots, closed = free.slots, free.closed.get(choice["day"], "")
        # A caller booked already: their next visits, each at its location's clock, so that
        # reception can move one rather than book a second.
        upcoming = [
            (format_local(b.starts_at, b.location.zone, "l j F Y, H:i"), b)
            for b in (
                upcoming_bookings(form.patient, timezone.now(), limit=UPCOMING_SHOWN + 1)
                if form.patient and request.user.has_perm("patients.view_patient")
                else []
            )
        ]
        context = {
            **choice,
            "form": form,
            "patient": form.patient,
            "upcoming": upcoming[:UPCOMING_SHOWN],
            # One more read than shown: whether there are others, on the patient's page.
            "more_upcoming": len(upcoming) > UPCOMING_SHOWN,
            "slots": slots,
            "closed": closed,
            "alternatives": alternatives,
            "can_find": request.user.has_perm("patients.view_patient"),
            "find": request.POST.get("find", "") if request.method == "POST" else "",
            "found": found,
            "previous_day": choice["day"] - timedelta(days=1),
            "next_day": choice["day"] + timedelta(days=1),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        patient = None
        if request.user.has_perm("patients.view_patient"):
            patient, _ = chosen_patient(request.GET.get("patient"))
        choice = _choice(request.GET)
        form = PhoneBookingForm(patient=patient, region=_region(choice))
        return self.render_page(request, choice, form)

    def post(self, request):
        action = _action(request.POST)
        if action != "book":
            return self.refresh(request, action)
        choice = _choice(request.POST)
        patient, gone = chosen_patient(request.POST.get("patient"))
        form = PhoneBookingForm(request.POST, patient=patient, region=_region(choice))
        if gone:
            form.add_error(None, gone)
        starts_at = drafts.parse_start(request.POST.get("start", ""))
        chosen_type = choice["consultation_type"]
        if chosen_type is None or chosen_type.slug != request.POST.get("type"):
            form.add_error(None, "Choose the consultation again: that one is not offered.")
        if starts_at is None:
            form.add_error(None, "Choose a time for the consultation.")
        if choice["not_here"]:
            # Booked as sent, it would go to someone else without anyone having chosen them.
            form.add_error(
                None,
                f"{choice['not_here']} does not see this consultation at "
                f"{choice['location'].name}: choose a practitioner who does, or First "
                "available, then a time.",
            )
        if not form.is_valid():
            return self.render_page(request, choice, form, status=400)
        try:
            booking = phone_booking_create(
                details=None if patient else form.cleaned_data,
                patient=patient,
                consultation_type=choice["consultation_type"],
                location=choice["location"],
                starts_at=starts_at,
                practitioner=choice["practitioner"],
            )
        except BookingError as error:
            form.add_error(None, error.message)
            return self.render_page(
                request, choice, form, status=409, alternatives=error.alternatives
            )
        when = format_local(booking.starts_at, booking.location.zone, "l j F Y, H:i")
        # "First available" books by id: the one chosen is among those read with their names
        # for the page (unless they were added since).
        practitioner = (
            next(
                (p for p in choice["practitioners"] if p.pk == booking.practitioner_id),
                None,
            )
            or booking.practitioner
        )
        messages.success(
            request,
            f"Booked {booking.patient.full_name} with {practitioner.display_name}, "
            f"{when}, at {booking.location.name}. Their confirmation e-mail and private link "
            "are on the way.",
        )
        return back_to_day(booking)

    def refresh(self, request, action):
        """The page again with everything typed kept, after a button that books nothing."""
        params = request.POST.copy()
        if action in ("earlier", "later"):
            # From the day shown, one day either way (the day field holds the day shown).
            shown = _choice(request.POST)["day"]
            step = -1 if action == "earlier" else 1
            params["day"] = (shown + timedelta(days=step)).isoformat()
        choice = _choice(params)
        can_find = request.user.has_perm("patients.view_patient")
        patient = None
        if action == "use" and can_find:
            patient, _ = chosen_patient(request.POST.get("use_patient"))
        elif action != "someone_else":
            patient, _ = chosen_patient(request.POST.get("patient"))
        found = None
        if action == "find" and can_find:
            query = PatientSearchForm({"q": request.POST.get("find", "")}).query()
            found = [
                p
                for p in patient_search(query, birth_date=PatientSearchForm.birth_date)
                if p.erased_at is None
            ]
        # Unbound, from what was sent: the page comes back as typed, with no error shown for
        # a field not filled in yet.
        typed = {name: params.get(name) for name in params if name != "csrfmiddlewaretoken"}
        if action in ("use", "someone_else"):
            # Another person now: their agreement is asked afresh, not carried over.
            typed = {name: value for name, value in typed.items() if not name.startswith("consent")}
        form = PhoneBookingForm(initial=typed, patient=patient, region=_region(choice))
        for name, field in form.fields.items():
            if isinstance(field.widget, forms.MultiWidget):
                # A field of several boxes (the date of birth) is typed as its parts.
                form.initial[name] = field.widget.value_from_datadict(params, {}, name)
        return self.render_page(request, choice, form, found=found)
