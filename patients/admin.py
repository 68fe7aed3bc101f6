from django import forms
from django.contrib import admin
from django.utils import timezone

from clinic.admin import AuditTrailAdmin
from patients.models import Assessment, HairLossIntake, Patient, ScreeningRule


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "email", "phone", "date_of_birth"]

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate() or born.year < 1900:
            raise forms.ValidationError(
                "Check the date of birth: it is in the future or before 1900."
            )
        return born


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    """Contact details, corrected by reception. What the patient's own flows own is shown, not
    edited: the erasure (only the erase page erases, and it removes the data too), and a new
    e-mail address waiting for the patient to confirm it."""

    form = PatientForm
    list_display = ["full_name", "email", "phone", "date_of_birth", "created_at"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "erased_at", "pending_email"]

    def has_change_permission(self, request, obj=None):
        # An erased patient's row is what is left after the erasure: nothing to correct.
        if obj is not None and obj.erased_at is not None:
            return False
        return super().has_change_permission(request, obj)


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(admin.ModelAdmin):
    """Clinic admins keep the screening rules: an answer to a question flags a treatment."""

    list_display = ["question", "answer", "treatment", "severity", "is_active"]
    list_filter = ["severity", "treatment", "question", "is_active"]
    search_fields = ["reason"]
    list_editable = ["is_active"]


# The change history of patients, intakes and assessments, in the audit trail.
for audited_model in (Patient, HairLossIntake, Assessment):
    admin.site.register(audited_model.history.model, AuditTrailAdmin)
