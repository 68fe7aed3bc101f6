"""Practitioners' review of intakes: the queue, the consultation review page, the photos, and
the assessment.

Every view here that reads clinical data records the read in the audit trail through
``clinic.audit``, the one place reads are written. A practitioner sees the consultations they
see; a clinic admin sees all (``staff.selectors.visible_bookings``).
"""

import math
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.follow_up import assessment_record
from bookings.models import Booking
from bookings.services import BookingError
from clinic import seen
from clinic.audit import record_read, record_read_ids, record_reads
from clinic.times import format_local
from patients.forms import IntakeForm
from patients.models import IntakePhoto
from patients.services import ASSESSMENT_CHANGED, AssessmentError
from staff import queue_sql, selectors
from staff.auth import StaffRequiredMixin
from staff.forms import SAVE_DRAFT, SIGN_OFF, AssessmentForm, PageForm
from staff.queue_rows import held_rows, missing_rows, queue_rows
from staff.views.photo_file import photo_file_response

QUEUE_PAGE_SIZE = 25
# The queue is counted up to this many intakes and no further: an exact count of a long queue
# reads every row of it, on every view, to print one number nobody needs exactly.
QUEUE_COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """The queue's page numbers, from its count, which stops at ``cap`` + 1: the pages past
    the cap are not offered. The rows of a page are read with the count
    (``staff.queue_sql.queue_page``), so the paginator only numbers them."""

    cap = QUEUE_COUNT_CAP

    def __init__(self, count: int, per_page: int):
        super().__init__([], per_page)
        self.count = count

    @property
    def capped(self):
        return self.count > self.cap

    def page_of(self, number: int, rows: list):
        return self._get_page(rows, number, self)


class ClinicalAccessMixin(StaffRequiredMixin, PermissionRequiredMixin):
    permission_required = "patients.view_hairlossintake"
    raise_exception = True


class ReviewQueueView(ClinicalAccessMixin, TemplateView):
    """Upcoming and recent consultations with an intake and no assessment yet, soonest first,
    flags shown; above them the sessions held by a health check, below them the consultations
    whose intake is missing. One query whatever the lists hold (staff/queue_sql.py), and the
    audit's INSERT when they hold anything."""

    template_name = "staff/review_queue.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        page, shown = queue_page(self.request.user, now, PageForm(self.request.GET).number())
        # A row whose intake was erased since it was counted is not shown.
        listed = [row for row in shown.rows if row.intake_id is not None]
        record_read_ids(
            self.request,
            {
                "screening flags": [(row.intake_id, row.patient_id) for row in listed],
                "health check": [
                    (check.rescreen_id, check.booking.patient_id) for check in shown.held
                ],
            },
        )
        return super().get_context_data(
            rows=queue_rows(listed, shown.flags, shown.names),
            page=page,
            now=now,
            intake_missing=missing_rows(shown.missing, shown.names),
            held_sessions=held_rows(shown.held, shown.names),
            **kwargs,
        )


def queue_page(user, now, number: int):
    """The queue's page ``number`` and all the page shows (``staff.queue_sql.QueuePage``);
    past the last page, the last, as ``Paginator.get_page`` gives it. One query; two for a page
    past the last under the cap."""
    size, cap = QUEUE_PAGE_SIZE, CappedPaginator.cap
    # No page lies past the cap's: the database is never asked to skip more rows than it counts.
    number = min(number, math.ceil((cap + 1) / size))

    def read(number):
        return queue_sql.queue_page(
            user=user,
            now=now,
            since=timedelta(days=selectors.RECENT_DAYS),
            offset=(number - 1) * size,
            size=size,
            cap=cap,
        )

    shown = read(number)
    paginator = CappedPaginator(shown.count, size)
    if number > paginator.num_pages:
        number = paginator.num_pages
        shown = read(number)
        paginator = CappedPaginator(shown.count, size)
    return paginator.page_of(number, shown.rows), shown


def reviewable_or_404(request, pk):
    try:
        return selectors.reviewable_booking(user=request.user, pk=pk)
    except Booking.DoesNotExist:
        raise Http404("No consultation with answers that you review.") from None


def review_page(request, booking, *, form=None, status=200, seen_version=None):
    """The review: the screening flags, the patient's answers and photos, earlier visits, and
    beside them the saved assessment and its form. Every clinical read shown is recorded.
    ``seen_version``: the assessment as the person's page showed it, sent back again after a
    refusal (``clinic.seen``); by default, as it is now."""
    intake = getattr(booking, "intake", None)
    assessment = selectors.booking_assessment(booking)
    flags, answers, photos = [], None, []
    if intake is not None:
        record_read(request, "intake", intake, booking.patient_id)
        flags = selectors.sorted_flags(intake.flags.all())
        answers = IntakeForm(data=_as_form_data(IntakeForm.initial_from(intake)))
        answers.is_valid()
        photos = list(intake.photos.all())
    if assessment:
        record_read(request, "assessment", assessment, booking.patient_id)
    earlier = selectors.earlier_visits(user=request.user, booking=booking)
    record_reads(request, "assessment", [(a, booking.patient_id) for a in earlier.assessments])
    if form is None and request.user.has_perm("patients.add_assessment"):
        initial = AssessmentForm.initial_for(assessment=assessment, intake=intake)
        form = AssessmentForm(initial=initial, flags=flags)
    context = {
        "booking": booking,
        "intake": intake,
        "flags": flags,
        "answers": answers,
        "photos": photos,
        "photo_rows": selectors.photos_by_view(photos, earlier.photos),
        "previous": earlier.visits,
        "assessment": assessment,
        "seen": seen.version(assessment) if seen_version is None else seen_version,
        "form": form,
        "sign_off": SIGN_OFF,
        "save_draft": SAVE_DRAFT,
    }
    return render(request, "staff/review.html", context, status=status)


class ReviewView(ClinicalAccessMixin, View):
    """One consultation's intake, laid out for a clinician, with the assessment beside it."""

    def get(self, request, pk):
        return review_page(request, reviewable_or_404(request, pk))


def _as_form_data(initial):
    """Turn saved answers back into the shape a bound form expects (lists for lists)."""
    data = QueryDict(mutable=True)
    for key, value in initial.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


class StaffPhotoView(ClinicalAccessMixin, View):
    """Serve one scalp photo to staff allowed to see that consultation, and record it."""

    def get(self, request, pk):
        try:
            photo = selectors.visible_photo(user=request.user, pk=pk)
        except IntakePhoto.DoesNotExist:
            raise Http404("No such photo.") from None
        record_read(request, "photo", photo, photo.intake.booking.patient_id)
        return photo_file_response(
            request, photo, unaffected="The other photos and the answers are"
        )


class AssessmentView(ClinicalAccessMixin, View):
    """Record the assessment and recommendation as a draft or signed off; optionally book the
    follow-up. The form sits on the review page, beside the evidence it weighs."""

    permission_required = ("patients.view_hairlossintake", "patients.add_assessment")

    def booking(self):
        try:
            return (
                selectors.visible_bookings(self.request.user)
                .select_related(
                    "patient",
                    "practitioner__user",
                    "location",
                    "consultation_type",
                    "intake",
                    "assessment",
                )
                .get(pk=self.kwargs["pk"])
            )
        except Booking.DoesNotExist:
            raise Http404("No consultation that you review.") from None

    def get(self, request, pk):
        return review_page(request, self.booking())

    def post(self, request, pk):
        booking = self.booking()
        intake = getattr(booking, "intake", None)
        flags = list(intake.flags.all()) if intake is not None else []
        saved = getattr(booking, "assessment", None)
        form = AssessmentForm(
            request.POST, flags=flags, signed_off=bool(saved and saved.signed_off_at)
        )
        # Refused for another reason, the page still shows the assessment as it did: a save
        # made by someone else meanwhile must still be caught on the next try.
        shown = seen.posted(request.POST)
        if form.is_valid():
            try:
                assessment, follow_up = assessment_record(
                    booking=booking,
                    author=request.user,
                    values=form.values(),
                    sign_off=form.signs_off(),
                    acknowledged=form.cleaned_data["acknowledge_flags"],
                    follow_up=form.follow_up(),
                    now=timezone.now(),
                    seen=shown,
                )
            except (BookingError, AssessmentError) as error:
                form.add_error(None, error.message)
                if error.message == ASSESSMENT_CHANGED:
                    shown = None  # seen now: saving again replaces it knowingly
            else:
                messages.success(request, _saved_message(assessment, follow_up, booking))
                # To the saved assessment itself, which on a phone comes after the evidence.
                target = "staff:review" if intake is not None else "staff:assessment"
                return redirect(reverse(target, args=[booking.pk]) + "#assessment")
        return review_page(request, booking, form=form, status=400, seen_version=shown)


def _saved_message(assessment, follow_up, booking) -> str:
    if assessment.signed_off_at:
        done = "Assessment signed off: the patient can read the summary through their link"
        # (``bookings.home.summary_for_patient``: not before the visit is over.)
        if booking.status == Booking.Status.COMPLETED:
            done += "."
        else:
            done += " once the consultation is marked completed."
    else:
        done = "Draft saved: the patient cannot read it until you sign it off."
    if follow_up:
        when = format_local(follow_up.starts_at, follow_up.location.zone, "l j F Y, H:i")
        done += (
            f" Follow-up booked for {when} with {follow_up.practitioner.display_name} "
            f"at {follow_up.location.name}."
        )
    return done
