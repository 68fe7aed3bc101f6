"""The header's and footer's links, worked out once per process and script prefix."""

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix

pytestmark = pytest.mark.django_db


def test_every_page_links_home_treatments_bookings_and_staff_sign_in(client):
    html = client.get(reverse("treatments")).content.decode()
    for name in ("home", "treatments", "bookings:home", "bookings:start", "staff:sign_in"):
        assert f'href="{reverse(name)}"' in html, name


def test_the_links_follow_the_prefix_the_site_is_served_under(client):
    page = reverse("treatments")
    client.get(page)  # the links without a prefix, kept first
    before = get_script_prefix()
    # What the WSGI handler does for a site served under /clinic/ (the test client does not).
    set_script_prefix("/clinic/")
    try:
        html = client.get(page).content.decode()
    finally:
        set_script_prefix(before)
    assert 'href="/clinic/treatments/"' in html
    assert f'href="{page}"' not in html


def test_the_staff_bar_links_each_page_a_clinic_admin_opens(clinic_admin):
    names = ["staff:home", "staff:week", "staff:month", "staff:patient_search"]
    names += ["staff:review_queue", "staff:plans", "staff:outcomes", "admin:index"]
    names += ["staff:profile", "staff:sign_out"]
    html = clinic_admin.get(reverse("staff:profile")).content.decode()
    for name in names:
        assert f'"{reverse(name)}"' in html, name
