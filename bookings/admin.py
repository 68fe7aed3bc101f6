"""Configuration screens for clinic admins: locations, practitioners, hours, time off, types.

Bookings are shown read-only here: every booking change goes through the booking services, which
check the rules that the admin's plain model forms would not.
"""

from itertools import pairwise

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    TimeOff,
    WorkingHours,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "phone"]
    search_fields = ["name", "address"]


class WorkingHoursFormSet(BaseInlineFormSet):
    """Refuse overlapping spans among the rows submitted together, not only against saved ones."""

    def clean(self):
        super().clean()
        spans = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if (
                not data
                or data.get("DELETE")
                or not data.get("start_time")
                or not data.get("end_time")
            ):
                continue
            spans.append((data["weekday"], data["start_time"], data["end_time"]))
        spans.sort()
        for (day, start, end), (next_day, next_start, _) in pairwise(spans):
            if day == next_day and next_start < end:
                weekday = WorkingHours.Weekday(day).label
                raise ValidationError(
                    f"Two spans overlap on {weekday}: {start:%H:%M}–{end:%H:%M} and one "
                    f"starting at {next_start:%H:%M}. A practitioner can be in one place at a time."
                )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 1
    fields = ["weekday", "start_time", "end_time", "location"]


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ["starts_at", "ends_at", "reason", "note"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "title", "is_active"]
    list_filter = ["is_active", "locations"]
    search_fields = ["user__first_name", "user__last_name", "user__email", "title"]
    filter_horizontal = ["locations"]
    list_select_related = ["user"]
    inlines = [WorkingHoursInline, TimeOffInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Hours at a location mean the practitioner works there, so patients are offered them.
        hour_locations = form.instance.working_hours.values_list("location", flat=True)
        form.instance.locations.add(*set(hour_locations))

    @admin.display(description="Name", ordering="user__last_name")
    def display_name(self, obj):
        return obj.display_name


@admin.register(ConsultationType)
class ConsultationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "mode", "duration_minutes", "price", "is_active"]
    list_filter = ["mode", "is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["practitioners"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "mode", "price", "is_active"]}),
        (
            "Timing",
            {
                "fields": [
                    "duration_minutes",
                    "buffer_before_minutes",
                    "buffer_after_minutes",
                    "slot_interval_minutes",
                ]
            },
        ),
        ("Booking rules", {"fields": ["min_notice_hours", "horizon_days", "late_cancel_hours"]}),
        ("Who offers it", {"fields": ["practitioners"]}),
    ]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "starts_at", "ends_at", "reason", "note"]
    list_filter = ["reason", "practitioner"]
    search_fields = ["note", "practitioner__user__first_name", "practitioner__user__last_name"]
    date_hierarchy = "starts_at"
    list_select_related = ["practitioner__user"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = [
        "starts_at",
        "patient",
        "practitioner",
        "consultation_type",
        "location",
        "status",
    ]
    list_filter = ["status", "location", "consultation_type", "practitioner"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__email"]
    date_hierarchy = "starts_at"
    list_select_related = ["patient", "practitioner__user", "consultation_type", "location"]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
