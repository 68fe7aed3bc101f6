"""The review queue's lists as ready values for the template: the queue's rows, the intakes
missing and the sessions held by a health check.

Fifty rows a page, each drawn from a ``{% url %}``, a date filter and a dozen lookups through the
booking's relations, were most of the page's time; here each row is worked out once, in plain
Python, from the tuples of ``staff.queue_sql``, with each link built from a pattern reversed once
a request. The queue's rows and the intakes missing, fifty a page, are written out here as their
HTML too (``QueueRow.html``, every value escaped here), where even a row of ready values cost a
dozen template lookups, and each list's rows come to the template as one value
(``QueueRows``); the template owns the page around them (templates/staff/review_queue.html).
"""

import zoneinfo
from dataclasses import dataclass, field
from html import escape

from django.utils import dateformat
from django.utils.safestring import SafeString, mark_safe

from clinic.times import label_local
from patients.models import ScreeningFlag
from staff.day_rows import url_pattern
from staff.selectors import sorted_flags
from treatments.models import Rescreen

DAY = "D j M"


@dataclass(frozen=True)
class QueueRow:
    pk: int  # the booking's
    url: str  # the review page; "" in the list of intakes missing
    heading: str  # "Wed 16 Dec, 10:30 · Ada Lovelace"
    detail: str  # "Initial consultation · Dr Who · London"
    # (severity, "Caution", "PRP: takes anticoagulant medicines") for each screening flag, the
    # most severe first.
    flags: list = field(default_factory=list)

    @property
    def html(self) -> SafeString:
        """The row as the queue lists it: a link to the review, with the flags."""
        if self.flags:
            items = "".join(
                f'<li><span class="badge flag-{escape(severity)}">{escape(label)}</span> '
                f"{escape(text)}</li>"
                for severity, label, text in self.flags
            )
            flags = (
                '<ul class="list-unstyled mb-0 mt-1 small flag-list">\n'
                f"              {items}\n"
                "            </ul>"
            )
        else:
            flags = '<p class="small text-secondary mb-0 mt-1">No screening flags.</p>'
        return mark_safe(  # noqa: S308 - every value escaped here
            f'<a class="list-group-item list-group-item-action" href="{escape(self.url)}">\n'
            '          <div class="d-flex flex-wrap justify-content-between gap-2">\n'
            f'            <span class="fw-semibold">{escape(self.heading)}</span>\n'
            f'            <span class="text-secondary small">{escape(self.detail)}</span>\n'
            "          </div>\n"
            f"            {flags}\n"
            "        </a>"
        )

    @property
    def missing_html(self) -> SafeString:
        """The row as the list of intakes missing shows it."""
        return mark_safe(  # noqa: S308 - every value escaped here
            '<li class="list-group-item d-flex flex-wrap justify-content-between gap-2">\n'
            '          <span><span class="badge text-bg-warning">Intake missing</span> '
            f'<span class="fw-semibold">{escape(self.heading)}</span></span>\n'
            f'          <span class="text-secondary small">{escape(self.detail)}</span>\n'
            "        </li>"
        )


class QueueRows(list):
    """The rows of one of the page's lists (``QueueRow``), and their markup one after another
    as the list holds them (``html`` for the queue, ``missing_html`` for the intakes missing):
    one value for the template to write rather than a loop over 25 rows, whose lookups cost
    more than the rows' own writing."""

    @property
    def html(self) -> SafeString:
        # Each row's markup is safe (QueueRow.html), and so is what joins them.
        return SafeString("".join(f"\n        {row.html}\n      " for row in self))

    @property
    def missing_html(self) -> SafeString:
        return SafeString("".join(f"\n        {row.missing_html}\n      " for row in self))


@dataclass(frozen=True)
class HeldRow:
    booking_id: int
    url: str  # where the practitioner reviews it, and back
    heading: str  # as QueueRow's
    detail: str  # "PRP session 1 · Dr Who · London"
    patient_name: str
    flags: list  # the questions answered "yes"
    details: str  # the patient's own words


class LocalStarts:
    """Write when bookings start as ``clinic_time`` does in a ``{% timezone %}`` block, "Wed 16
    Dec, 10:30" ("01:30 GMT" in the repeated hour), each day's part ("Wed 16 Dec") worked out
    once: a page's rows share a few days, and the date format's translated names of days and
    months cost more than the rest of a row."""

    def __init__(self):
        self.days = {}

    def __call__(self, moment, zone) -> str:
        local = moment.astimezone(zone)
        day = self.days.get(local.date())
        if day is None:
            day = self.days[local.date()] = dateformat.format(local, DAY)
        # The time of day, "H:i": the hour and the minute in two digits each.
        return label_local(local, f"{day}, {local:%H:%M}")


class _Writer:
    """What every row of a request needs: the names of ``staff.queue_sql.QueuePage`` and one
    ``LocalStarts``."""

    def __init__(self, names):
        self.names = names
        self.starts = LocalStarts()

    def heading(self, booking) -> str:
        zone = zoneinfo.ZoneInfo(self.names.locations[booking.location_id][1])
        return f"{self.starts(booking.starts_at, zone)} · {booking.patient_name}"

    def detail(self, booking, what: str) -> str:
        who = self.names.practitioners[booking.practitioner_id]
        return f"{what} · {who} · {self.names.locations[booking.location_id][0]}"


def queue_rows(listed, flags: dict, names) -> QueueRows:
    """Ready rows of the queue's page: ``listed`` bookings with their screening flags (by
    intake id) and ``names`` (``staff.queue_sql``)."""
    write = _Writer(names)
    review_url = url_pattern("staff:review")
    severity = dict(ScreeningFlag._meta.get_field("severity").flatchoices)
    treatment = dict(ScreeningFlag._meta.get_field("treatment").flatchoices)
    return QueueRows(
        QueueRow(
            pk=booking.booking_id,
            url=review_url(booking.booking_id),
            heading=write.heading(booking),
            detail=write.detail(booking, names.types[booking.consultation_type_id]),
            flags=[
                (
                    flag.severity,
                    # As the flag's get_severity_display() and get_treatment_display().
                    str(severity.get(flag.severity, flag.severity)),
                    f"{treatment.get(flag.treatment, flag.treatment)}: {flag.reason}",
                )
                for flag in sorted_flags(flags.get(booking.intake_id, []))
            ],
        )
        for booking in listed
    )


def missing_rows(listed, names) -> QueueRows:
    """Ready rows of the consultations whose intake is missing."""
    write = _Writer(names)
    return QueueRows(
        QueueRow(
            pk=b.booking_id,
            url="",
            heading=write.heading(b),
            detail=write.detail(b, names.types[b.consultation_type_id]),
        )
        for b in listed
    )


def held_rows(held, names) -> list[HeldRow]:
    """Ready rows of the sessions held by a health check (``staff.queue_sql.Held``)."""
    write = _Writer(names)
    clear_url = url_pattern("staff:rescreen_clear")
    return [
        HeldRow(
            booking_id=check.booking.booking_id,
            url=f"{clear_url(check.booking.booking_id)}?back=queue",
            heading=write.heading(check.booking),
            detail=write.detail(check.booking, check.plan_step_name),
            patient_name=check.booking.patient_name,
            flags=Rescreen(answers=check.answers).flags,
            details=check.details,
        )
        for check in held
    ]
