import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

LAST_SEEN = "staff_last_seen"


class StaffIdleSignOutMiddleware:
    """Sign staff out after STAFF_IDLE_MINUTES without a request.

    Only signed-in users are timed: a patient's session (their booking in progress) is not.
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
            request.session[LAST_SEEN] = now
        return self.get_response(request)


def permissions_policy(get_response):
    """Send the Permissions-Policy header (Django has no setting of its own for it)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
