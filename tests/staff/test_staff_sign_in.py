"""Staff sign-in: password with lockout, then a second factor; idle sign-out; the admin."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.middleware import LAST_SEEN
from tests.factories import BookingFactory, UserFactory, sign_in_with_second_factor

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-staff-password-2026"


@pytest.fixture
def staff(roles):
    from clinic import roles as role_names

    user = UserFactory(username="rosa", password=PASSWORD)
    user.groups.add(roles[role_names.RECEPTION])
    return user


def sign_in(client, username="rosa", password=PASSWORD, **extra):
    return client.post(
        reverse("staff:sign_in"), {"username": username, "password": password}, **extra
    )


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_staff_pages_need_sign_in(client, staff):
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("staff:sign_in"))


def test_first_sign_in_sets_up_the_app_then_shows_backup_codes_once(client, staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the app's throttling would delay the retry below
    response = sign_in(client)
    assert response.status_code == 302 and response.url.startswith(reverse("staff:verify"))
    assert client.get(reverse("staff:home")).status_code == 302  # password alone is not enough
    enrol = client.get(reverse("staff:verify"), follow=True)
    assert "<svg" in enrol.content.decode() and "Key:" in enrol.content.decode()
    device = TOTPDevice.objects.get(user=staff)
    assert client.post(reverse("staff:enrol"), {"code": "000000"}).status_code == 400
    done = client.post(reverse("staff:enrol"), {"code": current_code(device)})
    assert done.status_code == 302
    codes_page = client.get(done.url).content.decode()
    codes = list(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in codes_page for code in codes)
    assert client.get(reverse("staff:backup_codes")).status_code == 302  # shown once only
    assert client.get(reverse("staff:home")).status_code == 200


def test_a_backup_code_works_once(client, staff):
    device = StaticDevice.objects.create(user=staff, name="Backup codes")
    StaticToken.objects.create(device=device, token="once1234")
    sign_in(client)
    assert client.post(reverse("staff:verify"), {"code": "once1234"}).status_code == 302
    assert client.get(reverse("staff:home")).status_code == 200
    client.post(reverse("staff:sign_out"))
    sign_in(client)
    again = client.post(reverse("staff:verify"), {"code": "once1234"})
    assert again.status_code == 400 and "has been used" in again.content.decode()


def test_five_wrong_codes_sign_the_person_out(client, staff):
    StaticToken.objects.create(device=StaticDevice.objects.create(user=staff), token="right123")
    sign_in(client)
    for _ in range(4):
        assert client.post(reverse("staff:verify"), {"code": "wrong"}).status_code == 400
    out = client.post(reverse("staff:verify"), {"code": "wrong"})
    assert out.status_code == 302 and out.url == reverse("staff:sign_in")
    assert client.get(reverse("staff:verify")).url.startswith(reverse("staff:sign_in"))


def test_repeated_wrong_passwords_lock_the_account_out_for_a_while(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, password="not-it").status_code == 200
    assert sign_in(client, password="not-it").status_code == 429  # the limit: locked out
    locked = sign_in(client)  # even the right password, during the cool-off
    assert locked.status_code in (403, 429)
    assert "Sign-in paused" in locked.content.decode()


def test_one_address_trying_many_usernames_is_paused_with_a_friendly_page(client, settings):
    settings.STAFF_SIGN_IN_ATTEMPTS_PER_HOUR = 6
    for n in range(6):  # a different username each time: no single account is locked
        assert sign_in(client, username=f"guess{n}", password="not-it").status_code == 200
    paused = sign_in(client, username="guess7", password="not-it")
    assert paused.status_code == 429
    assert "Sign-in paused for your connection" in paused.content.decode()
    other_address = sign_in(client, username="guess8", password="not-it", REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200


def test_second_factor_guesses_count_towards_the_address_limit(client, staff, settings):
    StaticToken.objects.create(device=StaticDevice.objects.create(user=staff), token="right123")
    settings.STAFF_SIGN_IN_ATTEMPTS_PER_HOUR = 3
    sign_in(client)
    client.post(reverse("staff:verify"), {"code": "wrong1"})
    client.post(reverse("staff:verify"), {"code": "wrong2"})
    paused = client.post(reverse("staff:verify"), {"code": "right123"})
    assert paused.status_code == 429
    assert StaticToken.objects.filter(token="right123").exists()  # not spent by the refusal


def test_staff_are_signed_out_after_thirty_idle_minutes(client, staff):
    sign_in_with_second_factor(client, staff)
    assert client.get(reverse("staff:home")).status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302 and response.url == reverse("staff:sign_in")
    assert client.get(reverse("staff:home")).status_code == 302


def test_the_idle_stamp_is_written_at_most_once_a_minute(client, staff):
    sign_in_with_second_factor(client, staff)
    client.get(reverse("staff:home"))  # shows, and so removes, any message of the sign-in
    session = client.session
    stamped = time.time() - 30
    session[LAST_SEEN] = stamped
    session.save()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff:home")).status_code == 200
    # Half a minute on: the stamp stands and the session row is not rewritten.
    assert client.session[LAST_SEEN] == stamped
    assert not [q for q in queries.captured_queries if 'UPDATE "django_session"' in q["sql"]]
    session = client.session
    session[LAST_SEEN] = time.time() - 61
    session.save()
    client.get(reverse("staff:home"))
    assert client.session[LAST_SEEN] > time.time() - 5


def test_the_admin_needs_the_second_factor_too(client, staff):
    staff.is_superuser = True
    staff.save()
    sign_in(client)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    sign_in_with_second_factor(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_someone_without_a_staff_account_is_refused(client):
    outsider = UserFactory(username="visitor", is_staff=False)
    sign_in_with_second_factor(client, outsider)
    assert client.get(reverse("staff:home")).status_code == 403


def test_enrolment_is_closed_once_a_second_factor_exists(client, staff):
    StaticToken.objects.create(device=StaticDevice.objects.create(user=staff), token="right123")
    sign_in(client)
    response = client.get(reverse("staff:enrol"))
    assert response.status_code == 302 and response.url.startswith(reverse("staff:verify"))
    assert not TOTPDevice.objects.filter(user=staff).exists()


def test_today_lists_each_location_with_a_fixed_number_of_queries(client, staff, clinic_setup):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tests.factories import LocationFactory, PatientFactory

    sign_in_with_second_factor(client, staff)

    def count():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("staff:home"))
        assert page.status_code == 200 and "Test clinic" in page.content.decode()
        return len(queries)

    before = count()
    LocationFactory(name="Second clinic", time_zone="Asia/Dubai")
    noon = timezone.localtime(timezone.now(), clinic_setup["location"].zone).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    for n, practitioner in enumerate(clinic_setup["practitioners"] * 2):
        start = noon + timedelta(hours=n)
        BookingFactory(
            patient=PatientFactory(),
            practitioner=practitioner,
            consultation_type=clinic_setup["type"],
            location=clinic_setup["location"],
            starts_at=start,
        )
    assert "12:00" in client.get(reverse("staff:home")).content.decode()
    # Session, the user with their permissions, roles and OTP device (one query), locations,
    # today's bookings and the locations closed today (reception's arrivals have no chart): more
    # locations and bookings add none. (No session save: the idle stamp is rewritten at most
    # once a minute.)
    assert count() == before == 5


def test_after_the_password_alone_the_menu_offers_only_sign_out(client, staff):
    StaticToken.objects.create(device=StaticDevice.objects.create(user=staff), token="right123")
    sign_in(client)
    today_link = f'href="{reverse("staff:home")}"'
    page = client.get(reverse("staff:verify")).content.decode()
    assert "Sign out" in page and today_link not in page
    client.post(reverse("staff:verify"), {"code": "right123"})
    assert today_link in client.get(reverse("home")).content.decode()


def test_a_refused_code_is_not_typed_back_and_letters_can_be_typed(client, staff):
    """Backup codes hold letters, so the code field asks for a full keyboard; after a refusal
    the field is empty for the next try."""
    StaticToken.objects.create(device=StaticDevice.objects.create(user=staff), token="right123")
    sign_in(client)
    page = client.get(reverse("staff:verify")).content.decode()
    assert 'name="code"' in page and 'inputmode="numeric"' not in page
    refused = client.post(reverse("staff:verify"), {"code": "wrong42x"})
    assert refused.status_code == 400
    content = refused.content.decode()
    assert "not right" in content and "wrong42x" not in content
