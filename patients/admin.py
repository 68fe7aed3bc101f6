from django.contrib import admin

from patients.models import Patient, ScreeningRule


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
