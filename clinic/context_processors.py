import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# The links in every page's header and footer (templates/base.html) and in the staff bar
# (staff/staff_bar.py), by the name the templates use. Each ``reverse()`` cost about as
# much as a small query; the staff bar alone had eleven.
SITE_LINKS = {
    "home": "home",
    "treatments": "treatments",
    "your_bookings": "bookings:home",
    "book": "bookings:start",
    "staff_sign_in": "staff:sign_in",
    "staff_sign_out": "staff:sign_out",
    "staff_home": "staff:home",
    "staff_week": "staff:week",
    "staff_month": "staff:month",
    "staff_patients": "staff:patient_search",
    "staff_reviews": "staff:review_queue",
    "staff_plans": "staff:plans",
    "staff_outcomes": "staff:outcomes",
    "staff_profile": "staff:profile",
    "configuration": "admin:index",
}


@functools.lru_cache(maxsize=16)
def _site_links(prefix: str, urlconf: str) -> dict[str, str]:
    # ``prefix`` is part of the key because reverse() writes it into every URL.
    return {key: reverse(name, urlconf=urlconf) for key, name in SITE_LINKS.items()}


def clinic(request):
    """Expose the clinic's name and contact details to every template, and the site's own
    links, worked out once per process rather than by a ``{% url %}`` tag on every page."""
    return {
        "clinic": settings.CLINIC,
        "site_links": _site_links(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF),
    }
