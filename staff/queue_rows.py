"""The review queue's rows and its "intake missing" list, as ready values for the template.

Fifty rows a page, each drawn from a ``{% url %}``, a date filter and a dozen lookups through the
booking's relations, were most of the page's time; here each row is worked out once, in plain
Python, with the review link built from a pattern reversed once a request. The template only
writes the values out (templates/staff/review_queue.html), escaping them as usual.
"""

from dataclasses import dataclass, field

from clinic.times import format_local
from staff.day_rows import url_pattern

WHEN = "D j M, H:i"


@dataclass(frozen=True)
class QueueRow:
    pk: int  # the booking's
    url: str  # the review page; "" in the list of intakes missing
    heading: str  # "Wed 16 Dec, 10:30 · Ada Lovelace"
    detail: str  # "Initial consultation · Dr Who · London"
    # (severity, "Caution", "PRP: takes anticoagulant medicines") for each screening flag, the
    # most severe first.
    flags: list = field(default_factory=list)


def starts_local(booking) -> str:
    """When ``booking`` starts, in its location's time zone, as ``clinic_time`` writes it in a
    ``{% timezone %}`` block: "Wed 16 Dec, 10:30" ("01:30 GMT" in the repeated hour)."""
    return format_local(booking.starts_at, booking.location.zone, WHEN)


def _heading(booking) -> str:
    return f"{starts_local(booking)} · {booking.patient.full_name}"


def _detail(booking) -> str:
    who = booking.practitioner.display_name
    return f"{booking.consultation_type.name} · {who} · {booking.location.name}"


def queue_rows(rows) -> list[QueueRow]:
    """Ready rows of ``(booking, flags)`` pairs (``staff.selectors.review_rows``), with their
    names attached (``staff.selectors.with_names``)."""
    review_url = url_pattern("staff:review")
    return [
        QueueRow(
            pk=booking.pk,
            url=review_url(booking.pk),
            heading=_heading(booking),
            detail=_detail(booking),
            flags=[
                (
                    flag.severity,
                    flag.get_severity_display(),
                    f"{flag.get_treatment_display()}: {flag.reason}",
                )
                for flag in flags
            ],
        )
        for booking, flags in rows
    ]


def missing_rows(bookings) -> list[QueueRow]:
    """Ready rows of the consultations whose intake is missing."""
    return [QueueRow(pk=b.pk, url="", heading=_heading(b), detail=_detail(b)) for b in bookings]
