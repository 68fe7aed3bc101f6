"""Configuration screens for clinic admins: locations and the days they are closed,
practitioners, hours, time off (in ``time_off_admin``), consultation and procedure types, rooms
and equipment with their hours.

Bookings are shown read-only here: every booking change goes through the booking services, which
check the rules that the admin's plain model forms would not.
"""

from collections import defaultdict
from itertools import pairwise

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from bookings.models import (
    Booking,
    Closure,
    ConsultationType,
    Location,
    Practitioner,
    Resource,
    ResourceHours,
    TimeOff,
    WorkingHours,
)
from bookings.time_off_admin import (
    TimeOffInline,
    warn_of_bookings,
    warn_of_bookings_on_closure,
    warn_of_bookings_outside_hours,
)
from clinic.admin import AuditTrailAdmin, ReadOnlyAdmin


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "phone"]
    search_fields = ["name", "address"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Days a location is closed (bank holidays, the Christmas break): no one can book there
    on them. Bookings already made on them are named, to be moved."""

    list_display = ["name", "location", "first_day", "last_day"]
    list_filter = ["location"]
    search_fields = ["name"]
    date_hierarchy = "first_day"
    list_select_related = ["location"]
    fields = ["location", "name", "first_day", "last_day"]

    def get_readonly_fields(self, request, obj=None):
        # A closure stays at its location: the picker's times kept for another location would
        # not learn of a move (its practitioners' schedule versions are not raised). Closing
        # another location is a closure of its own.
        return ["location"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_of_bookings_on_closure(request, obj)


class WorkingHoursFormSet(BaseInlineFormSet):
    """Check a practitioner's spans together, as they will be after this save.

    A practitioner is in one place at a time: spans on one weekday may not overlap, and spans on
    one weekday must be at locations in the same time zone (wall-clock times in two zones would
    hide a real overlap).
    """

    def clean(self):
        super().clean()
        by_day = defaultdict(list)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if form.errors or not data or data.get("DELETE"):
                continue
            if None in (data.get("weekday"), data.get("start_time"), data.get("end_time")):
                continue
            if data.get("location") is None:
                continue
            by_day[data["weekday"]].append((data["start_time"], data["end_time"], data["location"]))
        for weekday, spans in sorted(by_day.items()):
            day = WorkingHours.Weekday(weekday).label
            zones = {location.time_zone for _, _, location in spans}
            if len(zones) > 1:
                raise ValidationError(
                    f"On {day} these hours are at locations in different time zones "
                    f"({', '.join(sorted(zones))}). Give each zone its own days."
                )
            spans.sort(key=lambda span: span[0])
            for (start, end, _), (next_start, next_end, _) in pairwise(spans):
                if next_start < end:
                    raise ValidationError(
                        f"Two spans overlap on {day}: {start:%H:%M}–{end:%H:%M} and "
                        f"{next_start:%H:%M}–{next_end:%H:%M}. A practitioner can be in one "
                        "place at a time."
                    )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 1
    fields = ["weekday", "start_time", "end_time", "location"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "title", "is_active"]
    list_filter = ["is_active", "locations"]
    search_fields = ["user__first_name", "user__last_name", "user__email", "title"]
    filter_horizontal = ["locations"]
    list_select_related = ["user"]
    inlines = [WorkingHoursInline, TimeOffInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for saved in formset.new_objects + [changed for changed, _ in formset.changed_objects]:
            if isinstance(saved, TimeOff):
                warn_of_bookings(request, saved)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Hours at a location mean the practitioner works there, so patients are offered them.
        hour_locations = form.instance.working_hours.values_list("location", flat=True)
        form.instance.locations.add(*set(hour_locations))
        if any(formset.model is WorkingHours and formset.has_changed() for formset in formsets):
            warn_of_bookings_outside_hours(request, form.instance)

    @admin.display(description="Name", ordering="user__last_name")
    def display_name(self, obj):
        return obj.display_name


CONSULTATION_TYPE_FIELDSETS = [
    (
        None,
        {
            "fields": [
                "name",
                "slug",
                "description",
                "kind",
                "mode",
                "price",
                "position",
                "is_active",
            ]
        },
    ),
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
    ("For the patient", {"fields": ["intake_required", "preparation"]}),
    ("Who offers it", {"fields": ["practitioners"]}),
    ("Rooms and equipment (procedures)", {"fields": ["resources"]}),
]


class ConsultationTypeForm(forms.ModelForm):
    class Meta:
        model = ConsultationType
        fields = [name for _, options in CONSULTATION_TYPE_FIELDSETS for name in options["fields"]]

    def clean(self):
        data = super().clean()
        if data.get("kind") == ConsultationType.Kind.CONSULTATION and data.get("resources"):
            self.add_error(
                "resources",
                "Only procedures hold rooms and equipment. Make this type a procedure, or "
                "remove its resources.",
            )
        return data


@admin.register(ConsultationType)
class ConsultationTypeAdmin(admin.ModelAdmin):
    form = ConsultationTypeForm
    list_display = ["name", "kind", "mode", "duration_minutes", "price", "position", "is_active"]
    list_editable = ["position"]
    list_filter = ["kind", "mode", "is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["practitioners", "resources"]
    fieldsets = CONSULTATION_TYPE_FIELDSETS


class ResourceHoursFormSet(BaseInlineFormSet):
    """Refuse spans of one resource that overlap on a weekday: one of them is a typing error."""

    def clean(self):
        super().clean()
        by_day = defaultdict(list)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if form.errors or not data or data.get("DELETE"):
                continue
            if None in (data.get("weekday"), data.get("start_time"), data.get("end_time")):
                continue
            by_day[data["weekday"]].append((data["start_time"], data["end_time"]))
        for weekday, spans in sorted(by_day.items()):
            spans.sort()
            for (start, end), (next_start, next_end) in pairwise(spans):
                if next_start < end:
                    raise ValidationError(
                        f"Two spans overlap on {WorkingHours.Weekday(weekday).label}: "
                        f"{start:%H:%M}–{end:%H:%M} and {next_start:%H:%M}–{next_end:%H:%M}."
                    )


class ResourceHoursInline(admin.TabularInline):
    model = ResourceHours
    formset = ResourceHoursFormSet
    extra = 1
    fields = ["weekday", "start_time", "end_time"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    """Rooms and equipment. A resource with no hours is never free, so its procedures are
    never offered while it has none."""

    list_display = ["name", "kind", "location", "active"]
    list_filter = ["kind", "location", "active"]
    search_fields = ["name"]
    list_select_related = ["location"]
    inlines = [ResourceHoursInline]


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
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


# The change history of bookings, in the audit trail.
admin.site.register(Booking.history.model, AuditTrailAdmin)
