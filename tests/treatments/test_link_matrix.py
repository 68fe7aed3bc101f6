"""Every page of the patient's plan opens by the private link of the consultation it came from,
and by nothing else: not an unknown token, not the link of another booking, not a staff
sign-in. A new treatments URL must be added here (the walk below finds it)."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.roles import CLINIC_ADMIN
from tests.factories import (
    BookingFactory,
    UserFactory,
    plan_session,
    proposed_plan,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db

# What each page gives its own link: GET, and the order of the visit in its address (if any).
# Accepting, declining and asking to talk are changes only; a proposed plan's course page
# leads back to the plan; session 1 is booked within three days, so it can be moved and its
# health check answered.
PLAN_LINK_PAGES = {
    "treatments:plan": (200, None),
    "treatments:plan_pdf": (200, None),
    "treatments:accept": (405, None),
    "treatments:decline": (405, None),
    "treatments:talk": (405, None),
    "treatments:book_course": (302, None),
    "treatments:move": (200, 1),
    "treatments:rescreen": (200, 1),
    "treatments:pick": (302, 1),
}
# Opened by a review's own booking link, not the plan's: tested in test_ratings.py (a link that
# is not a review's opens nothing).
OWN_BOOKING_LINK_PAGES = {"treatments:rating"}


def address(name, token, order):
    return reverse(name, args=[token] if order is None else [token, order])


def test_every_treatments_url_is_in_the_matrix():
    found = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "treatments":
            found |= {
                f"treatments:{p.name}" for p in entry.url_patterns if isinstance(p, URLPattern)
            }
    expected = set(PLAN_LINK_PAGES) | OWN_BOOKING_LINK_PAGES
    assert found == expected, sorted(found ^ expected)


@pytest.mark.parametrize("name", sorted(PLAN_LINK_PAGES))
def test_each_plan_page_opens_by_its_own_link_alone(roles, treatments_setup, name):
    plan = proposed_plan(treatments_setup["consultation"])
    plan_session(plan, order=1, hours_ago=-30)
    expected, order = PLAN_LINK_PAGES[name]
    assert Client().get(address(name, plan.consultation.token, order)).status_code == expected
    # Another patient's booking link, a link that was never issued, and a clinic admin signed
    # in with no link: nothing opens, and nothing changes.
    other = BookingFactory(location=treatments_setup["location"])
    admin = UserFactory(username="chief")
    admin.groups.add(roles[CLINIC_ADMIN])
    signed_in = sign_in_with_second_factor(Client(), admin)
    for client, token in (
        (Client(), other.token),
        (Client(), "x" * len(plan.consultation.token)),
        (signed_in, other.token),
    ):
        wrong = address(name, token, order)
        assert client.get(wrong).status_code == 404, (name, token)
        assert client.post(wrong, {"full_name": plan.patient.full_name}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == "proposed" and plan.talk_requested_at is None
