from datetime import datetime

from django import template
from django.utils import formats, timezone

from bookings.drafts import format_start
from clinic.times import label_local

register = template.Library()


@register.filter
def start_param(moment):
    """A slot's start as written in booking URLs and forms (UTC, compact)."""
    return format_start(moment)


@register.filter
def iso_utc(moment):
    return moment.isoformat()


@register.filter(expects_localtime=True)
def clinic_time(moment, pattern="H:i"):
    """Write a moment in the page's time zone (``{% timezone %}``) with a date ``pattern`` that
    ends with the time of day; a time in the hour that happens twice when clocks go back gets
    its zone, "01:30 BST" and "01:30 GMT" (clinic.times)."""
    if not isinstance(moment, datetime):
        return ""
    text = formats.date_format(moment, pattern)
    return text if timezone.is_naive(moment) else label_local(moment, text)


# Currencies written with their sign before the amount, as the booking pages write pounds.
_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(amount, currency=""):
    """An amount as the booking pages write a price: "£1,800.00", "AED 450.00", and "Free"
    for nothing to pay."""
    if amount is None:
        return ""
    if amount == 0:
        return "Free"
    figure = f"{amount:,.2f}"
    sign = _SIGNS.get(currency)
    return f"{sign}{figure}" if sign else f"{currency} {figure}".strip()
