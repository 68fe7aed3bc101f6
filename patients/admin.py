from django.contrib import admin

from clinic.admin import AuditTrailAdmin
from patients.models import Assessment, HairLossIntake, Patient, ScreeningRule


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "phone", "date_of_birth", "created_at"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    date_hierarchy = "created_at"


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
