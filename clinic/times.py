"""Times of day as patients and staff read them: in a location's own zone, never ambiguous.

When clocks go back, an hour of wall-clock times happens twice (in London 01:00–01:59 on the last
Sunday of October, first in BST, then in GMT). A time in that hour is written with its zone's
abbreviation, "01:30 BST" or "01:30 GMT", so that two different slots never look the same.
Every page, e-mail and message that shows a time goes through ``format_local`` (templates through
the ``clinic_time`` filter), so that the rule holds everywhere at once.
"""

from datetime import datetime, tzinfo

from django.utils import dateformat


def in_repeated_hour(local: datetime) -> bool:
    """Tell whether an aware local time's wall-clock reading happens twice that day."""
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() != local.utcoffset()


def zone_label(local: datetime) -> str:
    """Return the zone's abbreviation for this moment ("BST"), or its offset ("UTC+04")."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def label_local(local: datetime, text: str) -> str:
    """Add the zone to ``text``, a reading of ``local`` that ends with its time of day, when
    that time falls in the repeated hour."""
    if in_repeated_hour(local):
        return f"{text} {zone_label(local)}"
    return text


def format_local(moment: datetime, zone: tzinfo, pattern: str) -> str:
    """Write ``moment`` in ``zone`` with a Django date ``pattern`` that ends with the time of
    day (e.g. ``"l j F Y, H:i"``); a time in the repeated hour gets its zone, "01:30 GMT"."""
    local = moment.astimezone(zone)
    return label_local(local, dateformat.format(local, pattern))
