"""The second factor's device, read each staff request (clinic.middleware.OTPMiddleware)."""

import pytest
from django.contrib.auth import get_user, login
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.access import device_wanted
from clinic.middleware import OTPMiddleware
from tests.factories import BookingFactory, UserFactory

pytestmark = pytest.mark.django_db


def user_after_middleware(user, persistent_id):
    request = RequestFactory().get("/staff/")
    request.session = SessionStore()
    if persistent_id is not None:
        request.session[DEVICE_ID_SESSION_KEY] = persistent_id
    request.user = user
    OTPMiddleware(lambda request: HttpResponse())(request)
    return request.user, request.session


def signed_in_request(user, persistent_id):
    """A staff request's session, signed in through ``clinic.access.AccessBackend``."""
    request = RequestFactory().get("/staff/")
    request.session = SessionStore()
    login(request, user, backend="clinic.access.AccessBackend")
    request.session[DEVICE_ID_SESSION_KEY] = persistent_id
    return request


def after_middleware(request):
    """As a staff request runs: the user not read yet when the middleware runs, then read
    from the session (Django's ``get_user``)."""
    request.user = SimpleLazyObject(lambda: get_user(request))
    OTPMiddleware(lambda request: HttpResponse())(request)
    return request.user, request.session


@pytest.mark.parametrize("model", [StaticDevice, TOTPDevice])
def test_the_device_is_read_in_the_users_own_query(model, django_assert_num_queries):
    user = UserFactory()
    device = model.objects.create(user=user, name="Mine")
    request = signed_in_request(user, device.persistent_id)
    with django_assert_num_queries(1):
        verified, _ = after_middleware(request)
        assert verified.is_verified() and verified.pk == user.pk
    assert verified.otp_device == device and type(verified.otp_device) is model
    assert [
        field.name
        for field in model._meta.concrete_fields
        if getattr(verified.otp_device, field.attname) != getattr(device, field.attname)
    ] == []


def test_read_with_the_user_a_device_of_another_user_or_unknown_still_does_not_verify(
    django_assert_num_queries,
):
    user = UserFactory()
    theirs = StaticDevice.objects.create(user=UserFactory(), name="Theirs")
    unconfirmed = StaticDevice.objects.create(user=user, name="Pending", confirmed=False)
    for persistent_id in (
        theirs.persistent_id,
        unconfirmed.persistent_id,
        "otp_static.staticdevice/999999",
    ):
        request = signed_in_request(user, persistent_id)
        with django_assert_num_queries(1):
            verified, session = after_middleware(request)
            assert not verified.is_verified()
        assert DEVICE_ID_SESSION_KEY not in session


@pytest.mark.parametrize("model", [StaticDevice, TOTPDevice])
def test_the_users_confirmed_device_verifies_them(model):
    user = UserFactory()
    device = model.objects.create(user=user, name="Mine")
    verified, _ = user_after_middleware(user, device.persistent_id)
    assert verified.is_verified()
    assert verified.otp_device == device and type(verified.otp_device) is model


def test_the_device_is_read_in_one_query(django_assert_num_queries):
    user = UserFactory()
    device = StaticDevice.objects.create(user=user, name="Mine")
    with django_assert_num_queries(1):
        assert user_after_middleware(user, device.persistent_id)[0].is_verified()


def test_a_device_of_another_user_or_unconfirmed_does_not_verify():
    user = UserFactory()
    theirs = StaticDevice.objects.create(user=UserFactory(), name="Theirs")
    unconfirmed = StaticDevice.objects.create(user=user, name="Pending", confirmed=False)
    for device in (theirs, unconfirmed):
        verified, session = user_after_middleware(user, device.persistent_id)
        assert not verified.is_verified()
        # As django-otp does: a device that does not verify is forgotten.
        assert DEVICE_ID_SESSION_KEY not in session


@pytest.mark.parametrize(
    "persistent_id",
    [
        "otp_static.staticdevice/999999",
        "otp_static.staticdevice/99999999999999999999",  # past any key a table holds
        "otp_static.staticdevice/abc",
        "otp_static.staticdevice",
        "nosuchapp.device/1",
        "bookings.booking/{booking}",  # a model that is not a device
        "django_otp.plugins.otp_static.models.StaticDevice/{device}",  # the legacy form
    ],
)
def test_a_session_naming_no_device_of_the_user_does_not_verify(persistent_id):
    user = UserFactory()
    device = StaticDevice.objects.create(user=user, name="Mine")
    persistent_id = persistent_id.format(booking=BookingFactory().pk, device=device.pk)
    verified, _ = user_after_middleware(user, persistent_id)
    legacy = persistent_id.startswith("django_otp.")
    assert verified.is_verified() is legacy


def test_no_device_is_read_for_someone_not_signed_in(django_assert_num_queries):
    with django_assert_num_queries(0):
        visitor, _ = user_after_middleware(AnonymousUser(), "otp_static.staticdevice/1")
        assert not visitor.is_verified()


def test_the_device_asked_for_is_forgotten_even_when_reading_the_user_fails():
    user = UserFactory()
    device = StaticDevice.objects.create(user=user, name="Mine")
    request = signed_in_request(user, device.persistent_id)

    def broken():
        assert device_wanted.get() is not None  # asked for while the user is read
        raise ConnectionError("the database went away")

    request.user = SimpleLazyObject(broken)
    OTPMiddleware(lambda request: HttpResponse())(request)
    with pytest.raises(ConnectionError):
        request.user.is_verified()
    assert device_wanted.get() is None
