"""The rows of the staff day list (Today, or any day), as ready values for the template.

A day at a busy clinic lists 160 consultations or more. Drawn with an include, a ``reverse()``
and a few date filters for each row, the template cost most of the page's time; and even a row of
ready values cost twenty template lookups, 3,000 a page. Here each row is worked out once, in
plain Python, with every link built from a pattern reversed once a process, and written out as
its table row (``html``, every value escaped here). The template writes a table's rows out as one
value (``DayRows.html``, templates/staff/_day_list.html), and owns only the table around them.

Of a row's markup, most is the same on every row: its buttons, each a form with the request's
CSRF token. Each button is written once a request up to the booking's id (``DayRowMaker``'s
``_buttons``), and the times, names and labels a day repeats are written and escaped once each,
so that a row costs a few joins of ready strings.

A row (``DayRow``) holds the booking as the day list reads it (``staff.day_list.DayBooking``), for
anything else a page wants of it, and:

- ``time``: the start in the location's zone, "09:30" ("01:30 GMT" in the repeated hour);
- ``patient_name`` and ``patient_url`` (None for staff who may not open patient records);
- ``consultation`` and ``practitioner``: names;
- ``status``: "Confirmed", or "Confirmed, arrived 09:12", "Completed", …;
- ``intake``: for a practitioner's own list, "missing", "to_review", "draft" or "assessed", with
  ``review_url``, and ``flags`` (the intake's screening flags, the most severe first) as
  ``flag_badges``: (severity, "Caution: PRP") pairs;
- ``actions``: what staff may do from the list, in order, by name (``ACTIONS``);
- ``check``: a procedure session's health check, held for review or unanswered although asked
  (``booking.session_check``, set by the view), shown under the status;
- ``html``: the whole ``<tr>``. With ``check_in_first`` (reception's arrivals) the actions come
  first; a practitioner's own list (``mine``) shows the intake's state and flags in place of the
  practitioner.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString

from bookings.models import Booking, ConsultationType
from clinic.times import label_local
from staff.day_list import DayBooking

# A number no real id reaches, reversed in place of one and then replaced: one reverse() per
# link pattern and request instead of one per row.
_PLACEHOLDER = 2_147_480_009
STATUS_LABELS = dict(Booking.Status.choices)
# Time off saved over a booking leaves it booked (the admin is told once, when saving): the
# day list says so on the row until someone moves or cancels it.
TIME_OFF_BADGE = (
    '<span class="d-block mt-1"><span class="badge text-bg-warning">'
    "Practitioner off then: move or cancel</span></span>"
)


def _url_pieces(name: str, *after) -> tuple[str, str]:
    """The URL ``name`` for an id (the first argument) as what comes before the id and after."""
    return _reversed_pieces(name, after, get_script_prefix(), get_resolver(get_urlconf()))


@functools.lru_cache(maxsize=64)
def _reversed_pieces(name: str, after: tuple, prefix: str, resolver) -> tuple[str, str]:
    # Kept by the URL's name, the script's prefix and the URL configuration (its resolver, a
    # new one when the configuration changes), all a reversed URL depends on: each of the
    # day list's eight patterns is reversed once a process, not once a request. Nothing here
    # is state: any process works out the same.
    head, tail = reverse(name, args=[_PLACEHOLDER, *after]).split(str(_PLACEHOLDER))
    return head, tail


def url_pattern(name: str, *after) -> Callable[[int], str]:
    """Return a function writing the URL ``name`` for an id (the first argument)."""
    head, tail = _url_pieces(name, *after)
    return lambda pk: f"{head}{pk}{tail}"


# What staff may do with a booking from the list: the action's name (its URL's, but "move"),
# the button's label and style, whether it is a link ("get") or a form, and the question asked
# before a form is sent.
ACTIONS = {
    "check-in": ("Check in", "btn-primary", "post", ""),
    "undo-check-in": (
        "Undo check-in",
        "btn-outline-secondary",
        "post",
        "Undo this check-in? The patient will show as not arrived yet.",
    ),
    "complete": (
        "Mark completed",
        "btn-outline-primary",
        "post",
        "Mark this consultation completed? If it was the wrong patient, undo it today.",
    ),
    "undo-complete": (
        "Undo completed",
        "btn-outline-secondary",
        "post",
        "Undo “completed”? The visit will show as confirmed again.",
    ),
    "no-show": (
        "No-show",
        "btn-outline-secondary",
        "post",
        "Mark this patient a no-show? If they arrive after all, undo it today.",
    ),
    "undo-no-show": (
        "Undo no-show",
        "btn-outline-secondary",
        "post",
        "Undo this no-show? The consultation will show as confirmed, to check the patient in.",
    ),
    "move": ("Move", "btn-outline-primary", "get", ""),
    "cancel": (
        "Cancel",
        "btn-outline-danger",
        "post",
        "Cancel this booking? The patient will be e-mailed.",
    ),
}


@dataclass(slots=True)
class DayRow:
    booking: DayBooking
    time: str
    patient_name: str
    patient_url: str | None
    consultation: str
    practitioner: str
    status: str
    actions: list[str] = field(default_factory=list)
    flags: list = field(default_factory=list)
    flag_badges: list[tuple[str, str]] = field(default_factory=list)
    intake: str = ""
    review_url: str = ""
    check: object = None
    html: str = ""


class DayRows(list):
    """One table's rows (``DayRow``), and ``html``: their markup, one after another, as the
    table's body writes them (templates/staff/_day_list.html): one value for the template to
    write rather than a loop over 160 rows."""

    @property
    def html(self) -> SafeString:
        # Each row's markup is safe (DayRowMaker.markup), and so is what joins them.
        return SafeString("".join(f"{row.html}\n      " for row in self))


class DayRowMaker:
    """Make the rows of one request's day lists: the links' patterns are reversed, and the
    buttons written up to the booking's id, once."""

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
        self.is_today = is_today
        self.can_act = can_act
        self.patient_url = url_pattern("staff:patient") if can_view_patient else None
        self.review_url = url_pattern("staff:review")
        self.clear_check_url = url_pattern("staff:rescreen_clear")
        self._buttons = self._write_buttons(csrf_token) if can_act else {}
        # What a day repeats, worked out once: clock times, and names and labels escaped.
        self._clocks = {}
        self._escaped = {}

    @staticmethod
    def _write_buttons(csrf_token: str) -> dict[str, tuple[str, str, str]]:
        """Each action's button in three pieces, to be joined around the booking's id and
        the patient's name and time (for screen readers)."""
        csrf_field = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        )
        hidden = '<span class="visually-hidden"> '
        buttons = {}
        for action, (label, style, method, confirm) in ACTIONS.items():
            if action == "move":
                head, tail = _url_pieces("staff:reschedule")
            else:
                head, tail = _url_pieces("staff:booking_action", action)
            if method == "get":
                buttons[action] = (
                    f'<a class="btn btn-sm {style}" href="{head}',
                    f'{tail}">{label}{hidden}',
                    "</span></a>",
                )
                continue
            asked = f' data-confirm="{confirm}"' if confirm else ""
            buttons[action] = (
                f'<form method="post" action="{head}',
                f'{tail}" class="d-inline" data-single-submit{asked}>{csrf_field}'
                f'<button type="submit" class="btn btn-sm {style}">{label}{hidden}',
                "</span></button></form>",
            )
        return buttons

    def _clock(self, moment: datetime, zone) -> str:
        """The time of day of ``moment`` in ``zone``, "09:30" ("01:30 GMT" in the repeated
        hour)."""
        key = (moment, zone)
        clock = self._clocks.get(key)
        if clock is None:
            local = moment.astimezone(zone)
            clock = self._clocks[key] = label_local(local, f"{local:%H:%M}")
        return clock

    def _escape(self, text: str) -> str:
        """``text`` escaped for HTML, for the names and labels a day repeats."""
        escaped = self._escaped.get(text)
        if escaped is None:
            escaped = self._escaped[text] = escape(text)
        return escaped

    def rows(self, bookings, flags=None, *, mine=False, check_in_first=False) -> "DayRows":
        flags = flags or {}
        return DayRows(
            self.row(booking, flags.get(booking.pk, ()), mine=mine, check_in_first=check_in_first)
            for booking in bookings
        )

    def row(self, booking: DayBooking, flags=(), *, mine=False, check_in_first=False) -> DayRow:
        zone = booking.location.zone
        status = STATUS_LABELS.get(booking.status, booking.status)
        if booking.checked_in_at and booking.status == Booking.Status.CONFIRMED:
            status += f", arrived {self._clock(booking.checked_in_at, zone)}"
        row = DayRow(
            booking=booking,
            time=self._clock(booking.starts_at, zone),
            patient_name=booking.patient_name,
            patient_url=self.patient_url(booking.patient_id) if self.patient_url else None,
            consultation=booking.consultation_name,
            practitioner="" if mine else booking.practitioner_name,
            status=status,
            check=booking.session_check,
        )
        if flags:
            row.flags = list(flags)
            row.flag_badges = [
                (flag.severity, f"{flag.get_severity_display()}: {flag.get_treatment_display()}")
                for flag in flags
            ]
        if mine:
            if booking.consultation_kind == ConsultationType.Kind.PROCEDURE:
                row.intake = "none"  # a procedure session asks no hair-loss questions
            elif booking.intake is None:
                row.intake = "missing"
            elif booking.draft:
                row.intake = "draft"
                row.review_url = self.review_url(booking.pk)
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
        actions = self.actions_markup(row, name) if self.can_act else None
        if row.patient_url:
            patient = f'<a class="patient-link" href="{row.patient_url}">{name}</a>'
        else:
            patient = name
        video = row.booking.video_link
        if video:
            video = (
                f' <a class="video-link text-nowrap" href="{escape(video)}" target="_blank" '
                f'rel="noopener">Join video<span class="visually-hidden">: {name}</span></a>'
            )
        who = self.intake_markup(row, name) if mine else self._escape(row.practitioner)
        status = self._escape(row.status)
        booking = row.booking
        if (
            booking.during_time_off
            and booking.status == Booking.Status.CONFIRMED
            and booking.starts_at > self.now
        ):
            status += TIME_OFF_BADGE
        if row.check:
            status += self.check_markup(row, name)
        cells = (
            f'<td class="day-time">{row.time}</td><td class="day-name">{patient}</td>'
            f"<td>{self._escape(row.consultation)}{video}</td><td>{who}</td><td>{status}</td>"
        )
        if actions is None:
            html = f"<tr>{cells}</tr>"
        elif check_in_first:
            html = f'<tr><td class="day-actions">{actions}</td>{cells}</tr>'
        else:
            html = f'<tr>{cells}<td class="day-actions text-nowrap">{actions}</td></tr>'
        # Escaped above. SafeString itself, not mark_safe: for a str they are the same, and
        # mark_safe's check for lazy arguments cost an eighth of a row.
        return SafeString(html)

    @staticmethod
    def intake_markup(row: DayRow, name: str) -> str:
        if row.intake == "assessed":
            state = "Assessed"
        elif row.intake == "draft":
            # Saved as a draft, perhaps with parts left for later: out of the review queue,
            # so the way back to it is here.
            state = (
                f'<a href="{row.review_url}">Draft assessment, to sign off'
                f'<span class="visually-hidden">: {name}</span></a>'
            )
        elif row.intake == "to_review":
            state = (
                f'<a href="{row.review_url}">Answers in, to review'
                f'<span class="visually-hidden">: {name}</span></a>'
            )
        elif row.intake == "none":
            state = (
                '<span class="text-secondary" aria-hidden="true">—</span>'
                '<span class="visually-hidden">No questions for a procedure</span>'
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
        pk = row.booking.pk
        hidden = f"{name} at {row.time}"
        buttons = self._buttons
        parts = []
        for action in row.actions:
            before, after, close = buttons[action]
            parts.append(f"{before}{pk}{after}{hidden}{close}")
        return "\n".join(parts)

    def actions(self, booking: DayBooking) -> list[str]:
        """What staff may do with the booking from the list, as the day stands."""
        if booking.status == Booking.Status.NO_SHOW and self.is_today:
            # The patient arrived late after all.
            return ["undo-no-show"]
        if booking.status == Booking.Status.COMPLETED and self.is_today:
            # Completed on the wrong row.
            return ["undo-complete"]
        if booking.status != Booking.Status.CONFIRMED:
            return []
        arrived = booking.checked_in_at
        found = []
        if self.is_today:
            # A check-in made by mistake (the wrong Ada) is undone the same day.
            found = ["undo-check-in"] if arrived else ["check-in"]
        if booking.starts_at <= self.now:
            found += ["complete"] if arrived else ["complete", "no-show"]
        else:
            # A patient who is here is not cancelled by a click: the check-in is undone first.
            found += ["move"] if arrived else ["move", "cancel"]
        return found
