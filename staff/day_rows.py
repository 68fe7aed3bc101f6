"""The rows of the staff day list (Today, or any day), as ready values for the template.

A day at a busy clinic lists 160 consultations or more. Drawn with an include, a ``reverse()``
and a few date filters for each row, the template cost most of the page's time; and even a row of
ready values cost twenty template lookups, 3,000 a page. Here each row is worked out once, in
plain Python, with every link built from a pattern reversed once a request, and written out as its
table row (``html``, every value escaped here). The template writes the rows out
(templates/staff/_day_list.html), and owns only the table around them.

A row (``DayRow``) holds the booking as the day list reads it (``staff.day_list.DayBooking``), for
anything else a page wants of it, and:

- ``time``: the start in the location's zone, "09:30" ("01:30 GMT" in the repeated hour);
- ``patient_name`` and ``patient_url`` (None for staff who may not open patient records);
- ``consultation`` and ``practitioner``: names;
- ``status``: "Confirmed", or "Confirmed, arrived 09:12", "Completed", …;
- ``intake``: for a practitioner's own list, "missing", "to_review" or "assessed", with
  ``review_url``, and ``flags`` (the intake's screening flags, the most severe first) as
  ``flag_badges``: (severity, "Caution: PRP") pairs;
- ``actions``: what staff may do from the list, in order, each a ``DayAction``;
- ``check``: a procedure session's health check, held for review or unanswered although asked
  (``booking.session_check``, set by the view), shown under the status;
- ``html``: the whole ``<tr>``. With ``check_in_first`` (reception's arrivals) the actions come
  first; a practitioner's own list (``mine``) shows the intake's state and flags in place of the
  practitioner.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from bookings.models import Booking
from clinic.times import label_local
from staff.day_list import DayBooking

# A number no real id reaches, reversed in place of one and then replaced: one reverse() per
# link pattern and request instead of one per row.
_PLACEHOLDER = 2_147_480_009
STATUS_LABELS = dict(Booking.Status.choices)


def url_pattern(name: str, *after) -> Callable[[int], str]:
    """Return a function writing the URL ``name`` for an id (the first argument)."""
    head, tail = reverse(name, args=[_PLACEHOLDER, *after]).split(str(_PLACEHOLDER))
    return lambda pk: f"{head}{pk}{tail}"


@dataclass(slots=True)
class DayAction:
    """A button (a POST form) or, with ``method`` "get", a link."""

    url: str
    label: str
    style: str
    method: str = "post"
    confirm: str = ""


@dataclass(slots=True)
class DayRow:
    booking: DayBooking
    time: str
    patient_name: str
    patient_url: str | None
    consultation: str
    practitioner: str
    status: str
    actions: list[DayAction] = field(default_factory=list)
    flags: list = field(default_factory=list)
    flag_badges: list[tuple[str, str]] = field(default_factory=list)
    intake: str = ""
    review_url: str = ""
    check: object = None
    html: str = ""


def _clock(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return label_local(local, f"{local:%H:%M}")


class DayRowMaker:
    """Make the rows of one request's day lists: the links' patterns are reversed once."""

    def __init__(
        self,
        *,
        now: datetime,
        is_today: bool,
        can_act: bool,
        can_view_patient: bool,
        can_clear_checks: bool = False,
        csrf_token: str = "",
    ):
        self.now = now
        self.can_clear_checks = can_clear_checks
        self.csrf_field = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        )
        self.is_today = is_today
        self.can_act = can_act
        self.patient_url = url_pattern("staff:patient") if can_view_patient else None
        self.review_url = url_pattern("staff:review")
        self.move_url = url_pattern("staff:reschedule")
        self.clear_check_url = url_pattern("staff:rescreen_clear")
        self.action_urls = {
            action: url_pattern("staff:booking_action", action)
            for action in ("check-in", "complete", "no-show", "cancel")
        }

    def rows(self, bookings, flags=None, *, mine=False, check_in_first=False) -> list[DayRow]:
        flags = flags or {}
        return [
            self.row(booking, flags.get(booking.pk, []), mine=mine, check_in_first=check_in_first)
            for booking in bookings
        ]

    def row(self, booking: DayBooking, flags=(), *, mine=False, check_in_first=False) -> DayRow:
        zone = booking.location.zone
        time = _clock(booking.starts_at, zone)
        status = STATUS_LABELS.get(booking.status, booking.status)
        if booking.checked_in_at and booking.status == Booking.Status.CONFIRMED:
            status += f", arrived {_clock(booking.checked_in_at, zone)}"
        row = DayRow(
            booking=booking,
            time=time,
            patient_name=booking.patient_name,
            patient_url=self.patient_url(booking.patient_id) if self.patient_url else None,
            consultation=booking.consultation_name,
            practitioner="" if mine else booking.practitioner_name,
            status=status,
            flags=list(flags),
            flag_badges=[
                (flag.severity, f"{flag.get_severity_display()}: {flag.get_treatment_display()}")
                for flag in flags
            ],
            check=booking.session_check,
        )
        if mine:
            if booking.intake is None:
                row.intake = "missing"
            elif booking.assessed:
                row.intake = "assessed"
            else:
                row.intake = "to_review"
                row.review_url = self.review_url(booking.pk)
        if self.can_act:
            row.actions = self.actions(booking)
        row.html = self.markup(row, mine=mine, check_in_first=check_in_first)
        return row

    def markup(self, row: DayRow, *, mine: bool, check_in_first: bool) -> SafeString:
        """The row's ``<tr>``; every value from the database is escaped here."""
        name = escape(row.patient_name)
        cells = []
        actions = self.actions_markup(row, name) if self.can_act else None
        if actions is not None and check_in_first:
            cells.append(f'<td class="day-actions">{actions}</td>')
        cells.append(f'<td class="day-time">{row.time}</td>')
        if row.patient_url:
            cells.append(f'<td><a class="patient-link" href="{row.patient_url}">{name}</a></td>')
        else:
            cells.append(f"<td>{name}</td>")
        video = row.booking.video_link
        if video:
            video = (
                f' <a class="video-link text-nowrap" href="{escape(video)}" target="_blank" '
                f'rel="noopener">Join video<span class="visually-hidden">: {name}</span></a>'
            )
        cells.append(f"<td>{escape(row.consultation)}{video}</td>")
        if mine:
            cells.append(f"<td>{self.intake_markup(row, name)}</td>")
        else:
            cells.append(f"<td>{escape(row.practitioner)}</td>")
        cells.append(f"<td>{escape(row.status)}{self.check_markup(row, name)}</td>")
        if actions is not None and not check_in_first:
            cells.append(f'<td class="day-actions text-nowrap">{actions}</td>')
        return mark_safe(f"<tr>{''.join(cells)}</tr>")  # noqa: S308 - escaped above

    @staticmethod
    def intake_markup(row: DayRow, name: str) -> str:
        if row.intake == "assessed":
            state = "Assessed"
        elif row.intake == "to_review":
            state = (
                f'<a href="{row.review_url}">Answers in, to review'
                f'<span class="visually-hidden">: {name}</span></a>'
            )
        else:
            state = '<span class="text-secondary">No answers yet</span>'
        if not row.flag_badges:
            return state
        badges = "".join(
            f'<span class="badge flag-{escape(severity)}">{escape(text)}</span>'
            for severity, text in row.flag_badges
        )
        return f'{state} <span class="flag-badges">{badges}</span>'

    def check_markup(self, row: DayRow, name: str) -> str:
        """A held or unanswered health check, under the status."""
        check = row.check
        if not check:
            return ""
        if not check.needs_review:
            badge = '<span class="badge text-bg-secondary">No health check answer</span>'
        elif self.can_clear_checks:
            url = f"{self.clear_check_url(row.booking.pk)}?back=home"
            badge = (
                f'<a class="badge text-bg-warning" href="{url}">Needs review: health check'
                f'<span class="visually-hidden"> of {name}</span></a>'
            )
        else:
            badge = '<span class="badge text-bg-warning">Needs review: health check</span>'
        return f'<span class="d-block mt-1 session-check">{badge}</span>'

    def actions_markup(self, row: DayRow, name: str) -> str:
        """The row's actions as buttons and links (``name``: the patient's, escaped)."""
        # Labels, links and times are the app's own words and numbers: only names are escaped.
        hidden = f"{name} at {row.time}"
        who = f'<span class="visually-hidden"> {hidden}</span>'
        parts = []
        for action in row.actions:
            label = f"{action.label}{who}"
            if action.method == "get":
                parts.append(
                    f'<a class="btn btn-sm {action.style}" href="{action.url}">{label}</a>'
                )
                continue
            confirm = f' data-confirm="{action.confirm}"' if action.confirm else ""
            parts.append(
                f'<form method="post" action="{action.url}" class="d-inline" '
                f"data-single-submit{confirm}>{self.csrf_field}"
                f'<button type="submit" class="btn btn-sm {action.style}">{label}</button></form>'
            )
        return "\n".join(parts)

    def actions(self, booking: DayBooking) -> list[DayAction]:
        """What staff may do with the booking from the list, as the day stands."""
        if booking.status != Booking.Status.CONFIRMED:
            return []
        pk = booking.pk
        urls = self.action_urls
        found = []
        if not booking.checked_in_at and self.is_today:
            found.append(DayAction(urls["check-in"](pk), "Check in", "btn-primary"))
        if booking.starts_at <= self.now:
            found.append(DayAction(urls["complete"](pk), "Completed", "btn-outline-primary"))
            if not booking.checked_in_at:
                found.append(DayAction(urls["no-show"](pk), "No-show", "btn-outline-secondary"))
        else:
            found.append(DayAction(self.move_url(pk), "Move", "btn-outline-primary", method="get"))
            found.append(
                DayAction(
                    urls["cancel"](pk),
                    "Cancel",
                    "btn-outline-danger",
                    confirm="Cancel this booking? The patient will be e-mailed.",
                )
            )
        return found
