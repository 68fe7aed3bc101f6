from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


class ClinicAdminSite(AdminSite):
    """The configuration screens, for staff who have passed both sign-in steps."""

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request, extra_context=None):
        # One way in for staff: the clinic's sign-in with its second factor.
        next_url = request.GET.get("next", reverse("admin:index"))
        return redirect(reverse("staff:sign_in") + "?" + urlencode({"next": next_url}))


class ClinicAdminConfig(AdminConfig):
    """The Django admin, on a site that asks for the staff second factor."""

    default_site = "clinic.admin_site.ClinicAdminSite"
