from django import template

from bookings.drafts import format_start

register = template.Library()


@register.filter
def start_param(moment):
    """A slot's start as written in booking URLs and forms (UTC, compact)."""
    return format_start(moment)


@register.filter
def iso_utc(moment):
    return moment.isoformat()
