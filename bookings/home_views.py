"""The patient's home, no password: ask for a sign-in link by e-mail, open it, and then every
booking (moved and cancelled through their private-link pages, under the same rules), the
questions still to answer, the practitioner's summaries, one's details, the optional photo
consent, a download of one's data and a request to erase it.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from bookings import home_emails
from bookings.home import (
    home_bookings,
    home_patient,
    home_sections,
    home_sign_in,
    home_sign_out,
    progress_booking,
)
from bookings.home_forms import HomeDetailsForm, SignInLinkForm
from bookings.privacy import patient_export
from clinic import ratelimit
from patients import consent as consent_texts
from patients.home import (
    email_change_confirm,
    email_change_peek,
    erasure_request_make,
    patient_details_change,
    patients_for_sign_in,
    photo_consent_given,
    photo_consent_set,
    sign_in_peek,
    sign_in_use,
)
from patients.models import ErasureRequest

HOUR = 3600


def _address_allowed(email: str) -> bool:
    """Count one link asked for this e-mail address; False once over the hourly limit. Keyed
    on a digest, so the cache holds no address, and counted whether or not it is known."""
    bucket, seconds_left = ratelimit.window(HOUR)
    key = f"ratelimit:home-link-address:{ratelimit.digest(email)}:{bucket}"
    return ratelimit.hit(key, seconds_left) <= settings.PATIENT_SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR


class SignInView(View):
    """Ask for a sign-in link. The answer is the same whether or not the address is known."""

    def get(self, request):
        return render(request, "bookings/home/sign_in.html", {"form": SignInLinkForm()})

    def post(self, request):
        form = SignInLinkForm(request.POST)
        if not form.is_valid():
            return render(request, "bookings/home/sign_in.html", {"form": form}, status=400)
        email = form.cleaned_data["email"]
        if not ratelimit.allow(
            request, "home-link", settings.PATIENT_SIGN_IN_LINKS_PER_HOUR
        ) or not _address_allowed(email):
            return ratelimit.too_many(request, "bookings/home/too_many.html")
        # Queued for a known address or not (then with nobody to write to): the same work and
        # the same answer either way.
        home_emails.on_commit_enqueue(home_emails.send_sign_in_links, patients_for_sign_in(email))
        return redirect("bookings:home_link_sent")


class LinkSentView(View):
    def get(self, request):
        context = {"minutes": settings.PATIENT_SIGN_IN_LINK_MINUTES}
        return render(request, "bookings/home/link_sent.html", context)


def _link_refused(request, kind="sign_in"):
    """A link used, expired or replaced. Opened again in a browser signed in already (a second
    click on the e-mail's link), it leads home instead of reading as a failure."""
    patient = home_patient(request, timezone.now())
    if patient is not None:
        if kind == "email":
            # Used, expired or replaced: which, the token no longer says.
            said = f"That link no longer works. Your e-mail address is {patient.email}"
            if patient.pending_email:
                said += f"; the change to {patient.pending_email} waits for its newest link"
            messages.info(request, said + ".")
        else:
            messages.info(request, "You are signed in already.")
        return redirect("bookings:home")
    return render(request, "bookings/home/link_refused.html", {"kind": kind}, status=410)


class OpenLinkView(View):
    """A sign-in link: the page asks for one tap before it is used, so that a mail scanner
    opening every link in an e-mail (a GET) does not spend it."""

    def dispatch(self, request, *args, **kwargs):
        if not ratelimit.allow(request, "private-link", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
            return ratelimit.too_many(request, "bookings/home/too_many.html")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token):
        patient = sign_in_peek(token)
        if patient is None:
            return _link_refused(request)
        return render(request, "bookings/home/open.html", {"first_name": patient.first_name})

    def post(self, request, token):
        now = timezone.now()
        patient = sign_in_use(token=token, now=now)
        if patient is None:
            return _link_refused(request)
        home_sign_in(request, patient, now)
        return redirect("bookings:home")


class PatientHomeMixin:
    """Pages for a signed-in patient; anyone else is sent to ask for a link."""

    def dispatch(self, request, *args, **kwargs):
        self.now = timezone.now()
        self.patient = home_patient(request, self.now)
        if self.patient is None:
            messages.info(request, "Please sign in with a link sent to your e-mail.")
            return redirect("bookings:home_sign_in")
        return super().dispatch(request, *args, **kwargs)


class HomeView(PatientHomeMixin, View):
    def get(self, request):
        upcoming, past = home_bookings(self.patient, self.now)
        sections = home_sections(self.patient)
        context = {
            "patient": self.patient,
            "upcoming": upcoming,
            "past": past,
            "progress_booking": progress_booking(upcoming + past),
            "sections": sections,
            "to_book": any(link.to_book for section in sections for link in section.links),
            "photo_consent": photo_consent_given(self.patient),
            "photo_consent_text": consent_texts.PHOTOS_BEYOND_CARE.text,
            "erasure_request": ErasureRequest.objects.filter(patient=self.patient).first(),
        }
        return render(request, "bookings/home/home.html", context)


class SignOutView(View):
    http_method_names = ["post"]

    def post(self, request):
        home_sign_out(request)
        messages.success(request, "You are signed out.")
        return redirect("bookings:home_sign_in")


def _region(patient):
    """The country whose phone numbers need no country code: the patient's latest clinic's."""
    latest = patient.bookings.select_related("location").order_by("-starts_at").first()
    return latest.location.country if latest is not None else None


class DetailsView(PatientHomeMixin, View):
    def get(self, request):
        patient = self.patient
        initial = {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "email": patient.pending_email or patient.email,
            "phone": patient.phone,
        }
        form = HomeDetailsForm(initial=initial, region=_region(patient))
        return render(request, "bookings/home/details.html", {"form": form, "patient": patient})

    def post(self, request):
        form = HomeDetailsForm(request.POST, region=_region(self.patient))
        if not form.is_valid():
            context = {"form": form, "patient": self.patient}
            return render(request, "bookings/home/details.html", context, status=400)
        change = patient_details_change(
            patient=self.patient, **{name: form.cleaned_data[name] for name in form.fields}
        )
        if change.email_pending:
            home_emails.on_commit_enqueue(home_emails.send_email_change_link, self.patient.pk)
            messages.success(
                request,
                f"Your details are saved. We have sent a link to {form.cleaned_data['email']}: "
                "your new e-mail address is used once you open it.",
            )
        else:
            messages.success(request, "Your details are saved.")
        return redirect("bookings:home")


class EmailConfirmView(View):
    """The link sent to a new address. Like a sign-in link, it asks for one tap."""

    def dispatch(self, request, *args, **kwargs):
        if not ratelimit.allow(request, "private-link", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
            return ratelimit.too_many(request, "bookings/home/too_many.html")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token):
        patient = email_change_peek(token)
        if patient is None:
            return _link_refused(request, "email")
        context = {"email": patient.pending_email}
        return render(request, "bookings/home/email_confirm.html", context)

    def post(self, request, token):
        patient = email_change_confirm(token=token)
        if patient is None:
            return _link_refused(request, "email")
        messages.success(request, f"Your e-mail address is now {patient.email}.")
        return redirect("bookings:home")


class PhotoConsentView(PatientHomeMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        given = request.POST.get("photo_consent") == "give"
        photo_consent_set(patient=self.patient, given=given, now=self.now)
        if given:
            messages.success(request, "Thank you: your photos may be used for training and audit.")
        else:
            messages.success(
                request, "Withdrawn: from now on your photos are used for your care only."
            )
        return redirect("bookings:home")


class ExportView(PatientHomeMixin, View):
    """Everything the clinic holds about the patient: the same zip a clinic admin exports."""

    http_method_names = ["post"]

    def post(self, request):
        name, content = patient_export(patient=self.patient)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class EraseView(PatientHomeMixin, View):
    def get(self, request):
        context = {"erasure_request": ErasureRequest.objects.filter(patient=self.patient).first()}
        return render(request, "bookings/home/erase.html", context)

    def post(self, request):
        _, new = erasure_request_make(patient=self.patient, now=self.now)
        if new:
            home_emails.on_commit_enqueue(home_emails.send_erasure_request_notice, self.patient.pk)
        messages.success(
            request,
            "We have your request to erase your data. The clinic will write to you within a month.",
        )
        return redirect("bookings:home")
