"""Patient records: search, a patient's page, and a clinic admin's export and erasure."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.privacy import patient_erase, patient_export
from clinic.audit import record_read, record_reads
from patients.models import Patient
from staff import selectors
from staff.auth import StaffRequiredMixin
from staff.forms import PatientSearchForm
from treatments.models import Plan


class PatientSearchView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Find a patient by name, e-mail, phone or date of birth."""

    permission_required = "patients.view_patient"
    raise_exception = True
    template_name = "staff/patient_search.html"

    def get_context_data(self, **kwargs):
        query = PatientSearchForm(self.request.GET).query()
        patients = selectors.patient_search(query, birth_date=PatientSearchForm.birth_date)
        return super().get_context_data(
            query=query, patients=patients, limit=selectors.PATIENT_SEARCH_LIMIT, **kwargs
        )


class PatientView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """A patient's contact details, the timeline of their consultations, and what staff do for
    them: book another, move or cancel an upcoming one, call or write. Staff whose role
    reads clinical data also see, for the consultations they may review, the screening flags,
    the photos and the assessment with its recommendation; those reads are recorded."""

    permission_required = "patients.view_patient"
    raise_exception = True
    template_name = "staff/patient.html"

    def get_context_data(self, **kwargs):
        # With the patient's request to be erased, if they made one from their home (no query
        # more: a join).
        patient = get_object_or_404(
            Patient.objects.select_related("erasure_request"), pk=self.kwargs["pk"]
        )
        bookings = selectors.patient_timeline(patient)
        clinical = {}
        if self.request.user.has_perm("patients.view_hairlossintake"):
            clinical = selectors.clinical_records(user=self.request.user, patient=patient)
            shown = clinical.values()
            record_reads(
                self.request, "screening flags", [(r["intake"], patient.pk) for r in shown]
            )
            assessments = [(r["assessment"], patient.pk) for r in shown if r["assessment"]]
            record_reads(self.request, "assessment", assessments)
        now = timezone.now()
        timeline = [(booking, clinical.get(booking.pk)) for booking in bookings]
        user = self.request.user
        plans = []
        if user.has_perm("treatments.view_plan"):
            plans = list(
                Plan.objects.filter(
                    patient=patient,
                    consultation__in=selectors.visible_bookings(user),
                ).select_related("practitioner__user")
            )
            record_reads(self.request, "treatment plan", [(plan, patient.pk) for plan in plans])
        elif user.has_perm("treatments.view_planstep"):
            # Reception: the plans whose visits they may book, not the plans' clinical content.
            plans = list(
                Plan.objects.filter(
                    patient=patient, status__in=[Plan.Status.ACCEPTED, Plan.Status.IN_PROGRESS]
                ).select_related("practitioner__user")
            )
            record_reads(
                self.request, "treatment plan visits", [(plan, patient.pk) for plan in plans]
            )
        return super().get_context_data(
            patient=patient,
            timeline=timeline,
            now=now,
            plans=plans,
            # The diary's own actions, offered here for this patient's upcoming consultations.
            can_book=patient.erased_at is None and user.has_perm("bookings.add_booking"),
            # A new booking starts at the location of their latest one (newest first): a Dubai
            # patient's is not offered London's times.
            book_at=bookings[0].location if bookings else None,
            can_change=user.has_perm("bookings.change_booking"),
            **kwargs,
        )


class PatientExportView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """One zip download: patient.json and the photos. The export is a recorded read."""

    permission_required = "patients.export_patient"
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        name, content = patient_export(patient=patient)
        record_read(request, "full export", patient, patient.pk)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


class PatientEraseView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Ask first, then erase: personal data and photos go, anonymous booking facts stay."""

    permission_required = "patients.erase_patient"
    raise_exception = True
    template_name = "staff/erase.html"

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        return render(request, self.template_name, {"patient": patient})

    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        if patient.erased_at is not None:
            messages.info(request, "This patient's personal data was already erased.")
            return redirect("staff:patient", pk=pk)
        if request.POST.get("confirm") != "yes":
            context = {"patient": patient, "error": "Tick the box to confirm the erasure."}
            return render(request, self.template_name, context, status=400)
        patient_erase(patient=patient)
        messages.success(
            request,
            f"Patient {patient.pk}: personal data, answers and photos erased. "
            "Their bookings remain, without their name, for the clinic's figures.",
        )
        return redirect("staff:patient", pk=pk)
