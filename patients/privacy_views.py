"""A clinic admin exports everything held about a patient, or erases it at their request."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from clinic.audit import record_read
from clinic.staff_auth import StaffRequiredMixin
from patients.models import Patient
from patients.privacy import patient_erase, patient_export


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
    template_name = "patients/staff/erase.html"

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        return render(request, self.template_name, {"patient": patient})

    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        if patient.erased_at is not None:
            messages.info(request, "This patient's personal data was already erased.")
            return redirect("patient", pk=pk)
        if request.POST.get("confirm") != "yes":
            context = {"patient": patient, "error": "Tick the box to confirm the erasure."}
            return render(request, self.template_name, context, status=400)
        patient_erase(patient=patient)
        messages.success(
            request,
            f"Patient {patient.pk}: personal data, answers and photos erased. "
            "Their bookings remain, without their name, for the clinic's figures.",
        )
        return redirect("patient", pk=pk)
