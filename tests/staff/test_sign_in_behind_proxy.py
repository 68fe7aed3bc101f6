"""Staff sign-in behind the documented proxy: every limit counts the client, not the proxy."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-staff-password-2026"
PROXY = "10.0.0.1"
CLIENT_A = "203.0.113.10"
CLIENT_B = "198.51.100.20"


@pytest.fixture
def staff(roles):
    from clinic import roles as role_names

    user = UserFactory(username="rosa", password=PASSWORD)
    user.groups.add(roles[role_names.RECEPTION])
    return user


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def sign_in_from(client, address, password, forwarded_for=None):
    """Post the sign-in form as the proxy does: from its own address, naming the client."""
    forwarded = forwarded_for if forwarded_for is not None else address
    return client.post(
        reverse("staff:sign_in"),
        {"username": "rosa", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_wrong_passwords_from_one_client_do_not_lock_another_out(
    client, staff, settings, behind_one_proxy
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_from(client, CLIENT_A, "not-it")
    # Same proxy, same username, another client: the right password still works.
    response = sign_in_from(client, CLIENT_B, PASSWORD)
    assert response.status_code == 302, response.content.decode()[:300]
    assert response.url.startswith(reverse("staff:verify"))


def test_wrong_passwords_from_one_client_lock_that_client_out(
    client, staff, settings, behind_one_proxy
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_from(client, CLIENT_A, "not-it")
    locked = sign_in_from(client, CLIENT_A, PASSWORD)
    assert locked.status_code in (403, 429)
    assert "Sign-in paused" in locked.content.decode()


def test_a_client_cannot_dodge_the_lockout_by_forging_the_left_of_the_header(
    client, staff, settings, behind_one_proxy
):
    # The proxy appends the address it saw; anything further left is the client's own word.
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in_from(client, CLIENT_A, "not-it", forwarded_for=f"192.0.2.{number}, {CLIENT_A}")
    locked = sign_in_from(client, CLIENT_A, PASSWORD, forwarded_for=f"192.0.2.99, {CLIENT_A}")
    assert locked.status_code in (403, 429)


def test_a_header_that_is_not_an_address_counts_against_the_connection(
    client, staff, settings, behind_one_proxy
):
    # Reached without the proxy, a client could send anything; it must neither break the
    # sign-in (the lockout records an IP address column) nor give a fresh address each time.
    for number in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in_from(client, CLIENT_A, "not-it", forwarded_for=f"junk-{number}")
        assert response.status_code in (200, 403, 429)
    locked = sign_in_from(client, CLIENT_A, PASSWORD, forwarded_for="more-junk")
    assert locked.status_code in (403, 429)
