import time

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import QueryDict
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware
from django_otp.models import Device

from clinic.access import DeviceWanted, device_wanted
from clinic.sql_values import instance_by_pk
from clinic.views import error_page

LAST_SEEN = "staff_last_seen"
# The stamp is rewritten at most this often: each rewrite is an UPDATE of the session row and a
# COMMIT, on every staff request otherwise. Being signed out up to a minute later than
# STAFF_IDLE_MINUTES is well within what the timeout is for.
STAMP_EVERY_SECONDS = 60


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's middleware (``request.user.is_verified()``), the device the session names
    read in the same query as the user (``clinic.access.user_with_access``), or, if the user
    was read before, with a written-out query of its own: its ORM query, on every staff
    request, cost three times what running it does. The checks that the device is the user's
    and confirmed stay django-otp's."""

    def _verify_user_sync(self, request, user):
        key = self._device_key(request.session.get(DEVICE_ID_SESSION_KEY) or "")
        token = device_wanted.set(DeviceWanted(*key) if key is not None else None)
        try:
            return super()._verify_user_sync(request, user)
        finally:
            device_wanted.reset(token)

    def _device_from_persistent_id(self, persistent_id):
        key = self._device_key(persistent_id)
        if key is None:
            return None
        wanted = device_wanted.get()
        if wanted is not None and wanted.read and (wanted.model, wanted.pk) == key:
            return wanted.device
        return instance_by_pk(*key)

    def _device_key(self, persistent_id: str):
        """The device model and primary key that ``persistent_id`` names, as
        ``django_otp.models.Device.from_persistent_id`` reads it ("app_label.model_name/pk"),
        or None when it names no device model."""
        try:
            label, pk = self._normalize_persistent_id(persistent_id).rsplit("/", 1)
            model, pk = apps.get_model(label), int(pk)
        except (AttributeError, ValueError, LookupError):
            return None
        # A key no table can hold names no device (SQLite refuses to compare with it).
        if not issubclass(model, Device) or not -(2**63) <= pk < 2**63:
            return None
        return model, pk


class StaffIdleSignOutMiddleware:
    """Sign staff out after STAFF_IDLE_MINUTES without a request.

    Only signed-in users are timed: a patient's session (their booking in progress) is not.
    The last-seen stamp is written at most once every STAMP_EVERY_SECONDS, so that a request
    that changes nothing else in the session does not save it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN, now)
            if now - last_seen > settings.STAFF_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.STAFF_IDLE_MINUTES} minutes without "
                    "activity. Please sign in again.",
                )
                return redirect("staff:sign_in")
            if now - last_seen >= STAMP_EVERY_SECONDS or LAST_SEEN not in request.session:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def permissions_policy(get_response):
    """Send the Permissions-Policy header (Django has no setting of its own for it)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def request_size_limit(get_response):
    """Refuse a request whose body is over MAX_REQUEST_BYTES before any of it is read.

    Django reads an upload (spooling it to disk) as soon as a view touches ``request.POST`` or
    ``request.FILES``, whatever its size, so the photo form's own limits came after a 150 MB
    body had been received. The declared length is known from the headers alone. A chunked body
    declares none; Django would not read it (it reads CONTENT_LENGTH bytes, so none), and no
    browser sends a form that way, so it is refused as well rather than silently dropped.
    """

    def middleware(request):
        declared = request.META.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not declared:
            return error_page(
                request,
                411,
                "This request could not be read",
                "Your browser sent the form in a way we do not accept. Please go back and send "
                "it again, or try another browser.",
            )
        try:
            length = int(declared or 0)
        except ValueError:
            length = 0  # Django reads nothing of a body whose length it cannot read either
        if length > settings.MAX_REQUEST_BYTES:
            megabytes = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            return error_page(
                request,
                413,
                "That was too much to send at once",
                f"A form with its photos can be at most {megabytes} MB, and each photo at most "
                "10 MB. Please go back and send fewer or smaller photos; your answers are still "
                "in the form.",
            )
        return get_response(request)

    return middleware


def _without_nul(text: str) -> str:
    return text.replace("\x00", "")


def drop_nul_from_query(get_response):
    """Drop NUL bytes from the query string before any view reads it.

    No search, filter, date or page number holds one, and PostgreSQL refuses text that does
    (psycopg2 raises ValueError before the query is sent): every admin changelist searched or
    filtered with ``%00`` answered a server error. Dropped rather than refused with a 400, so
    that a pasted search still finds what it meant, as the staff patient search did already.
    """

    def middleware(request):
        pairs = [(key, value) for key, values in request.GET.lists() for value in values]
        if any("\x00" in key or "\x00" in value for key, value in pairs):
            cleaned = QueryDict(mutable=True)
            for key, value in pairs:
                cleaned.appendlist(_without_nul(key), _without_nul(value))
            cleaned._mutable = False
            request.GET = cleaned
            # The same for everything that reads the raw query (links back, redirects).
            request.META["QUERY_STRING"] = cleaned.urlencode()
        return get_response(request)

    return middleware


# The patient's public booking pages, which show nothing of anyone; every other page of the
# booking flow shows a booking in progress or a private link's booking.
PUBLIC_BOOKING_PAGES = {"start", "times"}


def _shows_personal_data(match) -> bool:
    # The patient's treatment plan pages all hang off a private link.
    if match.namespace in ("staff", "admin", "treatments"):
        return True
    return match.namespace == "bookings" and match.url_name not in PUBLIC_BOOKING_PAGES


def no_store_for_personal_pages(get_response):
    """Tell browsers and proxies to keep no copy of a page with personal or clinical data.

    Every staff page, and the patient's private-link, plan and booking-in-progress pages, are sent
    with ``Cache-Control: private, no-store``: otherwise the browser's history or disk cache,
    or a shared proxy, could show a patient's answers to the next person at that computer.
    """

    def middleware(request):
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and _shows_personal_data(match):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def method_not_allowed_page(get_response):
    """A 405 in the clinic's look: an action's address (cancel, check in) opened as a link, from
    the history or a bookmark, gave a blank page. The Allow header stays."""

    def middleware(request):
        response = get_response(request)
        if response.status_code == 405 and not response.content:
            from clinic.views import error_page

            page = error_page(
                request,
                405,
                "This address is a button's",
                "It does its work when its button is pressed on a page, and shows nothing when "
                "opened on its own. Go back to the page and use the button there.",
            )
            if "Allow" in response:
                page["Allow"] = response["Allow"]
            return page
        return response

    return middleware
