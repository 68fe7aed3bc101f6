"""The patient's private link: view, add to a calendar, move, cancel, and edit the intake.

The link's token opens that booking alone, and no database id appears in any patient URL. A
cancelled or past booking can still be viewed, but its link no longer changes anything. The link
has no end date: it keeps serving its booking (the summary, the calendar file) until erasure
gives the booking a new token.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.dispatch import Signal
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from bookings import drafts, notifications, selectors
from bookings.forms import CancelForm, DayForm, posted_sequence
from bookings.home import patient_actions
from bookings.models import Booking
from bookings.services import (
    CHANGED_SINCE,
    BookingError,
    booking_cancel,
    booking_reschedule,
)
from clinic import ratelimit
from clinic.times import format_local
from clinic.views import error_page
from patients.forms import IntakeForm, PhotoForm
from patients.models import Assessment, HairLossIntake, IntakeInProgress, IntakePhoto
from patients.photo_files import photo_open
from patients.services import intake_save_for_later, intake_update

DAYS_SHOWN = 7
NOTHING_CHANGED = (
    "Nothing was changed: this booking can no longer be changed online (see why below). "
    "Please call the clinic if you need to."
)
# The patient's words for ``bookings.services.CHANGED_SINCE``.
MOVED_SINCE = (
    "Your booking was changed in another tab or window while this page was open, so it was not "
    "moved again. It is now on {when}: choose a time below if it still needs moving."
)
# A procedure belongs to a course of treatment, whose sessions keep a spacing window from one
# another: only the plan's own move (a layer above this one) checks those windows, so the
# booking's link does not move a procedure.
PROCEDURE_MOVES_ON_THE_PLAN = (
    "This visit is part of your treatment course: to keep the right time between sessions, "
    "move it from your plan page, or call us."
)

# Higher layers add what the patient may do next through this link (treatments: rate their
# hair before a review). Each receiver returns a list of (label, address, note), or nothing.
manage_page_actions = Signal()  # sender=Booking, booking=..., now=...


class PrivateLinkView(View):
    """Load the booking named by the link's token (rate-limited against guessing)."""

    allowed = "view"  # what the state must allow: view, change, move or edit_intake

    def dispatch(self, request, token, **kwargs):
        if not ratelimit.allow(request, "private-link", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
            return ratelimit.too_many(request, "bookings/too_many_link.html")
        self.booking = Booking.objects.select_related(
            "patient", "practitioner__user", "location", "consultation_type"
        ).for_private_link(token)
        if self.booking is None:
            raise Http404("No booking has this link.")
        self.state = patient_actions(self.booking, timezone.now())
        if (
            request.method == "POST"
            and self.allowed != "view"
            and not self.state[f"can_{self.allowed}"]
            and not self.state["can_change"]
        ):
            # Sent from a page left open (a second tab) after the booking was cancelled, or
            # too late: say so, rather than land on the booking as if it had worked.
            messages.error(request, NOTHING_CHANGED)
        if self.allowed == "change" and not self.state["can_change"]:
            return redirect("bookings:manage", token=token)
        if self.allowed == "move" and not self.state["can_move"]:
            if self.state["can_change"]:
                messages.info(request, PROCEDURE_MOVES_ON_THE_PLAN)
            return redirect("bookings:manage", token=token)
        if self.allowed == "edit_intake" and not self.state["can_edit_intake"]:
            return redirect("bookings:manage", token=token)
        return super().dispatch(request, token, **kwargs)


class ManageView(PrivateLinkView):
    def get(self, request, token):
        booking = self.booking
        intake = HairLossIntake.objects.filter(booking=booking).first()
        # The summary reaches the patient once the consultation is marked completed, not before.
        summary = Assessment.objects.filter(
            booking=booking, signed_off_at__isnull=False, booking__status=Booking.Status.COMPLETED
        ).first()
        context = {
            "summary": summary,
            "booking": booking,
            "intake": intake,
            "in_progress": intake is None
            and IntakeInProgress.objects.filter(booking=booking).exists(),
            "calendar_links": notifications.calendar_links(booking),
            "photos": list(intake.photos.all()) if intake else [],
            # The answers by section, each with a link back to its section of the questions.
            "answers": IntakeForm.bound_to(intake).review_sections() if intake else [],
            # The progress page has something to show: a visit shared, or the patient's own
            # rating of their hair, of a booking not cancelled (as the progress page reads them).
            "has_progress": Booking.objects.filter(patient=booking.patient_id)
            .exclude(status=Booking.Status.CANCELLED)
            .filter(Q(measures__shared_with_patient=True) | Q(self_rating__isnull=False))
            .exists(),
            "actions": [
                action
                for _, actions in manage_page_actions.send(
                    sender=Booking, booking=booking, now=timezone.now()
                )
                for action in actions or []
            ],
            **self.state,
        }
        return render(request, "bookings/manage.html", context)


class CalendarView(PrivateLinkView):
    def get(self, request, token):
        response = HttpResponse(
            notifications.calendar_file(self.booking, publish=True),
            content_type="text/calendar; method=PUBLISH",
        )
        response["Content-Disposition"] = 'attachment; filename="consultation.ics"'
        return response


class CancelView(PrivateLinkView):
    allowed = "change"

    def get(self, request, token):
        return render(
            request, "bookings/cancel.html", {"booking": self.booking, "form": CancelForm()}
        )

    def post(self, request, token):
        form = CancelForm(request.POST)
        if not form.is_valid():
            return render(
                request, "bookings/cancel.html", {"booking": self.booking, "form": form}, status=400
            )
        try:
            booking_cancel(booking=self.booking, reason=form.cleaned_data["reason"])
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, "Your booking has been cancelled. We have sent you an e-mail."
            )
        return redirect("bookings:manage", token=token)


class RescheduleView(PrivateLinkView):
    """Choose a new time with the same practitioner, under the same rules as booking (a
    consultation only: a procedure moves on its plan's page, which keeps the course's windows)."""

    allowed = "move"

    def get(self, request, token):
        booking = self.booking
        chosen = drafts.parse_start(request.GET.get("start", ""))
        if chosen is not None:
            # One more look before moving: a tap on a phone is easily a mistake.
            return render(
                request,
                "bookings/reschedule_confirm.html",
                {"booking": booking, "new_start": chosen},
            )
        zone = booking.location.zone
        today = timezone.now().astimezone(zone).date()
        horizon_end = today + timedelta(days=booking.consultation_type.horizon_days)
        first = DayForm(
            request.GET,
            first=today,
            last=horizon_end,
            default=booking.starts_at.astimezone(zone).date() - timedelta(days=3),
        ).chosen()
        result = selectors.available_slots(
            consultation_type=booking.consultation_type,
            location=booking.location,
            first_day=first,
            last_day=first + timedelta(days=DAYS_SHOWN - 1),
            practitioner=booking.practitioner,
            exclude_booking_id=booking.pk,
        )
        week = result.days(first, DAYS_SHOWN)

        def url(day):
            return reverse("bookings:reschedule", args=[token]) + "?" + urlencode({"day": day})

        context = {
            "booking": booking,
            "week": week,
            "previous_week": url(first - timedelta(days=7)) if first > today else None,
            "next_week": url(first + timedelta(days=7)),
        }
        return render(request, "bookings/reschedule.html", context)

    def post(self, request, token):
        starts_at = drafts.parse_start(request.POST.get("start", ""))
        if starts_at is None:
            messages.error(request, "That time could not be read. Please choose again.")
            return redirect("bookings:reschedule", token=token)
        try:
            booking_reschedule(
                booking=self.booking,
                starts_at=starts_at,
                expected_sequence=posted_sequence(request.POST),
            )
        except BookingError as error:
            message = error.message
            if message == CHANGED_SINCE:
                # Moved or changed in another tab since this page was drawn.
                message = MOVED_SINCE.format(
                    when=format_local(
                        self.booking.starts_at, self.booking.location.zone, "l j F Y, H:i"
                    )
                )
            messages.error(request, message)
            return redirect("bookings:reschedule", token=token)
        messages.success(request, "Your booking has been moved. We have sent you an e-mail.")
        return redirect("bookings:manage", token=token)


class IntakeEditView(PrivateLinkView):
    """Answer, finish or correct the hair-loss questions and photos, until the consultation
    starts. Answers can be saved unfinished, and whatever is sent is kept, even when it cannot
    be accepted yet: the patient finds every answer when they come back through the link."""

    allowed = "edit_intake"

    def render_form(self, request, form, photos, status=200):
        saved_photos = list(
            IntakePhoto.objects.filter(
                Q(intake__booking=self.booking) | Q(in_progress__booking=self.booking)
            )
        )
        photo_errors = len(photos.errors) if photos.is_bound else 0
        sections = form.sections(photos_sent=bool(saved_photos), photo_errors=photo_errors)
        context = {
            "booking": self.booking,
            "intake": form,
            "photos": photos,
            "saved_photos": saved_photos,
            "sections": sections,
            # Counted as the list marks them: answered, and nothing in them to check.
            "answered": sum(1 for s in sections if s["answered"] and not s["errors"]),
            "to_check": any(s["errors"] for s in sections),
        }
        return render(request, "bookings/intake_edit.html", context, status=status)

    def get(self, request, token):
        in_progress = IntakeInProgress.objects.filter(booking=self.booking).first()
        intake = HairLossIntake.objects.filter(booking=self.booking).first()
        initial = None
        if in_progress is not None:
            initial = IntakeForm.initial_from_typed(in_progress.answers)
        elif intake is not None:
            initial = IntakeForm.initial_from(intake)
        return self.render_form(request, IntakeForm(initial=initial), PhotoForm())

    def post(self, request, token):
        form = IntakeForm(request.POST)
        photos = PhotoForm(request.POST, request.FILES)
        photos_ok = photos.is_valid()
        later = "save_for_later" in request.POST
        if not later and form.is_valid() and photos_ok:
            intake_update(
                booking=self.booking,
                values=form.intake_values(),
                photos=photos.cleaned_photos,
                now=timezone.now(),
            )
            messages.success(request, "Thank you: your answers have been sent.")
            return redirect("bookings:manage", token=token)
        names = set(form.fields)
        answers = {k: v for k, v in drafts.typed_answers(request.POST).items() if k in names}
        intake_save_for_later(
            booking=self.booking, answers=answers, photos=getattr(photos, "cleaned_photos", [])
        )
        if later and photos_ok:
            messages.success(
                request,
                "Your answers are saved. Finish them any time before your consultation, from "
                "this page or the link in your confirmation e-mail.",
            )
            return redirect("bookings:manage", token=token)
        if later:
            form = IntakeForm(initial=IntakeForm.initial_from_typed(answers))
            messages.error(request, "Your answers are saved, but a photo could not be used.")
        else:
            messages.error(
                request,
                "Please check the answers marked below. Nothing you typed has been lost: it is "
                "saved, and you can finish later.",
            )
        return self.render_form(request, form, photos, status=400)


class PhotoView(PrivateLinkView):
    """Serve one of this booking's photos to the patient who holds its link, while the
    consultation is ahead: once it is over or cancelled, the link shows no health data."""

    allowed = "edit_intake"

    def get(self, request, token, photo_id):
        photo = get_object_or_404(
            IntakePhoto.objects.filter(
                Q(intake__booking=self.booking) | Q(in_progress__booking=self.booking)
            ),
            pk=photo_id,
        )
        return _photo_response(request, photo)


def _photo_response(request, photo):
    image = photo_open(photo)
    if image is None:
        return error_page(
            request,
            404,
            "This photo is not available",
            "We could not find this photo's file. Your other answers and photos are kept; "
            "you can send this photo again with your answers.",
        )
    response = FileResponse(image, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
