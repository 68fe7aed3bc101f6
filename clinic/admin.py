"""The audit trail in the admin: staff reads of clinical data here, and the base every app's
change-history admin uses (bookings, patients, intakes and assessments register theirs in their
own admin.py); read-only.

Visible to roles with view permission on the history (clinic admins); nobody can add, change or
delete a record of it through the app.
"""

from django.contrib import admin

from clinic.models import ClinicalRead


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown in the admin, changed only through the app's services (or never)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditTrailAdmin(ReadOnlyAdmin):
    list_display = ["history_date", "history_user", "history_type", "history_ip_address", "id"]
    list_filter = ["history_type", "history_date", "history_user"]
    search_fields = ["id", "history_user__username", "history_ip_address"]
    date_hierarchy = "history_date"
    list_select_related = ["history_user"]


@admin.register(ClinicalRead)
class ClinicalReadAdmin(AuditTrailAdmin):
    """Staff reads of clinical data, read-only like the change history."""

    list_display = ["at", "user", "what", "object_id", "patient_id", "ip_address"]
    list_filter = ["what", "at", "user"]
    # "=patient_id" finds every read of one patient's records (the id is on their page).
    search_fields = ["user__username", "=object_id", "=patient_id", "path", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["user"]
