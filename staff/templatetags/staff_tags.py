"""What the staff navigation needs to know about the signed-in person."""

from django import template

from clinic.roles import CLINIC_ADMIN, roles_of

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_roles(context):
    """The signed-in staff member's roles, e.g. ``["Practitioner", "Clinic admin"]``."""
    return roles_of(context["request"].user)


@register.filter
def is_clinic_admin(roles):
    return CLINIC_ADMIN in roles
