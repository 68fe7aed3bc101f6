"""Practitioners' review of intakes: the queue, the consultation review page, the photos.

Every view here that reads clinical data records the read in the audit trail through
``clinic.audit.record_reads``, the one place reads are written. A practitioner sees the
consultations they see; a clinic admin sees all.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.models import Booking
from bookings.services import BookingError
from clinic.audit import record_read, record_reads
from clinic.roles import CLINIC_ADMIN, has_role
from clinic.staff_auth import StaffRequiredMixin
from patients.assessment_forms import AssessmentForm
from patients.choices import PHOTO_VIEWS
from patients.forms import IntakeForm
from patients.models import Assessment, HairLossIntake, IntakePhoto, Patient, ScreeningFlag
from patients.screening import SEVERITY_RANK
from patients.services import recommendation_record

RECENT_DAYS = 7
QUEUE_PAGE_SIZE = 25


def visible_bookings(user):
    """Bookings whose clinical data this user may read: their own, or all for clinic admins."""
    bookings = Booking.objects.all()
    if has_role(user, CLINIC_ADMIN):
        return bookings
    return bookings.filter(practitioner__user=user)


class ClinicalAccessMixin(StaffRequiredMixin, PermissionRequiredMixin):
    permission_required = "patients.view_hairlossintake"
    raise_exception = True


def sorted_flags(flags):
    return sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 99), f.treatment))


class ReviewQueueView(ClinicalAccessMixin, TemplateView):
    """Upcoming and recent consultations with an intake and no assessment yet, soonest first,
    flags shown."""

    template_name = "patients/staff/review_queue.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        bookings = (
            visible_bookings(self.request.user)
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
        # A page at a time, so that a full diary costs the same as a quiet one.
        page = Paginator(bookings, QUEUE_PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = [(booking, sorted_flags(booking.intake.flags.all())) for booking in page]
        record_reads(self.request, "screening flags", [(b.intake, b.patient_id) for b, _ in rows])
        return super().get_context_data(rows=rows, page=page, now=now, **kwargs)


class ReviewView(ClinicalAccessMixin, TemplateView):
    """One consultation's intake, laid out for a clinician: flags first, photos by view."""

    template_name = "patients/staff/review.html"

    def get_context_data(self, **kwargs):
        booking = get_object_or_404(
            visible_bookings(self.request.user).select_related(
                "patient", "practitioner__user", "consultation_type", "location", "intake"
            ),
            pk=self.kwargs["pk"],
            intake__isnull=False,
        )
        intake = booking.intake
        record_read(self.request, "intake", intake, booking.patient_id)
        assessment = Assessment.objects.filter(booking=booking).first()
        if assessment:
            record_read(self.request, "assessment", assessment, booking.patient_id)
        answers = IntakeForm(data=_as_form_data(IntakeForm.initial_from(intake)))
        answers.is_valid()
        photos = list(intake.photos.all())
        previous, earlier_photos = self.earlier_visits(booking)
        return super().get_context_data(
            booking=booking,
            intake=intake,
            flags=sorted_flags(intake.flags.all()),
            answers=answers,
            photos=photos,
            photo_rows=photos_by_view(photos, earlier_photos),
            previous=previous,
            assessment=assessment,
            **kwargs,
        )

    def earlier_visits(self, booking):
        """The patient's earlier consultations, each with its assessment where this user may
        read it, and the photos of the latest earlier visit for each view; reads recorded."""
        earlier = Booking.objects.filter(patient=booking.patient, starts_at__lt=booking.starts_at)
        readable = visible_bookings(self.request.user).filter(
            patient=booking.patient, starts_at__lt=booking.starts_at
        )
        assessments = {
            a.booking_id: a for a in Assessment.objects.filter(booking__in=readable.values("pk"))
        }
        record_reads(
            self.request, "assessment", [(a, booking.patient_id) for a in assessments.values()]
        )
        previous = [
            (visit, assessments.get(visit.pk))
            for visit in earlier.select_related(
                "consultation_type", "practitioner__user", "location"
            )
            .annotate(has_intake=Exists(HairLossIntake.objects.filter(booking=OuterRef("pk"))))
            .order_by("-starts_at")
        ]
        photos = (
            IntakePhoto.objects.filter(intake__booking__in=readable.values("pk"))
            .select_related("intake__booking")
            .order_by("-intake__booking__starts_at", "uploaded_at")
        )
        return previous, list(photos)


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


def _as_form_data(initial):
    """Turn saved answers back into the shape a bound form expects (lists for lists)."""
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in initial.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


class StaffPhotoView(ClinicalAccessMixin, View):
    """Serve one scalp photo to staff allowed to see that consultation, and record it."""

    def get(self, request, pk):
        photo = get_object_or_404(
            IntakePhoto.objects.select_related("intake__booking"),
            pk=pk,
            intake__booking__in=visible_bookings(request.user),
        )
        record_read(request, "photo", photo, photo.intake.booking.patient_id)
        response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response


class AssessmentView(ClinicalAccessMixin, View):
    """Record the assessment and recommendation; optionally book the follow-up."""

    permission_required = ("patients.view_hairlossintake", "patients.add_assessment")
    template_name = "patients/staff/assessment.html"

    def booking(self):
        return get_object_or_404(
            visible_bookings(self.request.user).select_related(
                "patient", "practitioner__user", "location", "consultation_type"
            ),
            pk=self.kwargs["pk"],
        )

    def get(self, request, pk):
        booking = self.booking()
        existing = Assessment.objects.filter(booking=booking).first()
        initial = {}
        if existing:
            record_read(request, "assessment", existing, booking.patient_id)
            initial = {name: getattr(existing, name) for name in AssessmentForm.MODEL_FIELDS}
        form = AssessmentForm(initial=initial)
        return render(
            request, self.template_name, {"booking": booking, "form": form, "existing": existing}
        )

    def post(self, request, pk):
        booking = self.booking()
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                _, follow_up = recommendation_record(
                    booking=booking,
                    author=request.user,
                    values=form.values(),
                    sign_off=form.cleaned_data["sign_off"],
                    follow_up=form.follow_up(),
                    now=timezone.now(),
                )
            except BookingError as error:
                form.add_error(None, error.message)
            else:
                done = "Assessment saved."
                if follow_up:
                    local = timezone.localtime(follow_up.starts_at, booking.location.zone)
                    done += f" Follow-up booked for {local:%A %-d %B, %H:%M}."
                messages.success(request, done)
                return redirect("review", pk=booking.pk)
        existing = Assessment.objects.filter(booking=booking).first()
        context = {"booking": booking, "form": form, "existing": existing}
        return render(request, self.template_name, context, status=400)


class PatientSearchView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Find a patient by name, e-mail, phone or date of birth."""

    permission_required = "patients.view_patient"
    raise_exception = True
    template_name = "patients/staff/patient_search.html"
    LIMIT = 25

    def get_context_data(self, **kwargs):
        # NUL bytes cannot be sent to PostgreSQL in a query, and no name or e-mail holds one.
        query = self.request.GET.get("q", "").replace("\x00", "").strip()[:100]
        patients = []
        if query:
            matches = Q()
            for word in query.split():
                born = _parse_birth_date(word)
                if born:
                    matches &= Q(date_of_birth=born)
                else:
                    matches &= (
                        Q(first_name__icontains=word)
                        | Q(last_name__icontains=word)
                        | Q(email__icontains=word)
                        | Q(phone__icontains=word)
                    )
            patients = list(
                Patient.objects.filter(matches).order_by("last_name", "first_name")[: self.LIMIT]
            )
        return super().get_context_data(query=query, patients=patients, limit=self.LIMIT, **kwargs)


def _parse_birth_date(word):
    from datetime import datetime

    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(word, pattern).date()
        except ValueError:
            continue
    return None


class PatientView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """A patient's contact details and the timeline of their consultations. Staff whose role
    reads clinical data also see, for the consultations they may review, the screening flags,
    the photos and the assessment with its recommendation; those reads are recorded."""

    permission_required = "patients.view_patient"
    raise_exception = True
    template_name = "patients/staff/patient.html"

    def get_context_data(self, **kwargs):
        patient = get_object_or_404(Patient, pk=self.kwargs["pk"])
        bookings = list(
            patient.bookings.select_related("consultation_type", "practitioner__user", "location")
            .annotate(has_intake=Exists(HairLossIntake.objects.filter(booking=OuterRef("pk"))))
            .order_by("-starts_at")
        )
        clinical = {}
        if self.request.user.has_perm("patients.view_hairlossintake"):
            clinical = self.clinical_records(patient)
        timeline = [(booking, clinical.get(booking.pk)) for booking in bookings]
        return super().get_context_data(patient=patient, timeline=timeline, **kwargs)

    def clinical_records(self, patient):
        """Each reviewable consultation's intake (with flags and photos) and assessment, by
        booking id, in a fixed number of queries; recorded as read."""
        reviewable = (
            visible_bookings(self.request.user)
            .filter(patient=patient, intake__isnull=False)
            .select_related("intake", "assessment")
            .prefetch_related("intake__flags", "intake__photos")
        )
        records = {}
        for booking in reviewable:
            records[booking.pk] = {
                "intake": booking.intake,
                "flags": sorted_flags(booking.intake.flags.all()),
                "photos": list(booking.intake.photos.all()),
                "assessment": getattr(booking, "assessment", None),
            }
        shown = records.values()
        record_reads(self.request, "screening flags", [(r["intake"], patient.pk) for r in shown])
        assessments = [(r["assessment"], patient.pk) for r in shown if r["assessment"]]
        record_reads(self.request, "assessment", assessments)
        return records
