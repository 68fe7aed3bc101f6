"""The public booking flow: consultation → practitioner and time → details → review and confirm;
then the hair-loss questions, from the confirmation page, through the private link.

Views parse the request, call selectors and the draft and booking services, and render or
redirect; the rules live in those services. Every step works without JavaScript; htmx only swaps
the slot picker in place.
"""

from datetime import timedelta
from html import escape

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from django.views.generic import ListView

from bookings import drafts, notifications, picker, picker_cache, selectors
from bookings.forms import DayForm
from bookings.models import Booking, BookingDraft, ConsultationType, Practitioner
from bookings.refusals import nearest_slots
from bookings.services import BookingError
from clinic import ratelimit
from patients.models import HairLossIntake

DAYS_SHOWN = 7
WEEK = timedelta(days=DAYS_SHOWN - 1)
WEEKDAY_NAMES = [
    ("Monday", "Mo"),
    ("Tuesday", "Tu"),
    ("Wednesday", "We"),
    ("Thursday", "Th"),
    ("Friday", "Fr"),
    ("Saturday", "Sa"),
    ("Sunday", "Su"),
]
SESSION_DRAFTS = "booking_drafts"


class ConsultationTypeListView(ListView):
    """Step 1 of booking: the consultations on offer."""

    template_name = "bookings/consultation_types.html"
    context_object_name = "consultation_types"

    def get_queryset(self):
        types = ConsultationType.bookable_online().prefetch_related(
            Prefetch(
                "practitioners",
                queryset=Practitioner.objects.filter(is_active=True).prefetch_related("locations"),
            )
        )
        for consultation_type in types:
            # Where it can be booked: wherever one of its practitioners works.
            consultation_type.offered_at = sorted(
                {
                    loc.name
                    for p in consultation_type.practitioners.all()
                    for loc in p.locations.all()
                }
            )
        return types


def _choice(request, consultation_type, offered=None):
    """Read the location and practitioner chosen in the query string, with safe defaults;
    ``offered`` is ``selectors.offered_where``'s answer when the caller has read it already."""
    if offered is None:
        offered = selectors.offered_where(consultation_type)
    if not offered:
        raise Http404("No location offers this consultation.")
    wanted = request.GET.get("location", "")
    location, practitioners = next(
        ((loc, found) for loc, found in offered if str(loc.pk) == wanted), offered[0]
    )
    locations = [loc for loc, _ in offered]
    wanted = request.GET.get("practitioner", "any")
    practitioner = next((p for p in practitioners if str(p.pk) == wanted), None)
    return locations, location, practitioners, practitioner


def _first_day(request, today, horizon_end):
    """Return the day asked for, kept between today and the booking horizon, or None."""
    return DayForm(request.GET, first=today, last=horizon_end).chosen()


class SlotPickerView(View):
    """Step 2: choose a practitioner (or the first available) and a time.

    Opens on the first day with free times and shows a week from there; the day and week links
    move it. With htmx the picker is swapped in place, and without it the links are plain pages.
    """

    template_name = "bookings/slot_picker.html"

    def get(self, request, slug):
        # The type and the key of its free times in one query; where and by whom it is
        # offered, and the times, may come from the shared cache under that key, checked
        # against everything they depend on (bookings/picker_cache.py).
        picker_state = picker_cache.online_picker_state(slug)
        if picker_state is None:
            raise Http404("No consultation matches the given query.")
        return self.draw(request, slug, picker_state)

    def draw(self, request, slug, picker_state):
        consultation_type = picker_state.consultation_type
        state = picker_state.key
        locations, location, practitioners, practitioner = _choice(
            request, consultation_type, picker_state.offered
        )
        now = timezone.now()

        def search(first_day, last_day):
            return picker_cache.available_slots(
                state=state,
                consultation_type=consultation_type,
                location=location,
                first_day=first_day,
                last_day=last_day,
                practitioner=practitioner,
                eligible=practitioners,
                now=now,
            )

        today = now.astimezone(location.zone).date()
        horizon_end = today + timedelta(days=consultation_type.horizon_days)
        first = _first_day(request, today, horizon_end)
        month = DayForm(request.GET, first=today, last=horizon_end, field="month").chosen()
        # One search covers the month shown (for phones) and the week shown (for desktops):
        # from the month's first bookable day to its end, or to the week's end if later. With
        # no day asked for, it opens on the first day with free times, a month at a time.
        window_start = max(today, picker.month_start(first or month or today))
        while True:
            window_end = max(picker.month_end(window_start), (first or window_start) + WEEK)
            window_end = min(window_end, horizon_end)
            result = search(window_start, window_end)
            if first is not None or result.slots or window_end >= horizon_end:
                break
            window_start = picker.next_month(window_start)
        if first is None:
            days = result.slots_by_day()
            first = days[0][0] if days else window_start
        month_result = result
        if picker.month_start(first) > window_start:
            # The first free day is in a later month than the search began in.
            window_start = picker.month_start(first)
            window_end = min(max(picker.month_end(first), first + WEEK), horizon_end)
            month_result = search(window_start, window_end)
        result = month_result
        last = first + timedelta(days=DAYS_SHOWN - 1)
        # Each slot written out once, with its local day, for the week and the month both.
        by_day = picker.times_by_day(result.slots, location.zone)
        week = [
            (day, by_day.get(day, []))
            for day in (first + timedelta(days=n) for n in range(DAYS_SHOWN))
        ]
        free_days = set(by_day)
        choice = {
            "location": location.pk,
            "practitioner": practitioner.pk if practitioner else "any",
        }

        if request.GET.get("draft"):
            choice["draft"] = request.GET["draft"]

        picker_path = reverse("bookings:times", args=[slug])
        picker_base = picker_path + "?" + urlencode(choice)

        def picker_url(day, name="day"):
            # Every link is kept between today and the horizon: none leads outside them.
            day = min(max(day, today), horizon_end)
            return f"{picker_base}&{name}={day.isoformat()}"

        nav = {
            "previous_week": picker_url(first - timedelta(days=7)) if first > today else None,
            "previous_day": picker_url(first - timedelta(days=1)) if first > today else None,
            "next_day": picker_url(first + timedelta(days=1)) if first < horizon_end else None,
            "next_week": picker_url(first + timedelta(days=7)) if last < horizon_end else None,
        }
        shown_month = picker.month_start(first)
        month_nav = {
            "previous": picker_url(picker.previous_month(shown_month), "month")
            if shown_month > today
            else None,
            "next": picker_url(picker.next_month(shown_month), "month")
            if picker.next_month(shown_month) <= horizon_end
            else None,
        }
        day_slots = dict(week)[first]
        details_url = reverse("bookings:details", args=[slug]) + "?" + urlencode(choice)
        # Choosing a new time for a booking in progress keeps its answers: the slots then post
        # to that draft instead of starting a new form.
        retime = request.GET.get("draft", "")
        if retime not in request.session.get(SESSION_DRAFTS, []):
            retime = ""
        day_parts = picker.day_parts(day_slots)
        csrf_field = ""
        if retime:
            token = escape(get_token(request))
            csrf_field = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'

        retime_url = reverse("bookings:draft_time", args=[retime]) if retime else ""
        labels = picker.DayLabels()

        def html_of(times):
            # Written out once, not through a template variable per time (picker.times_html).
            return picker.times_html(
                times,
                details_url=details_url,
                zone_name=location.time_zone,
                retime_url=retime_url,
                practitioner_param=practitioner.pk if practitioner else "any",
                csrf_field=csrf_field,
            )

        month_weeks = [
            [(cell, cell and picker_url(cell.day)) for cell in row]
            for row in picker.month_weeks(first, free_days, first)
        ]
        context = {
            "retime": retime,
            "retime_url": retime_url,
            "picker_path": picker_path,
            "waitlist_url": reverse("bookings:waitlist", args=[slug]),
            "practitioner_param": practitioner.pk if practitioner else "any",
            "consultation_type": consultation_type,
            "locations": locations,
            "location": location,
            "practitioners": practitioners,
            "practitioner": practitioner,
            "week": week,
            "nav": nav,
            "month": shown_month,
            "month_title": labels.month(shown_month),
            "day_title": labels(first),
            "month_nav": month_nav,
            "month_weeks": month_weeks,
            "month_rows": picker.month_rows_html(month_weeks, labels),
            "practitioner_options": picker.practitioner_options_html(practitioners, practitioner),
            "day": first,
            "weekday_names": WEEKDAY_NAMES,
            "day_parts": day_parts,
            "day_parts_html": [(part, html_of(times)) for part, times in day_parts],
            "week_html": picker.week_html(
                [(day, html_of(times)) for day, times in week], labels, result.closed
            ),
            "closed": result.closed.get(first, ""),
            "details_url": details_url,
            "any_free": any(slots for _, slots in week),
            "any_free_in_month": bool(free_days & set(_days_of_month(first))),
        }
        return render(request, self.template_name, context)


def _days_of_month(day):
    start = picker.month_start(day)
    return [start + timedelta(days=n) for n in range(picker.month_end(day).day)]


def _remember_draft(request, draft):
    tokens = request.session.get(SESSION_DRAFTS, [])
    if draft.token not in tokens:
        request.session[SESSION_DRAFTS] = [*tokens[-9:], draft.token]


def _own_session_draft(request, token) -> None:
    """Refuse a draft to any browser session but the one that started it."""
    if token not in request.session.get(SESSION_DRAFTS, []):
        raise Http404("No such booking in progress.")


def _own_draft(request, token) -> BookingDraft:
    """Return the draft only to the browser session that started it."""
    _own_session_draft(request, token)
    return get_object_or_404(
        BookingDraft.objects.select_related(
            "consultation_type", "location", "practitioner__user", "booking"
        ),
        token=token,
    )


def _render_details(request, context, status=200):
    """Render step 3. "Choose another time" keeps a draft's answers when there is one."""
    query = {"location": context["location"].pk}
    query["practitioner"] = context["practitioner"].pk if context["practitioner"] else "any"
    if context.get("draft"):
        query["draft"] = context["draft"].token
    slug = context["consultation_type"].slug
    context["change_time_url"] = reverse("bookings:times", args=[slug]) + "?" + urlencode(query)
    return render(request, "bookings/details.html", context, status=status)


def _paused(request, context):
    """Step 3 again when this connection has sent too many booking forms in the hour: what was
    typed is shown again (a browser never refills a file box), nothing is kept, and the page
    says why and how to book instead."""
    location = context["location"]
    context["details"] = drafts.details_form(location, drafts.details_typed(request.POST))
    context["paused"] = (
        "We have received many booking requests from your connection in the last hour, so "
        "this form cannot be sent just now. What you typed is still here: please try again "
        f"later, or call us on {location.contact_phone} to book by phone."
    )
    return _render_details(request, context, status=429)


def _save_and_continue(request, draft, slot_context):
    """Keep the typing in the draft; go on to review if the details are valid."""
    form_data = drafts.details_typed(request.POST)
    # The form checks the answers exactly as the draft keeps them (without NUL bytes), so
    # that what passes here is what the review page finds valid when the patient confirms.
    details = drafts.details_form(draft.location, form_data)
    drafts.draft_save(draft=draft, form_data=form_data)
    if details.is_valid():
        return redirect("bookings:review", token=draft.token)
    wrong = len(details.errors)
    messages.error(
        request,
        f"Please check the {wrong} answer{'s' if wrong != 1 else ''} marked below. "
        "Nothing you typed has been lost.",
    )
    context = {**slot_context, "draft": draft, "details": details}
    return _render_details(request, context, status=400)


class DetailsView(View):
    """Step 3 for a slot just picked: contact details and consent. The hair-loss questions
    come after the time is held, from the confirmation page."""

    def slot(self, request, slug):
        consultation_type = get_object_or_404(ConsultationType.bookable_online(), slug=slug)
        _, location, eligible, practitioner = _choice(request, consultation_type)
        starts_at = drafts.parse_start(request.GET.get("start", ""))
        available = self.assigned = None
        if starts_at:
            day = selectors.available_slots(
                consultation_type=consultation_type,
                location=location,
                first_day=starts_at.astimezone(location.zone).date(),
                last_day=starts_at.astimezone(location.zone).date(),
                practitioner=practitioner,
                eligible=eligible,
                count_per_day=practitioner is None,
            )
            available = day.slot_at(starts_at)
            # "First available": say who it will be before the patient confirms.
            self.assigned = available and practitioner is None and day.practitioner_for(available)
        return consultation_type, location, practitioner, starts_at, available

    def back_to_picker(self, request, slug):
        messages.warning(request, "Sorry, that time is no longer available. Please choose another.")
        query = {k: v for k, v in request.GET.items() if k in ("location", "practitioner")}
        return redirect(reverse("bookings:times", args=[slug]) + "?" + urlencode(query))

    def own_draft(self, request, consultation_type, location, practitioner, starts_at):
        """This browser's draft for exactly this slot (a double click, or Back after booking)."""
        return drafts.draft_for_slot(
            tokens=request.session.get(SESSION_DRAFTS, []),
            consultation_type=consultation_type,
            location=location,
            practitioner=practitioner,
            starts_at=starts_at,
        )

    def get(self, request, slug):
        consultation_type, location, practitioner, starts_at, available = self.slot(request, slug)
        booked = starts_at and self.own_draft(
            request, consultation_type, location, practitioner, starts_at
        )
        if booked and booked.booking_id:
            return redirect("bookings:done", token=booked.token)  # Back after booking
        if not available:
            return self.back_to_picker(request, slug)
        context = {
            **slot_context(consultation_type, location, practitioner, starts_at),
            "details": drafts.details_form(location),
            "assigned": self.assigned,
        }
        return _render_details(request, context)

    def post(self, request, slug):
        consultation_type, location, practitioner, starts_at, _ = self.slot(request, slug)
        if starts_at is None:
            return self.back_to_picker(request, slug)
        if not ratelimit.allow(request, "booking-form", settings.BOOKING_SUBMISSIONS_PER_HOUR):
            context = slot_context(consultation_type, location, practitioner, starts_at)
            return _paused(request, {**context, "assigned": self.assigned})
        # The same slot sent again from this browser continues that booking instead of
        # starting a second one.
        draft = self.own_draft(request, consultation_type, location, practitioner, starts_at)
        if draft and draft.booking_id:
            return redirect("bookings:done", token=draft.token)
        # Whatever happened to the slot meanwhile, the answers are kept first; a slot taken
        # while the patient typed is explained on the review page, with the nearest free times.
        context = {
            **slot_context(consultation_type, location, practitioner, starts_at),
            "assigned": self.assigned,
        }
        with transaction.atomic():
            if draft is None:
                draft = drafts.draft_create(
                    consultation_type=consultation_type,
                    location=location,
                    practitioner=practitioner,
                    starts_at=starts_at,
                )
                _remember_draft(request, draft)
            return _save_and_continue(request, draft, context)


def slot_context(consultation_type, location, practitioner, starts_at):
    return {
        "consultation_type": consultation_type,
        "location": location,
        "practitioner": practitioner,
        "starts_at": starts_at,
    }


def draft_slot_context(draft):
    return slot_context(
        draft.consultation_type, draft.location, draft.practitioner, draft.starts_at
    )


class DraftDetailsView(View):
    """Step 3 again, for a booking in progress: edit the answers kept in its draft."""

    def get(self, request, token):
        draft = _own_draft(request, token)
        if draft.booking_id:
            return redirect("bookings:done", token=token)
        context = {
            **draft_slot_context(draft),
            "draft": draft,
            "details": drafts.draft_forms(draft),
        }
        return _render_details(request, context)

    def post(self, request, token):
        draft = _own_draft(request, token)
        if draft.booking_id:
            return redirect("bookings:done", token=token)
        if not ratelimit.allow(request, "booking-form", settings.BOOKING_SUBMISSIONS_PER_HOUR):
            return _paused(request, {**draft_slot_context(draft), "draft": draft})
        return _save_and_continue(request, draft, draft_slot_context(draft))


class ReviewView(View):
    """Step 4: the time and details on one page, with a link back to edit; confirming books
    it."""

    def context(self, draft, **extra):
        details = drafts.draft_forms(draft)
        details.is_valid()
        return {**draft_slot_context(draft), "draft": draft, "details": details, **extra}

    def get(self, request, token):
        draft = _own_draft(request, token)
        if draft.booking_id:
            return redirect("bookings:done", token=token)
        extra = {}
        day = draft.starts_at.astimezone(draft.location.zone).date()
        day_slots = selectors.available_slots(
            consultation_type=draft.consultation_type,
            location=draft.location,
            first_day=day,
            last_day=day,
            practitioner=draft.practitioner,
            count_per_day=draft.practitioner is None,
        )
        still_free = day_slots.slot_at(draft.starts_at)
        if still_free and draft.practitioner is None:
            extra["assigned"] = day_slots.practitioner_for(still_free)
        if not still_free:
            extra = {
                "error": "Sorry, the time you chose is no longer available.",
                "alternatives": nearest_slots(
                    consultation_type=draft.consultation_type,
                    location=draft.location,
                    around=draft.starts_at,
                    practitioner=draft.practitioner,
                ),
            }
        return render(request, "bookings/review.html", self.context(draft, **extra))

    def post(self, request, token):
        if not ratelimit.allow(request, "booking-confirm", settings.BOOKING_SUBMISSIONS_PER_HOUR):
            return ratelimit.too_many(request)
        _own_session_draft(request, token)
        try:
            drafts.draft_confirm(token=token)
        except BookingDraft.DoesNotExist:
            raise Http404("No such booking in progress.") from None
        except BookingError as error:
            draft = _own_draft(request, token)
            context = self.context(draft, error=error.message, alternatives=error.alternatives)
            return render(request, "bookings/review.html", context, status=409)
        return redirect("bookings:done", token=token)


class DraftTimeView(View):
    """Give a booking in progress another time: one of the nearest offered after a slot was
    taken, or any chosen in the slot picker. Everything typed and uploaded stays."""

    def post(self, request, token):
        draft = _own_draft(request, token)
        if draft.booking_id:
            return redirect("bookings:done", token=token)
        starts_at = drafts.parse_start(request.POST.get("start", ""))
        if starts_at is None:
            messages.error(request, "That time could not be read. Please choose again.")
            return redirect("bookings:review", token=token)
        practitioner = draft.practitioner
        if "practitioner" in request.POST:
            wanted = request.POST["practitioner"]
            eligible = selectors.eligible_practitioners(draft.consultation_type, draft.location)
            practitioner = next((p for p in eligible if str(p.pk) == wanted), None)
        drafts.draft_set_time(draft=draft, starts_at=starts_at, practitioner=practitioner)
        return redirect("bookings:review", token=token)


class DoneView(View):
    """The confirmation: everything about the visit worth keeping, and the hair-loss questions
    next."""

    def get(self, request, token):
        draft = _own_draft(request, token)
        if not draft.booking_id:
            return redirect("bookings:review", token=token)
        booking = (
            Booking.objects.select_related(
                "patient", "practitioner__user", "location", "consultation_type"
            )
            .annotate(has_intake=Exists(HairLossIntake.objects.filter(booking=OuterRef("pk"))))
            .get(pk=draft.booking_id)
        )
        context = {
            "booking": booking,
            "draft": draft,
            "calendar_links": notifications.calendar_links(booking),
        }
        return render(request, "bookings/done.html", context)
