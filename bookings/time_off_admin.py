"""Time off in the admin, typed in the practitioner's own time: a Dubai practitioner's morning off
is 09:00–12:00 Dubai time, whatever zone the admin runs in.

Django's admin reads a typed date and time in the site's zone (London). Here the two boxes are
read as wall-clock times and placed in the zone chosen beside them, by default the zone of the
practitioner's locations (hours on one day are always in one zone; a practitioner working in two
zones on different days is asked which these times are in). Saved time off that falls on
confirmed bookings is allowed (leave is leave) but said, with the bookings to move; so are
bookings that shorter working hours leave outside them.
"""

import zoneinfo
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.utils import timezone

from bookings.availability import to_utc
from bookings.models import Booking, Closure, Location, TimeOff
from clinic.times import format_local

# Time off longer than this is a typing error (a year of 9999, which the date box takes).
LONGEST = timedelta(days=366)
# And so is time off starting further ahead than this.
FURTHEST_START = timedelta(days=2 * 366)
# Bookings named in the warning; the rest are counted.
NAMED = 5


def practitioner_zones(practitioner) -> list[str]:
    """The time zones of the practitioner's locations, one each, sorted."""
    return sorted({location.time_zone for location in practitioner.locations.all()})


class WallClockField(forms.SplitDateTimeField):
    """A day and a time as typed, in no zone yet: the form places them in the zone chosen."""

    widget = widgets.AdminSplitDateTime

    def compress(self, data_list):
        if not data_list:
            return None
        day, wall = data_list
        if day in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if wall in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.combine(day, wall)


class TimeOffForm(forms.ModelForm):
    starts_at = WallClockField(label="Starts")
    ends_at = WallClockField(label="Ends")
    time_zone = forms.ChoiceField(
        label="Times are in",
        required=False,
        help_text="By default, the time of the practitioner's location.",
    )

    class Meta:
        model = TimeOff
        fields = ["practitioner", "starts_at", "ends_at", "time_zone", "reason", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(set(Location.objects.values_list("time_zone", flat=True)))
        self.fields["time_zone"].choices = [("", "The practitioner's location's")] + [
            (zone, zone) for zone in zones
        ]
        if self.instance.pk:
            # Shown as wall-clock times in a zone named beside them: the practitioner's, or
            # for one who works in two, the site's. Saved unchanged, they are not read again.
            zone = self._default_zone(self.instance.practitioner)
            zone = zone or timezone.get_default_timezone()
            if zone.key not in zones:
                self.fields["time_zone"].choices.append((zone.key, zone.key))
            self.initial["time_zone"] = zone.key
            for name in ("starts_at", "ends_at"):
                moment = getattr(self.instance, name)
                self.initial[name] = moment.astimezone(zone).replace(tzinfo=None)

    @staticmethod
    def _default_zone(practitioner):
        zones = practitioner_zones(practitioner)
        if len(zones) == 1:
            return zoneinfo.ZoneInfo(zones[0])
        return None

    def _practitioner(self):
        if "practitioner" in self.fields:
            return self.cleaned_data.get("practitioner")
        return getattr(self.instance, "practitioner", None)  # an inline's, set by its formset

    def clean(self):
        data = super().clean()
        if self.instance.pk and not self.has_changed():
            # A row of the practitioner's page saved along with something else: as it was.
            data["starts_at"], data["ends_at"] = self.instance.starts_at, self.instance.ends_at
            return data
        zone = self._zone(data.get("time_zone"))
        for name in ("starts_at", "ends_at"):
            typed = data.get(name)
            if typed is not None:
                data[name] = to_utc(typed.date(), typed.time(), zone)
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is None or ends is None:
            return data
        if ends <= starts:
            self.add_error("ends_at", "Time off must end after it starts.")
        elif ends - starts > LONGEST:
            self.add_error("ends_at", "Time off of more than a year: check the dates.")
        elif starts > timezone.now() + FURTHEST_START:
            self.add_error("starts_at", "Time off more than two years ahead: check the year.")
        return data

    def _zone(self, chosen: str):
        """The zone the typed times are in: the one chosen, else the practitioner's. Where
        neither can be told, the site's, with the form's error saying why (so that nothing is
        left without a zone for the model's own checks)."""
        if chosen:
            return zoneinfo.ZoneInfo(chosen)
        practitioner = self._practitioner()
        if practitioner is None:
            return timezone.get_default_timezone()  # the practitioner's own error is shown
        zone = self._default_zone(practitioner)
        if zone is None:
            zones = practitioner_zones(practitioner) or ["none"]
            self.add_error(
                "time_zone",
                f"{practitioner.display_name} works in more than one time zone "
                f"({', '.join(zones)}): choose which these times are in.",
            )
            return timezone.get_default_timezone()
        return zone


def warn_of_bookings_outside_hours(request, practitioner, now=None) -> None:
    """After a practitioner's hours are saved: tell the admin which of their confirmed bookings
    to come now fall outside them. They stay booked (a shorter day from next month is a plan,
    not a cancellation) until someone moves or cancels them."""
    now = now or timezone.now()
    spans = {}
    for hours in practitioner.working_hours.all():
        spans.setdefault((hours.location_id, hours.weekday), []).append(
            (hours.start_time, hours.end_time)
        )
    outside = []
    upcoming = (
        Booking.objects.filter(
            practitioner=practitioner, status=Booking.Status.CONFIRMED, starts_at__gte=now
        )
        .select_related("patient", "location")
        .order_by("starts_at")
    )
    for booking in upcoming:
        zone = booking.location.zone
        start, end = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
        day_spans = spans.get((booking.location_id, start.weekday()), [])
        inside = start.date() == end.date() and any(
            opens <= start.time() and end.time() <= closes for opens, closes in day_spans
        )
        if not inside:
            outside.append(booking)
    if not outside:
        return
    named = named_bookings(outside[:NAMED])
    more = len(outside) - NAMED
    messages.warning(
        request,
        f"{len(outside)} confirmed booking{'s' if len(outside) > 1 else ''} with "
        f"{practitioner.display_name} now fall{'' if len(outside) > 1 else 's'} outside their "
        f"hours, and stay booked: {named}{f' and {more} more' if more > 0 else ''}. Move or "
        "cancel them from the staff day list.",
    )


def named_bookings(bookings) -> str:
    """The bookings a warning names: each patient with the time at its location, named, since
    the time off or hours were perhaps typed in another zone."""
    return "; ".join(
        f"{b.patient.full_name}, {format_local(b.starts_at, b.location.zone, 'D j M, H:i')} "
        f"at {b.location.name}"
        for b in bookings
    )


def _clashes(clashing) -> tuple[int, str]:
    """How many bookings ``clashing`` holds, and the first of them named, "and N more" after."""
    count = clashing.count()
    if not count:
        return 0, ""
    named = named_bookings(
        clashing.select_related("patient", "location").order_by("starts_at")[:NAMED]
    )
    more = count - NAMED
    return count, f"{named}{f' and {more} more' if more > 0 else ''}"


def warn_of_bookings(request, time_off: TimeOff) -> None:
    """Tell the admin which confirmed bookings the saved time off falls on: they stay booked
    until someone moves or cancels them."""
    count, named = _clashes(
        Booking.objects.filter(
            practitioner_id=time_off.practitioner_id,
            status=Booking.Status.CONFIRMED,
            starts_at__lt=time_off.ends_at,
            ends_at__gt=time_off.starts_at,
        )
    )
    if not count:
        return
    several = count > 1
    messages.warning(
        request,
        f"This time off falls on {count} confirmed booking{'s' if several else ''} with "
        f"{time_off.practitioner.display_name}, which {'stay' if several else 'stays'} booked: "
        f"{named}. Move or cancel {'them' if several else 'it'} from the staff day list.",
    )


def warn_of_bookings_on_closure(request, closure: Closure) -> None:
    """Tell the admin which confirmed bookings still to come fall on the days the location is
    now closed: they stay booked until someone moves or cancels them."""
    zone = closure.location.zone
    count, named = _clashes(
        Booking.objects.filter(
            location_id=closure.location_id,
            status=Booking.Status.CONFIRMED,
            starts_at__gte=max(to_utc(closure.first_day, time(0), zone), timezone.now()),
            starts_at__lt=to_utc(closure.last_day + timedelta(days=1), time(0), zone),
        )
    )
    if not count:
        return
    several = count > 1
    messages.warning(
        request,
        f"{count} confirmed booking{'s' if several else ''} still to come "
        f"{'fall' if several else 'falls'} on {closure.name}, when {closure.location.name} is "
        f"closed, and {'stay' if several else 'stays'} booked: {named}. Move or cancel "
        f"{'them' if several else 'it'} from the staff day list.",
    )


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    form = TimeOffForm
    extra = 0
    fields = ["starts_at", "ends_at", "time_zone", "reason", "note"]

    def get_queryset(self, request):
        # Each row reads its practitioner's zones: one query for all rows, not two a row.
        return super().get_queryset(request).prefetch_related("practitioner__locations")


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    form = TimeOffForm
    list_display = ["practitioner", "starts_local", "ends_local", "reason", "note"]
    list_filter = ["reason", "practitioner"]
    search_fields = ["note", "practitioner__user__first_name", "practitioner__user__last_name"]
    date_hierarchy = "starts_at"
    list_select_related = ["practitioner__user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("practitioner__locations")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_of_bookings(request, obj)

    @admin.display(description="Starts", ordering="starts_at")
    def starts_local(self, obj):
        return _local(obj, obj.starts_at)

    @admin.display(description="Ends", ordering="ends_at")
    def ends_local(self, obj):
        return _local(obj, obj.ends_at)


def _local(time_off, moment) -> str:
    """``moment`` at the practitioner's location, named: "Tue 8 Dec 2026, 09:00 (Asia/Dubai)"."""
    zones = practitioner_zones(time_off.practitioner)
    if len(zones) != 1:
        return format_local(moment, timezone.get_default_timezone(), "D j M Y, H:i (e)")
    zone = zoneinfo.ZoneInfo(zones[0])
    return f"{format_local(moment, zone, 'D j M Y, H:i')} ({zones[0]})"
