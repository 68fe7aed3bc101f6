"""The staff bar on every staff page (staff/staff_bar.py draws it)."""

from django import template

from staff.staff_bar import staff_bar as draw_staff_bar

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_bar(context):
    return draw_staff_bar(context["request"], context["clinic"]["name"], context["site_links"])
