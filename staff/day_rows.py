"""The rows of the staff day list (Today, or any day), as ready values for the template.

A day at a busy clinic lists 160 consultations or more. Drawn with an include, a ``reverse()``
and a few date filters for each row, the template cost most of the page's time; here each row is
worked out once, in plain Python, with every link built from a pattern reversed once a request.
The template only writes the values out (templates/staff/_day_list.html).

A row (``DayRow``) holds the booking itself, for anything else a page wants of it, and:

- ``time``: the start in the location's zone, "09:30" ("01:30 GMT" in the repeated hour);
- ``patient_name`` and ``patient_url`` (None for staff who may not open patient records);
- ``consultation`` and ``practitioner``: names;
- ``status``: "Confirmed", or "Confirmed, arrived 09:12", "Completed", …;
- ``intake``: for a practitioner's own list, "missing", "to_review" or "assessed", with
  ``review_url``, and ``flags`` (the intake's screening flags, the most severe first) as
  ``flag_badges``: (severity, "Caution: PRP") pairs;
- ``actions``: what staff may do from the list, in order, each a ``DayAction``, and
  ``actions_html``, the same written out as buttons and links (escaped here, once: a dozen
  template variables a row were most of the page's time);
- ``marks``: short notes shown after the status (``DayMark``), for features that add one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from bookings.models import Booking
from clinic.times import label_local

# A number no real id reaches, reversed in place of one and then replaced: one reverse() per
# link pattern and request instead of one per row.
_PLACEHOLDER = 2_147_480_009
STATUS_LABELS = dict(Booking.Status.choices)


def url_pattern(name: str, *after) -> Callable[[int], str]:
    """Return a function writing the URL ``name`` for an id (the first argument)."""
    head, tail = reverse(name, args=[_PLACEHOLDER, *after]).split(str(_PLACEHOLDER))
    return lambda pk: f"{head}{pk}{tail}"


@dataclass(frozen=True)
class DayAction:
    """A button (a POST form) or, with ``method`` "get", a link."""

    url: str
    label: str
    style: str
    method: str = "post"
    confirm: str = ""


@dataclass(frozen=True)
class DayMark:
    """A short note on a row, e.g. a badge: its text, a CSS class, and maybe a link."""

    text: str
    css: str = "text-bg-secondary"
    url: str = ""


@dataclass
class DayRow:
    booking: Booking
    time: str
    patient_name: str
    patient_url: str | None
    consultation: str
    practitioner: str
    status: str
    actions: list[DayAction] = field(default_factory=list)
    actions_html: str = ""
    flags: list = field(default_factory=list)
    flag_badges: list[tuple[str, str]] = field(default_factory=list)
    intake: str = ""
    review_url: str = ""
    marks: list[DayMark] = field(default_factory=list)


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
        csrf_token: str = "",
    ):
        self.now = now
        self.csrf_field = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        )
        self.is_today = is_today
        self.can_act = can_act
        self.patient_url = url_pattern("staff:patient") if can_view_patient else None
        self.review_url = url_pattern("staff:review")
        self.move_url = url_pattern("staff:reschedule")
        self.action_urls = {
            action: url_pattern("staff:booking_action", action)
            for action in ("check-in", "complete", "no-show", "cancel")
        }

    def rows(self, bookings, flags=None, *, mine=False) -> list[DayRow]:
        flags = flags or {}
        return [self.row(booking, flags.get(booking.pk, []), mine=mine) for booking in bookings]

    def row(self, booking: Booking, flags=(), *, mine=False) -> DayRow:
        zone = booking.location.zone
        patient = booking.patient
        time = _clock(booking.starts_at, zone)
        status = STATUS_LABELS.get(booking.status, booking.status)
        if booking.checked_in_at and booking.status == Booking.Status.CONFIRMED:
            status += f", arrived {_clock(booking.checked_in_at, zone)}"
        row = DayRow(
            booking=booking,
            time=time,
            patient_name=patient.full_name,
            patient_url=self.patient_url(booking.patient_id) if self.patient_url else None,
            consultation=booking.consultation_type.name,
            practitioner="" if mine else booking.practitioner.display_name,
            status=status,
            flags=list(flags),
            flag_badges=[
                (flag.severity, f"{flag.get_severity_display()}: {flag.get_treatment_display()}")
                for flag in flags
            ],
        )
        if mine:
            intake = getattr(booking, "intake", None)
            if intake is None:
                row.intake = "missing"
            elif getattr(booking, "assessment", None) is not None:
                row.intake = "assessed"
            else:
                row.intake = "to_review"
                row.review_url = self.review_url(booking.pk)
        if self.can_act:
            row.actions = self.actions(booking)
            row.actions_html = self.actions_markup(row)
        return row

    def actions_markup(self, row: DayRow) -> SafeString:
        """The row's actions as HTML; every value from the database is escaped here."""
        hidden = f"{escape(row.patient_name)} at {escape(row.time)}"
        who = f'<span class="visually-hidden"> {hidden}</span>'
        parts = []
        for action in row.actions:
            label = f"{escape(action.label)}{who}"
            if action.method == "get":
                parts.append(
                    f'<a class="btn btn-sm {action.style}" href="{escape(action.url)}">{label}</a>'
                )
                continue
            confirm = f' data-confirm="{escape(action.confirm)}"' if action.confirm else ""
            parts.append(
                f'<form method="post" action="{escape(action.url)}" class="d-inline" '
                f"data-single-submit{confirm}>{self.csrf_field}"
                f'<button type="submit" class="btn btn-sm {action.style}">{label}</button></form>'
            )
        return mark_safe("\n".join(parts))  # noqa: S308 - built from escaped values above

    def actions(self, booking: Booking) -> list[DayAction]:
        """What staff may do with the booking from the list, as the day stands."""
        if booking.status != Booking.Status.CONFIRMED:
            return []
        urls = {action: url(booking.pk) for action, url in self.action_urls.items()}
        found = []
        if not booking.checked_in_at and self.is_today:
            found.append(DayAction(urls["check-in"], "Check in", "btn-primary"))
        if booking.starts_at <= self.now:
            found.append(DayAction(urls["complete"], "Completed", "btn-outline-primary"))
            if not booking.checked_in_at:
                found.append(DayAction(urls["no-show"], "No-show", "btn-outline-secondary"))
        else:
            found.append(
                DayAction(self.move_url(booking.pk), "Move", "btn-outline-primary", method="get")
            )
            found.append(
                DayAction(
                    urls["cancel"],
                    "Cancel",
                    "btn-outline-danger",
                    confirm="Cancel this booking? The patient will be e-mailed.",
                )
            )
        return found
