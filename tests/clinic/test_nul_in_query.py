"""A NUL byte in a query string never reaches the database: PostgreSQL refuses text holding one
(psycopg2 raises ValueError before the query is sent), so every admin changelist filtered or
searched with ``%00`` answered a server error."""

from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import UserFactory, sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = UserFactory(username="chief", is_staff=True, is_superuser=True)
    return user, sign_in_with_second_factor(client, user)


def changelist_parameters(model_admin, user, url):
    """Every query parameter a model's changelist reads: its search, filters, date drill-down,
    ordering and page."""
    request = RequestFactory().get(url)
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = {"q", "o", "p", "e", "_to_field"}
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        names.update(f"{field}__{part}" for part in ("year", "month", "day"))
    return sorted(names)


def test_every_admin_changelist_answers_a_nul_byte_without_a_server_error(superuser):
    user, client = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for name in changelist_parameters(model_admin, user, url):
            for value in ("\x00", "a\x00b"):
                address = f"{url}?{quote(name)}={quote(value)}"
                response = client.get(address)
                assert response.status_code < 500, address
                checked += 1
        # And every parameter at once, and a NUL in a parameter's name.
        assert client.get(f"{url}?q=%00&o=%00&p=%00&%00=1").status_code < 500, url
    assert checked > 100  # every registered model, history included, was tried


def test_the_booking_filters_from_the_report(superuser):
    _, client = superuser
    for url in (
        "/admin/bookings/booking/?status=%00",
        "/admin/bookings/booking/?status__exact=%00",
        "/admin/bookings/historicalbooking/?history_type__exact=%00",
        "/admin/bookings/historicalbooking/?q=%00",
    ):
        assert client.get(url).status_code < 500, url


def test_a_nul_byte_in_a_search_is_searched_for_without_it(superuser):
    from tests.factories import PatientFactory

    _, client = superuser
    PatientFactory(first_name="Ada", last_name="Lovelace")
    page = client.get(reverse("admin:patients_patient_changelist"), {"q": "Love\x00lace"})
    assert page.status_code == 200
    assert "Ada Lovelace" in page.content.decode()
