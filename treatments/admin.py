"""Clinic admins edit protocols (steps inline, prices inline on each step) and consent texts.

Plans are read-only here: every change of a plan goes through treatments.services, which keep
its status moves and windows right.
"""

from django.contrib import admin

from clinic.admin import AuditTrailAdmin, ReadOnlyAdmin
from treatments.models import (
    ConsentText,
    Plan,
    PlanConsent,
    PlanStep,
    Protocol,
    ProtocolStep,
    StepPrice,
)


class ProtocolStepInline(admin.StackedInline):
    model = ProtocolStep
    extra = 0
    fields = [
        ("order", "kind", "name"),
        "consultation_type",
        ("min_days_after", "max_days_after"),
        "preparation",
        "aftercare",
    ]
    show_change_link = True


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "treatment", "judge_from_months", "judge_to_months", "is_active"]
    list_filter = ["treatment", "is_active"]
    search_fields = ["name"]
    inlines = [ProtocolStepInline]


class StepPriceInline(admin.TabularInline):
    model = StepPrice
    extra = 0
    fields = ["location", "amount", "currency"]


@admin.register(ProtocolStep)
class ProtocolStepAdmin(admin.ModelAdmin):
    """A step's prices per location: reached from its protocol's page."""

    list_display = ["protocol", "order", "name", "kind", "consultation_type"]
    list_filter = ["protocol", "kind"]
    list_select_related = ["protocol", "consultation_type"]
    inlines = [StepPriceInline]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """A signed consent keeps its own copy of the text, so a new wording is a new version."""

    list_display = ["treatment", "version", "created_at"]
    list_filter = ["treatment"]


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 0
    fields = ["order", "name", "earliest", "latest", "booking", "status"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ["pk", "patient", "practitioner", "status", "created_at"]
    list_filter = ["status", "location"]
    list_select_related = ["patient", "practitioner__user"]
    inlines = [PlanStepInline]
    exclude = ["consultation", "assessment"]


@admin.register(PlanConsent)
class PlanConsentAdmin(ReadOnlyAdmin):
    list_display = ["plan", "version", "signed_name", "signed_at", "ip_address"]


admin.site.register(Plan.history.model, AuditTrailAdmin)
admin.site.register(PlanStep.history.model, AuditTrailAdmin)
