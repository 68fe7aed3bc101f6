"""Fuzzing staff sign-in: the password step, the second-factor code and the app enrolment.

Properties, for every generated case: no server error; nobody is signed in (or verified, or
enrolled) by anything but the right password or code; a refused attempt changes no account,
device or backup code; and wherever the person is sent next stays on this site.
"""

import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import event, given
from hypothesis import strategies as st

from tests.factories import UserFactory
from tests.fuzz.hostile import FuzzTestCase, mutated, row_counts

PASSWORD = "a-long-staff-password-2026"
ACCOUNT_RECORDS = (get_user_model(), StaticDevice, StaticToken, TOTPDevice)
VERIFIED = "otp_device_id"  # django-otp's session key for the verified device


def assert_stays_on_site(location):
    """The redirect, and the ``next`` it carries to the following step, point to this site."""
    parts = urlsplit(location)
    assert parts.netloc in ("", "testserver"), location
    for following in parse_qs(parts.query).get("next", []):
        assert url_has_allowed_host_and_scheme(following, {"testserver"}), location
        assert urlsplit(following).netloc in ("", "testserver"), location
        assert not following.lstrip().startswith(("//", "/\\", "\\")), location


def current_code(device, drift=0):
    """The code an authenticator app shows now (or ``drift`` steps of 30 seconds away)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{code:06d}"


def session_key_for(user, verify_with=None):
    """A browser session signed in with the password alone (and verified with a code)."""
    browser = Client()
    browser.force_login(user)
    if verify_with:
        response = browser.post(reverse("staff:verify"), {"code": verify_with})
        assert response.status_code == 302
    return browser.cookies["sessionid"].value


class StaffSignInFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.rosa = UserFactory(username="rosa", password=PASSWORD)
        device = StaticDevice.objects.create(user=cls.rosa, name="Backup codes")
        StaticToken.objects.create(device=device, token="right123")

    @given(st.data())
    def test_password_step_signs_in_only_with_the_right_password(self, data):
        valid = {"username": "rosa", "password": PASSWORD, "next": "/staff/"}
        form = data.draw(mutated(valid, tamper=["code", "remember"]), label="form")
        urlencoded = data.draw(st.booleans(), label="urlencoded")
        counts = row_counts(*ACCOUNT_RECORDS)
        password_hash = get_user_model().objects.get(pk=self.rosa.pk).password

        response = self.send("post", reverse("staff:sign_in"), form, urlencoded=urlencoded)

        status = response.status_code
        assert status in (200, 302, 403, 429), status
        assert row_counts(*ACCOUNT_RECORDS) == counts
        assert get_user_model().objects.get(pk=self.rosa.pk).password == password_hash
        posted = response.wsgi_request.POST
        username = unicodedata.normalize("NFKC", posted.get("username", "").strip())
        right = username == "rosa" and posted.get("password") == PASSWORD
        signed_in = "_auth_user_id" in self.client.session
        assert signed_in == (status == 302), status
        if status == 302:
            event("signed in")
            assert right
            assert response["Location"].startswith(reverse("staff:verify") + "?next=")
            assert_stays_on_site(response["Location"])
            assert VERIFIED not in self.client.session  # the code is still to come
        elif right:
            raise AssertionError(f"the right password was refused ({status})")


class SecondFactorFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.rosa = UserFactory(username="rosa", password=PASSWORD)
        device = StaticDevice.objects.create(user=cls.rosa, name="Backup codes")
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=code) for code in ("right123", "other456")
        )
        cls.app = TOTPDevice.objects.create(user=cls.rosa, name="Authenticator app", confirmed=True)
        cls.session = session_key_for(cls.rosa)

    def app_codes(self):
        return {current_code(self.app, drift) for drift in (-1, 0, 1)}

    @given(st.data())
    def test_code_step_verifies_only_with_an_unused_code(self, data):
        self.use_session(self.session)
        valid = {"code": "right123", "next": "/staff/"}
        form = data.draw(mutated(valid, tamper=["username", "password"]), label="form")
        counts = row_counts(*ACCOUNT_RECORDS)

        response = self.send("post", reverse("staff:verify"), form)

        status = response.status_code
        assert status in (302, 400), status
        code = response.wsgi_request.POST.get("code", "").strip()
        verified = VERIFIED in self.client.session
        after = row_counts(*ACCOUNT_RECORDS)
        if verified and code in self.app_codes():
            # A number that happens to be the app's code of the moment: one in a million.
            assert status == 302 and after == counts
        elif verified:
            event("verified with a backup code")
            assert status == 302 and code in ("right123", "other456")
            assert after == {**counts, "StaticToken": counts["StaticToken"] - 1}
            assert not StaticToken.objects.filter(token=code).exists()  # used up
            assert_stays_on_site(response["Location"])
        else:
            assert status == 400, status
            assert after == counts
            assert self.client.session["_auth_user_id"] == str(self.rosa.pk)
            assert code not in ("right123", "other456"), "a valid backup code was refused"


class EnrolmentFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newcomer = UserFactory(username="newcomer", password=PASSWORD)
        # The app being set up, as the enrolment page creates it on the first visit.
        cls.device = TOTPDevice.objects.create(
            user=cls.newcomer, name="Authenticator app", confirmed=False
        )
        cls.session = session_key_for(cls.newcomer)

    @given(st.data())
    def test_enrolment_confirms_the_app_only_with_its_current_code(self, data):
        self.use_session(self.session)
        code = current_code(self.device)
        form = data.draw(mutated({"code": code, "next": "/staff/"}), label="form")
        counts = row_counts(*ACCOUNT_RECORDS)

        response = self.send("post", reverse("staff:enrol"), form)

        status = response.status_code
        assert status in (302, 400), status
        device = TOTPDevice.objects.get(pk=self.device.pk)
        after = row_counts(*ACCOUNT_RECORDS)
        posted = response.wsgi_request.POST.get("code", "").strip()
        if device.confirmed:
            event("app confirmed")
            assert status == 302 and posted == code
            assert StaticToken.objects.filter(device__user=self.newcomer).count() == 10
            assert after["TOTPDevice"] == counts["TOTPDevice"]
            assert VERIFIED in self.client.session
            assert response["Location"].startswith(reverse("staff:backup_codes"))
            assert_stays_on_site(response["Location"])
        else:
            assert status == 400, status
            assert after == counts
            assert not StaticDevice.objects.filter(user=self.newcomer).exists()
            assert VERIFIED not in self.client.session


@pytest.mark.django_db
def test_a_next_address_that_is_not_a_path_is_not_a_server_error_after_the_code(client):
    """``next=0`` passes the same-site check (it is a relative address), but the code step
    hands it to ``redirect()``, which first reads it as the name of a URL pattern and raises
    NoReverseMatch: a server error after the code has been used up. Found by the fuzzing of
    the code step above."""
    rosa = UserFactory(username="rosa", password=PASSWORD)
    device = StaticDevice.objects.create(user=rosa, name="Backup codes")
    StaticToken.objects.create(device=device, token="right123")
    client.force_login(rosa)
    response = client.post(reverse("staff:verify"), {"code": "right123", "next": "0"})
    assert response.status_code == 302 and response.url == reverse("staff:home")
    again = client.get(reverse("staff:verify"), {"next": "staff"})  # already verified
    assert again.status_code == 302 and again.url == reverse("staff:home")
    # A path on this site is still honoured.
    client.logout()
    client.force_login(rosa)
    StaticToken.objects.create(device=device, token="right456")
    wanted = reverse("staff:review_queue")
    response = client.post(reverse("staff:verify"), {"code": "right456", "next": wanted})
    assert response.status_code == 302 and response.url == wanted


@pytest.mark.django_db
def test_an_overlong_username_is_refused_not_a_server_error(client):
    """Django's sign-in form does not check the username's length, and django-axes records
    the failed attempt with the username in a 255-character column: PostgreSQL refuses the
    insert (DataError), a server error. Upstream: jazzband/django-axes#1381. Found by the
    fuzzing of the password step above."""
    UserFactory(username="rosa", password=PASSWORD)
    response = client.post(reverse("staff:sign_in"), {"username": "0" * 256, "password": PASSWORD})
    assert response.status_code in (200, 400)
    assert "_auth_user_id" not in client.session
    assert "No account has a username that long" in response.content.decode()
    # The longest username an account can have is still tried as usual.
    longest = "r" * 150
    UserFactory(username=longest, password=PASSWORD)
    response = client.post(reverse("staff:sign_in"), {"username": longest, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"]
