"""The slot picker's calendar, as pure functions of dates and slots: a month of days with the
free ones marked, for phones, one day's times grouped by part of the day, and each time written
out once, ready for the template (no filter or include per time)."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from django.utils.safestring import mark_safe

from bookings.drafts import format_start
from clinic.times import label_local

# Where the afternoon and the evening begin, in the clinic's local time.
AFTERNOON_FROM, EVENING_FROM = 12, 17


@dataclass(frozen=True)
class CalendarDay:
    day: date
    free: bool  # has free times, and so is a link
    chosen: bool


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return month_end(day) + timedelta(days=1)


def previous_month(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def month_weeks(day: date, free_days: set[date], chosen: date) -> list[list[CalendarDay | None]]:
    """The weeks (Monday to Sunday) of ``day``'s month; None pads the days of other months.

    A day is free only if ``free_days`` holds it: the caller passes days with free times,
    which are never in the past nor past the horizon, so no day link leads there.
    """
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)
    return [
        [
            CalendarDay(d, d in free_days, d == chosen) if d.month == day.month else None
            for d in week
        ]
        for week in weeks
    ]


@dataclass(frozen=True)
class PickTime:
    """A free time as the picker shows it: its start, as a URL parameter, in ISO form for the
    visitor's own zone (script), and its label in clinic time with the local hour."""

    start: datetime
    param: str
    iso: str
    label: str
    hour: int


def pick_times(slots, zone) -> list[PickTime]:
    times = []
    for slot in slots:
        local = slot.start.astimezone(zone)
        label = label_local(local, f"{local:%H:%M}")
        times.append(
            PickTime(
                slot.start, format_start(slot.start), slot.start.isoformat(), label, local.hour
            )
        )
    return times


def day_parts(times: list[PickTime]) -> list[tuple[str, list[PickTime]]]:
    """One day's times, grouped into morning, afternoon and evening (empty parts left out)."""
    parts = {"Morning": [], "Afternoon": [], "Evening": []}
    for time in times:
        hour = time.hour
        part = (
            "Morning"
            if hour < AFTERNOON_FROM
            else "Afternoon"
            if hour < EVENING_FROM
            else "Evening"
        )
        parts[part].append(time)
    return [(name, found) for name, found in parts.items() if found]


def times_html(
    times: list[PickTime],
    *,
    details_url: str,
    zone_name: str,
    retime_url: str = "",
    practitioner_param: str = "any",
    csrf_field: str = "",
):
    """Write a list of times as the picker's buttons, in one string: a link to the details step
    each, or, when choosing a new time for a booking in progress (``retime_url``), a form
    posting to it. The shared parts are escaped once; the times' own parts are ASCII digits."""
    zone = escape(zone_name)
    if retime_url:
        action, who = escape(retime_url), escape(str(practitioner_param))
        buttons = (
            f'<form method="post" action="{action}">{csrf_field}'
            f'<input type="hidden" name="start" value="{time.param}">'
            f'<input type="hidden" name="practitioner" value="{who}">'
            f'<button type="submit" class="btn btn-outline-primary slot-button" '
            f'data-utc="{time.iso}" data-zone="{zone}">{escape(time.label)}</button></form>'
            for time in times
        )
    else:
        base = escape(details_url)
        buttons = (
            f'<a class="btn btn-outline-primary slot-button" href="{base}&amp;start={time.param}" '
            f'data-utc="{time.iso}" data-zone="{zone}">{escape(time.label)}</a>'
            for time in times
        )
    return mark_safe("".join(buttons))  # noqa: S308 - built from escaped values above
