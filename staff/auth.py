"""Staff sign-in in two steps: a password (with lockout), then a second factor.

The second factor is a code from an authenticator app (TOTP) or a one-time backup code. A staff
member without an app is taken through enrolment first: a QR code, a code to prove it works,
then ten backup codes shown once.
"""

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views import View
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import ratelimit

BACKUP_CODES = 10
CODE_FAILURES_ALLOWED = 5


class CodeForm(forms.Form):
    """The second step: an authenticator app's code or a backup code. Backup codes hold letters,
    so the field asks for a full keyboard on a phone, not a keypad."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        help_text="The 6 digits your authenticator app shows, or one of your backup codes.",
    )

    def refused(self, message):
        """Say why the code was refused, and empty the field for the next try."""
        self.add_error("code", message)
        data = self.data.copy()
        data["code"] = ""
        self.data = data


class AppCodeForm(CodeForm):
    """Setting up the authenticator app: its 6 digits only, so a phone shows a keypad."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
        self.fields["code"].help_text = "The 6 digits your authenticator app shows."


def _next_url(request, default="staff:home"):
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: a bare word such as "0" would be taken by ``redirect`` for
    # the name of a URL pattern, and another host is never a place to send staff to.
    is_path = wanted.startswith("/") and not wanted.startswith(("//", "/\\"))
    if is_path and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse(default)


def _with_next(name, request):
    return reverse(name) + "?" + urlencode({"next": _next_url(request)})


class StaffSignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a username longer than any account's before it is
    tried: Django only sets the field's ``maxlength`` for the browser, and django-axes would
    then record the failed attempt with the username in a 255-character column, which
    PostgreSQL refuses with an error (jazzband/django-axes#1381)."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if len(username) > self.username_field.max_length:
            raise forms.ValidationError(
                "No account has a username that long. Please check what you typed."
            )
        return username


class StaffSignInView(auth_views.LoginView):
    """Step one: username and password (django-axes counts the failures)."""

    template_name = "staff/sign_in.html"
    authentication_form = StaffSignInForm

    def post(self, request, *args, **kwargs):
        if not _sign_in_attempt_allowed(request):
            return ratelimit.too_many(request, "staff/too_many_sign_in.html")
        return super().post(request, *args, **kwargs)

    def get_success_url(self):
        return _with_next("staff:verify", self.request)


class StaffRequiredMixin(AccessMixin):
    """Let in only staff who have passed both sign-in steps."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_staff:
            raise PermissionDenied
        if not user.is_verified():
            return redirect(
                reverse("staff:verify") + "?" + urlencode({"next": request.get_full_path()})
            )
        return super().dispatch(request, *args, **kwargs)


def _sign_in_attempt_allowed(request):
    limit = settings.STAFF_SIGN_IN_ATTEMPTS_PER_HOUR
    return ratelimit.allow(request, "staff-sign-in", limit)


def _failures_key(user):
    return f"staff-code-failures:{user.pk}"


def _second_factor_passed(request, device) -> None:
    """Mark the session verified, under a new session key.

    The key was last changed at the password step; changing it again here means that a key
    seen or planted before the second factor (a fixed session) never becomes a verified one.
    The session's data is kept.
    """
    otp_login(request, device)
    request.session.cycle_key()


class VerifyView(View):
    """Step two: a code from the app, or a backup code (each works once)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(_with_next("staff:sign_in", request))
        if request.user.is_verified():
            return redirect(_next_url(request))
        if not user_has_device(request.user):
            return redirect(_with_next("staff:enrol", request))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(
            request, "staff/verify.html", {"form": CodeForm(), "next": _next_url(request)}
        )

    def post(self, request):
        if not _sign_in_attempt_allowed(request):
            return ratelimit.too_many(request, "staff/too_many_sign_in.html")
        form = CodeForm(request.POST)
        device = form.is_valid() and match_token(request.user, form.cleaned_data["code"].strip())
        if device:
            cache.delete(_failures_key(request.user))
            _second_factor_passed(request, device)
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device=device).count()
                advice = " Ask a clinic admin for new ones soon." if left <= 2 else ""
                messages.info(request, f"Backup code used: {left} left.{advice}")
            return redirect(_next_url(request))
        key = _failures_key(request.user)
        cache.add(key, 0, timeout=15 * 60)
        if cache.incr(key) >= CODE_FAILURES_ALLOWED:
            cache.delete(key)
            logout(request)
            messages.error(request, "Too many wrong codes. Please sign in again.")
            return redirect("staff:sign_in")
        form.refused("That code is not right, or has been used. Please try again.")
        context = {"form": form, "next": _next_url(request)}
        return render(request, "staff/verify.html", context, status=400)


class EnrolView(View):
    """Set up the authenticator app, for a staff member who has none yet."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(_with_next("staff:sign_in", request))
        if user_has_device(request.user):
            # Enrolling again would let a stolen password replace the second factor.
            return redirect(_with_next("staff:verify", request))
        self.device = TOTPDevice.objects.filter(
            user=request.user, confirmed=False
        ).first() or TOTPDevice.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, request, form, status=200):
        secret = self.device.config_url.split("secret=")[1].split("&")[0]
        context = {
            "form": form,
            "qr_svg": mark_safe(segno.make(self.device.config_url).svg_inline(scale=5)),  # noqa: S308 - generated SVG
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next_url(request),
        }
        return render(request, "staff/enrol.html", context, status=status)

    def get(self, request):
        return self.render_page(request, AppCodeForm())

    def post(self, request):
        form = AppCodeForm(request.POST)
        if not (form.is_valid() and self.device.verify_token(form.cleaned_data["code"].strip())):
            form.add_error(
                None, "That code did not match. Check the time on your phone and try again."
            )
            return self.render_page(request, form, status=400)
        self.device.confirmed = True
        self.device.save(update_fields=["confirmed"])
        backup = StaticDevice.objects.create(user=request.user, name="Backup codes")
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
        _second_factor_passed(request, self.device)
        request.session["backup_codes_once"] = codes
        return redirect(_with_next("staff:backup_codes", request))


class BackupCodesView(StaffRequiredMixin, View):
    """Show the new backup codes once, right after enrolment."""

    def get(self, request):
        codes = request.session.pop("backup_codes_once", None)
        if not codes:
            return redirect(_next_url(request))
        return render(
            request, "staff/backup_codes.html", {"codes": codes, "next": _next_url(request)}
        )
