"""The session key changes when the second factor is passed, and the staff member stays in.

A key seen or planted before the code step (a fixed session) must never become a verified one.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles as role_names
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-staff-password-2026"


@pytest.fixture
def staff(roles):
    user = UserFactory(username="rosa", password=PASSWORD)
    user.groups.add(roles[role_names.RECEPTION])
    return user


def sign_in_with_password(client):
    response = client.post(
        reverse("staff:sign_in"),
        {"username": "rosa", "password": PASSWORD, "next": reverse("staff:week")},
    )
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def same_session(key):
    """Another browser holding the given session key."""
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = key
    return other


def test_the_code_step_gives_a_new_session_key_and_keeps_the_person_signed_in(client, staff):
    StaticToken.objects.create(device=StaticDevice.objects.create(user=staff), token="code1234")
    before = sign_in_with_password(client)
    verified = client.post(
        reverse("staff:verify"), {"code": "code1234", "next": reverse("staff:week")}
    )
    assert verified.status_code == 302 and verified.url == reverse("staff:week")
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    # Signed in and verified under the new key, with the session's data (the "backup code
    # used" message) carried over.
    week = client.get(reverse("staff:week"))
    assert week.status_code == 200 and "Backup code used" in week.content.decode()
    # The key known before the code step opens nothing.
    stale = same_session(before).get(reverse("staff:home"))
    assert stale.status_code == 302 and stale.url.startswith(reverse("staff:sign_in"))


def test_enrolling_the_app_gives_a_new_session_key_too(client, staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    before = sign_in_with_password(client)
    client.get(reverse("staff:enrol"))
    device = TOTPDevice.objects.get(user=staff)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    done = client.post(reverse("staff:enrol"), {"code": code})
    assert done.status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    # The backup codes kept in the session for showing once are still there.
    codes = StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)
    page = client.get(done.url).content.decode()
    assert len(codes) == 10 and all(code in page for code in codes)
    assert same_session(before).get(reverse("staff:home")).status_code == 302
