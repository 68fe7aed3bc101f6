"""The signed-in staff member's own page, and a practitioner's private diary feed.

The feed is fetched by a calendar app, which signs in to nothing: its address's token is the
whole of its access, so it is treated like a patient's private link (rate-limited lookups, the
token stored as a digest, a revoked one refused with a plain 404).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.diary_feed import (
    calendar_feed_renew,
    calendar_feed_stop,
    diary_feed,
    feed_practitioner,
)
from bookings.models import Practitioner
from clinic import ratelimit
from clinic.roles import ROLES
from staff.auth import StaffRequiredMixin

# The session key that carries a new feed token from the POST that made it to the one page
# that shows it; it is removed as it is shown.
NEW_FEED_SESSION_KEY = "new_calendar_feed_token"


class StaffRoleMixin(StaffRequiredMixin, PermissionRequiredMixin):
    # Every role reads the diary; a staff account in no role opens no staff page.
    permission_required = "bookings.view_booking"
    raise_exception = True


def _own_practitioner(user):
    return Practitioner.objects.filter(user=user).select_related("user", "calendar_feed").first()


class ProfileView(StaffRoleMixin, TemplateView):
    """Who is signed in, in which role, and a practitioner's diary feed."""

    template_name = "staff/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        practitioner = _own_practitioner(user)
        feed = getattr(practitioner, "calendar_feed", None) if practitioner else None
        new_token = self.request.session.pop(NEW_FEED_SESSION_KEY, None)
        feed_url = None
        if new_token and feed is not None:
            feed_url = self.request.build_absolute_uri(
                reverse("staff:calendar_feed", args=[new_token])
            )
        roles = [group.name for group in user.groups.all() if group.name in ROLES]
        return super().get_context_data(
            roles=roles, practitioner=practitioner, feed=feed, feed_url=feed_url, **kwargs
        )


class PasswordChangeView(StaffRoleMixin, auth_views.PasswordChangeView):
    """Change one's own password: the current one, then the new one twice, held to the
    clinic's password rules. The session stays signed in (with its second factor), under a new
    key; every other session of the account is signed out (Django's session hash). Tries are
    counted per account and address: the current password is not to be guessed here."""

    template_name = "staff/password_change.html"

    def get_success_url(self):
        return reverse("staff:profile")

    def post(self, request, *args, **kwargs):
        scope = f"staff-password-change:{request.user.pk}"
        if not ratelimit.allow(request, scope, settings.STAFF_SIGN_IN_ATTEMPTS_PER_HOUR):
            return ratelimit.too_many(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Your password is changed. Any other browser signed in as you has been signed out.",
        )
        return response


class CalendarFeedChangeView(StaffRoleMixin, View):
    """Make a new feed address (the old one stops working), or turn the feed off."""

    http_method_names = ["post"]

    def post(self, request, action):
        practitioner = _own_practitioner(request.user)
        if practitioner is None:
            raise PermissionDenied("Only practitioners have a diary feed.")
        if action == "new":
            token = calendar_feed_renew(practitioner=practitioner, now=timezone.now())
            request.session[NEW_FEED_SESSION_KEY] = token
            messages.success(
                request,
                "Your new diary address is below. Any address you had before no longer works.",
            )
        elif action == "stop":
            calendar_feed_stop(practitioner=practitioner)
            messages.success(request, "Your diary feed is off: its address no longer works.")
        else:
            raise Http404("No such action.")
        return redirect("staff:profile")


class CalendarFeedView(View):
    """The diary feed itself, for a calendar app: no sign-in, the token is the key."""

    def get(self, request, token):
        if not ratelimit.allow(request, "calendar-feed", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
            response = HttpResponse(
                "Too many requests: try again in an hour.", status=429, content_type="text/plain"
            )
            response["Retry-After"] = "3600"
            return response
        practitioner = feed_practitioner(token)
        if practitioner is None:
            raise Http404("No diary has this address.")
        response = HttpResponse(
            diary_feed(practitioner=practitioner, now=timezone.now()),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = 'inline; filename="diary.ics"'
        return response
