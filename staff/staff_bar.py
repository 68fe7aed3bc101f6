"""The staff bar at the top of every staff page, written out in Python.

Every staff page draws it. As a template it was an include, a ``{% with %}``, a tag, two
filters and a permission lookup through ``perms`` for each link: about a third of a
millisecond a page, as much as some pages' own SQL. Here it is the same HTML from one
function. What it shows:

- to someone signed in with both factors: the links their permissions open (the page they are
  on marked ``aria-current``), who they are and in which roles, and the sign-out button;
- between the two sign-in steps: who they are and the sign-out button, no links yet;
- to anyone else (the sign-in page): a link back to the clinic's website.

A clinic admin's bar holds two more links (Outcomes, Configuration), so it opens out only
from a wider screen (``xxl``, 1400 px, rather than ``lg``): opened out at 1280 px, their name
and role and the sign-out button each broke onto two lines.
"""

from django.middleware.csrf import get_token
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from clinic.roles import CLINIC_ADMIN, roles_of

# The links, in order: label, key in ``site_links``, access key, the permission that shows
# it, and the pages (URL names) on which it is the current one.
LINKS = (
    ("Today", "staff_home", "t", "bookings.view_booking", {"home"}),
    ("Week", "staff_week", "w", "bookings.view_booking", {"week"}),
    ("Month", "staff_month", "m", "bookings.view_booking", {"month"}),
    ("Patients", "staff_patients", "p", "patients.view_patient", {"patient_search", "patient"}),
    (
        "Reviews",
        "staff_reviews",
        "r",
        "patients.view_hairlossintake",
        {"review_queue", "review", "assessment"},
    ),
    ("Plans", "staff_plans", "", "treatments.view_plan", {"plans", "plan", "plan_new"}),
    ("Outcomes", "staff_outcomes", "", "treatments.view_outcomerecord", {"outcomes"}),
)

TOGGLER = mark_safe(
    '<button class="navbar-toggler" type="button" data-bs-toggle="collapse" '
    'data-bs-target="#staff-nav" aria-controls="staff-nav" aria-expanded="false" '
    'aria-label="Show the staff menu"><span class="navbar-toggler-icon"></span></button>'
)
CURRENT = mark_safe(' aria-current="page"')
NOTHING = mark_safe("")


def staff_bar(request, clinic_name: str, links: dict[str, str]) -> SafeString:
    """The bar's HTML for ``request``'s user; ``links`` is the context's ``site_links``."""
    user = request.user
    # As the template read it: a user the second-factor middleware has not seen is not verified.
    verified = user.is_authenticated and getattr(user, "is_verified", bool)()
    roles = roles_of(user) if user.is_authenticated else []
    breakpoint = "xxl" if CLINIC_ADMIN in roles else "lg"
    brand = format_html(
        '<a class="navbar-brand fw-semibold" href="{}">{} '
        '<span class="staff-badge">Staff</span></a>',
        links["staff_home" if verified else "staff_sign_in"],
        clinic_name,
    )
    if user.is_authenticated and user.is_staff:
        inside = format_html(
            '{}<div class="collapse navbar-collapse" id="staff-nav">'
            '<ul class="navbar-nav me-auto">{}</ul>{}</div>',
            TOGGLER,
            _links(request, roles, links) if verified else NOTHING,
            _who(request, roles, links, breakpoint),
        )
    else:
        inside = format_html(
            '<a class="nav-link staff-nav-plain" href="{}">Clinic website</a>', links["home"]
        )
    return format_html(
        '<nav class="navbar navbar-expand-{} navbar-dark staff-nav" aria-label="Staff">'
        '<div class="container-fluid px-lg-4">{}{}</div></nav>',
        breakpoint,
        brand,
        inside,
    )


def _links(request, roles, links) -> SafeString:
    here = request.resolver_match.url_name if request.resolver_match else None
    shown = [
        (
            links[key],
            format_html(' accesskey="{}"', accesskey) if accesskey else NOTHING,
            CURRENT if here in current_on else NOTHING,
            label,
        )
        for label, key, accesskey, permission, current_on in LINKS
        if request.user.has_perm(permission)
    ]
    items = format_html_join(
        "", '<li class="nav-item"><a class="nav-link" href="{}"{}{}>{}</a></li>', shown
    )
    # The admin's pages, for the clinic admin and for whoever keeps time off and patients'
    # details there (reception): the rest of the admin is theirs to read only, or hidden.
    if CLINIC_ADMIN in roles or request.user.has_perm("bookings.change_timeoff"):
        items += format_html(
            '<li class="nav-item"><a class="nav-link" href="{}">Configuration</a></li>',
            links["configuration"],
        )
    return items


def _who(request, roles, links, breakpoint) -> SafeString:
    user = request.user
    here = request.resolver_match.url_name if request.resolver_match else None
    return format_html(
        '<div class="d-flex flex-column flex-{bp}-row align-items-{bp}-center gap-{bp}-3 '
        'pb-2 pb-{bp}-0"><p class="navbar-text staff-who mb-0">'
        '<a class="staff-who-link fw-semibold" href="{profile}"{current} title="Your profile">'
        "{name}</a>{roles}</p>"
        '<form method="post" action="{sign_out}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
        '<button type="submit" class="btn btn-outline-light btn-sm">Sign out</button>'
        "</form></div>",
        bp=breakpoint,
        profile=links["staff_profile"],
        current=CURRENT if here == "profile" else NOTHING,
        name=user.get_full_name() or user.get_username(),
        roles=format_html(' <span class="staff-role">· {}</span>', ", ".join(roles))
        if roles
        else NOTHING,
        sign_out=links["staff_sign_out"],
        csrf=get_token(request),
    )
