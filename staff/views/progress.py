"""Progress across visits: a visit's measures, the clinic's standard photos, the patient's
timeline with trend charts, and two visits side by side.

A practitioner records measures and photos at the visits they see (a clinic admin at any), and
reads the progress of every patient in their care (``staff.selectors.care_team_bookings``).
Every read of measures and photos, and every change, is in the audit trail.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from bookings.models import Booking
from clinic import seen
from clinic.audit import record_read, record_reads, record_reads_by_kind
from clinic.roles import CLINIC_ADMIN, has_role
from patients import choices
from patients.models import ClinicPhoto, Patient, VisitMeasures
from patients.photos import PhotoError, PixelBudget, clean_photo
from patients.progress import (
    MEASURE_FIELDS,
    MEASURES_CHANGED,
    ProgressError,
    clinic_photo_store,
    measures_record,
    visit_check_open,
)
from staff import progress, selectors
from staff.auth import StaffRequiredMixin
from staff.progress_forms import ClinicPhotoForm, CompareForm, MeasuresForm
from staff.views.photo_file import photo_file_response
from treatments.selectors import course_marks

CHECKLIST = [
    "The same light as last time: the clinic's photo lamp on, the window blind down.",
    "Hair dry, combed and parted the same way as in the earlier photo.",
    "The same distance and angle: match the earlier photo's framing.",
]


class ProgressAccessMixin(StaffRequiredMixin, PermissionRequiredMixin):
    permission_required = "patients.view_visitmeasures"
    raise_exception = True


def own_visit_or_404(request, pk):
    """A visit this user works on (their own, or any for a clinic admin)."""
    try:
        return (
            selectors.visible_bookings(request.user)
            .select_related("patient", "practitioner__user", "consultation_type", "location")
            .get(pk=pk)
        )
    except Booking.DoesNotExist:
        raise Http404("No visit of yours.") from None


class VisitMeasuresView(ProgressAccessMixin, View):
    """Record or correct the practitioner's measures of one visit."""

    permission_required = ("patients.view_visitmeasures", "patients.add_visitmeasures")
    template_name = "staff/visit_measures.html"

    def get(self, request, pk):
        booking = own_visit_or_404(request, pk)
        existing = VisitMeasures.objects.filter(booking=booking).first()
        initial = {}
        if existing:
            record_read(request, "measures", existing, booking.patient_id)
            initial = {name: getattr(existing, name) for name in MEASURE_FIELDS}
        return self.page(booking, MeasuresForm(initial=initial), existing)

    def post(self, request, pk):
        booking = own_visit_or_404(request, pk)
        form = MeasuresForm(request.POST)
        # Refused for another reason, the page still shows the measures as it did: a save made
        # by someone else meanwhile must still be caught on the next try.
        shown = seen.posted(request.POST)
        if form.is_valid():
            try:
                measures_record(
                    booking=booking,
                    author=request.user,
                    values=form.cleaned_data,
                    now=timezone.now(),
                    seen=shown,
                )
            except ProgressError as error:
                form.add_error(None, error.message)
                if error.message == MEASURES_CHANGED:
                    shown = None  # seen now: saving again replaces them knowingly
            else:
                messages.success(request, "Measures saved.")
                return redirect("staff:timeline", pk=booking.patient_id)
        existing = VisitMeasures.objects.filter(booking=booking).first()
        return self.page(booking, form, existing, status=400, seen_version=shown)

    def page(self, booking, form, existing, status=200, seen_version=None):
        # The figures of the visit before, beside each field: a slip of the finger (180 for 18)
        # shows at once.
        previous = (
            VisitMeasures.objects.filter(
                booking__in=selectors.care_team_bookings(self.request.user).filter(
                    patient=booking.patient_id, starts_at__lt=booking.starts_at
                )
            )
            .select_related("booking__location")
            .order_by("-booking__starts_at")
            .first()
        )
        if previous:
            record_read(self.request, "measures", previous, booking.patient_id)
        zones = [
            (
                label,
                form[density],
                form[thin],
                getattr(previous, density, None),
                getattr(previous, thin, None),
            )
            for label, density, thin in form.ZONE_ROWS
        ]
        context = {
            "booking": booking,
            "form": form,
            "existing": existing,
            "seen": seen.version(existing) if seen_version is None else seen_version,
            # Said before anything is typed, not only when the save is refused.
            "not_open": _why_not_open(booking),
            "previous": previous,
            "zones": zones,
        }
        return render(self.request, self.template_name, context, status=status)


def _why_not_open(booking) -> str:
    """Why nothing can be recorded for the visit yet (or ever); "" when it can."""
    try:
        visit_check_open(booking=booking, now=timezone.now())
    except ProgressError as error:
        return error.message
    return ""


def _earlier_photos(user, booking):
    """The latest earlier clinic photo of each view of the patient, as a framing guide."""
    earlier = (
        ClinicPhoto.objects.filter(
            booking__in=selectors.care_team_bookings(user).filter(
                patient=booking.patient_id, starts_at__lt=booking.starts_at
            )
        )
        .select_related("booking")
        .order_by("booking__starts_at")
    )
    return {photo.view: photo for photo in earlier}  # the latest wins


class VisitPhotosView(ProgressAccessMixin, View):
    """Photograph the standard views of a visit, each beside the last visit's as a guide."""

    permission_required = ("patients.view_visitmeasures", "patients.add_clinicphoto")
    template_name = "staff/visit_photos.html"

    def get(self, request, pk):
        return self.page(own_visit_or_404(request, pk))

    def post(self, request, pk):
        booking = own_visit_or_404(request, pk)
        form = ClinicPhotoForm(request.POST, request.FILES)
        if not form.is_valid():
            if "view" in form.errors:
                return self.page(booking, general="Choose one of the standard views.", status=400)
            errors = {form.cleaned_data["view"]: "Choose a photo to upload."}
            return self.page(booking, errors=errors, status=400)
        view = form.cleaned_data["view"]
        try:
            content, width, height = clean_photo(form.cleaned_data["photo"], PixelBudget())
            clinic_photo_store(
                booking=booking,
                view=view,
                content=content,
                width=width,
                height=height,
                author=request.user,
                now=timezone.now(),
            )
        except (PhotoError, ProgressError) as error:
            message = error.message if isinstance(error, ProgressError) else str(error)
            return self.page(booking, errors={view: message}, status=400)
        label = dict(choices.CLINIC_PHOTO_VIEWS)[view]
        messages.success(request, f"{label} photo saved.")
        return redirect(reverse("staff:visit_photos", args=[booking.pk]) + f"#view-{view}")

    def page(self, booking, errors=None, general=None, status=200):
        errors = errors or {}
        taken = {photo.view: photo for photo in ClinicPhoto.objects.filter(booking=booking)}
        earlier = _earlier_photos(self.request.user, booking)
        record_reads(
            self.request,
            "clinic photo",
            [(p, booking.patient_id) for p in [*taken.values(), *earlier.values()]],
        )
        views = [
            {
                "code": code,
                "label": label,
                "photo": taken.get(code),
                "guide": earlier.get(code),
                "error": errors.get(code),
                "form": ClinicPhotoForm(initial={"view": code}),
            }
            for code, label in choices.CLINIC_PHOTO_VIEWS
        ]
        context = {
            "booking": booking,
            "views": views,
            "checklist": CHECKLIST,
            "general_error": general,
            "done": len(taken),
            "total": len(views),
        }
        return render(self.request, self.template_name, context, status=status)


class ClinicPhotoFileView(ProgressAccessMixin, View):
    """Serve one clinic photo to staff of the patient's care team, and record it."""

    permission_required = "patients.view_clinicphoto"

    def get(self, request, pk):
        try:
            photo = ClinicPhoto.objects.select_related("booking").get(
                pk=pk, booking__in=selectors.care_team_bookings(request.user)
            )
        except ClinicPhoto.DoesNotExist:
            raise Http404("No such photo.") from None
        record_read(request, "clinic photo", photo, photo.booking.patient_id)
        return photo_file_response(
            request, photo, unaffected="The other photos and the measures are"
        )


def _record_shown(request, visits):
    # One audit write for everything the page shows, whichever kinds of record it holds.
    record_reads_by_kind(request, progress.shown_records(visits))


def _editable(user, visits):
    """The visits this user may record measures and photos for: their own, or all for a clinic
    admin (``selectors.visible_bookings``), decided without a query per visit."""
    if not user.has_perm("patients.add_visitmeasures"):
        return set()
    if has_role(user, CLINIC_ADMIN):
        return {v.booking.pk for v in visits}
    return {v.booking.pk for v in visits if v.booking.practitioner.user_id == user.pk}


class TimelineView(ProgressAccessMixin, View):
    """A patient's visits: each standard view in a row across visits, and the measures as
    trend charts with their figures in tables."""

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        visits = progress.progress_visits(user=request.user, patient=patient)
        _record_shown(request, visits)
        # Treatment sessions and the judge-at window come from the patient's treatment plans.
        sessions, judge = course_marks(patient)
        context = {
            "patient": patient,
            "visits": visits,
            "photo_rows": progress.photo_rows(visits),
            "charts": progress.measure_charts(visits, sessions=sessions, judge_window=judge),
            "since_start": progress.since_start(visits),
            "latest_notes": [v for v in visits if v.measures and v.measures.notes][-3:],
            "editable": _editable(request.user, visits),
        }
        return render(request, "staff/timeline.html", context)


class CompareView(ProgressAccessMixin, View):
    """Two visits of a patient side by side: photos view by view, and each measure's change."""

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        visits = progress.progress_visits(user=request.user, patient=patient)
        first, second = CompareForm(request.GET).chosen()
        compare = progress.comparison(visits, first, second) if visits else None
        if compare:
            shown = [compare["first"], compare["second"]]
            _record_shown(request, shown if shown[0] is not shown[1] else shown[:1])
        context = {"patient": patient, "visits": visits, "compare": compare}
        return render(request, "staff/compare.html", context)
