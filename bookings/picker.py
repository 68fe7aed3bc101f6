"""The slot picker's calendar, as pure functions of dates and slots: a month of days with the
free ones marked, for phones, one day's times grouped by part of the day, and each time written
out once, ready for the template (no filter or include per time).

The parts of the page repeated per day, per time or per practitioner (the month's cells, the
week's days, the practitioner menu) are written here as strings: through the template language
each cell or option cost a dozen node renders and a date filter, about half the page's time."""

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from django.utils.dates import MONTHS, WEEKDAYS
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
    visitor's own zone (script), and its label in clinic time with the local hour and day."""

    start: datetime
    param: str
    iso: str
    label: str
    hour: int
    day: date


# Times a process keeps written out: a few months of starts at a handful of locations.
TIMES_KEPT = 8192


@functools.lru_cache(maxsize=TIMES_KEPT)
def _pick_time(start: datetime, offset, zone) -> PickTime:
    # ``offset`` (the start's own) is in the key so that the ISO form, which writes it, is the
    # one of the datetime given, not of an equal instant written in another zone.
    local = start.astimezone(zone)
    hour = local.hour
    label = label_local(local, f"{hour:02d}:{local.minute:02d}")
    return PickTime(start, format_start(start), start.isoformat(), label, hour, local.date())


def pick_time(start: datetime, zone) -> PickTime:
    """Write a free time out for the picker. A pure function of the instant and the zone, so
    each process keeps the answers: every visitor is shown the same times, and writing one out
    (two conversions, three formats) cost more than the rest of the page's work per time."""
    return _pick_time(start, start.utcoffset(), zone)


def times_by_day(slots, zone) -> dict[date, list[PickTime]]:
    """The slots written out (``pick_time``), by local day, in order."""
    days: dict[date, list[PickTime]] = {}
    for slot in slots:
        time = pick_time(slot.start, zone)
        found = days.get(time.day)
        if found is None:
            days[time.day] = [time]
        else:
            found.append(time)
    return days


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


# The htmx attributes every link inside the picker carries: it swaps itself in place.
SWAP = 'hx-target="#slot-picker" hx-select="#slot-picker" hx-swap="outerHTML" hx-push-url="true"'


class DayLabels:
    """Days as the page writes them, e.g. "Monday 7 December": the date filter's "l j F", with
    the same translated names, each name translated once rather than once per day."""

    def __init__(self):
        self.weekdays: dict[int, str] = {}
        self.months: dict[int, str] = {}

    def __call__(self, day: date) -> str:
        weekday = self.weekdays.get(day.weekday())
        if weekday is None:
            weekday = self.weekdays[day.weekday()] = str(WEEKDAYS[day.weekday()])
        return f"{weekday} {day.day} {self.month_name(day)}"

    def month_name(self, day: date) -> str:
        month = self.months.get(day.month)
        if month is None:
            month = self.months[day.month] = str(MONTHS[day.month])
        return month

    def month(self, day: date) -> str:
        """The month as the date filter's "F Y" writes it, e.g. "December 2026"."""
        return f"{self.month_name(day)} {day.year}"


def month_rows_html(weeks: list[list[tuple[CalendarDay | None, str]]], labels: DayLabels) -> str:
    """The month table's rows, from ``month_weeks``' cells each with its link: a free day is a
    link, the others plain text, the days of other months empty cells."""
    rows = []
    for week in weeks:
        cells = []
        for cell, link in week:
            if cell is None:
                cells.append("<td></td>")
            elif cell.free:
                url = escape(link)
                current = ' aria-current="date"' if cell.chosen else ""
                cells.append(
                    f'<td><a class="cal-day" href="{url}" hx-get="{url}" {SWAP} '
                    f'aria-label="{escape(labels(cell.day))}: free times"{current}>'
                    f"{cell.day.day}</a></td>"
                )
            else:
                cells.append(f'<td><span class="cal-day is-closed">{cell.day.day}</span></td>')
        rows.append(f"<tr>{''.join(cells)}</tr>\n          ")
    return mark_safe("".join(rows))  # noqa: S308 - escaped above; the rest is digits


def week_html(
    days: list[tuple[date, str]], labels: DayLabels, closed: dict[date, str] | None = None
) -> str:
    """The week's days, each with its heading and its buttons (``times_html``), or a line
    saying it has none, or that the clinic is closed that day (``closed``: its name)."""
    sections = []
    closed = closed or {}
    for day, buttons in days:
        if buttons:
            body = f'<div class="slot-list d-flex flex-wrap gap-2">{buttons}</div>'
        elif day in closed:
            body = f'<p class="small text-secondary mb-0">Closed: {escape(closed[day])}.</p>'
        else:
            body = '<p class="small text-secondary mb-0">No free times.</p>'
        sections.append(
            f'\n      <section class="mb-3 slot-day">\n        <h2 class="h6 mb-2">'
            f"{escape(labels(day))}</h2>\n        \n          {body}\n        \n"
            f"      </section>\n    "
        )
    return mark_safe("".join(sections))  # noqa: S308 - the buttons are safe (times_html)


def practitioner_options_html(practitioners, chosen) -> str:
    """The practitioner menu's options after "First available"."""
    return mark_safe(  # noqa: S308 - names and titles escaped here
        "".join(
            f'<option value="{p.pk}"{" selected" if p == chosen else ""}>'
            f"{escape(p.display_name)}, {escape(p.title)}</option>"
            for p in practitioners
        )
    )
