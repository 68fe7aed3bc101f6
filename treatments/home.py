"""The patient's treatment plans on their home (bookings.home's signal): a link to each plan's
own page, with where it stands; and, on a cancelled plan visit's booking page, the way back to
the plan to book it again."""

from django.db.models import Prefetch
from django.dispatch import receiver
from django.urls import reverse
from django.utils import dateformat, timezone

from bookings.home import HomeLink, HomeSection, home_sections_wanted
from bookings.manage_views import manage_page_actions
from bookings.models import Booking
from treatments.models import Plan, PlanStep
from treatments.selectors import is_unbooked, step_views

# A plan whose visits the patient books: agreed to, or under way.
BOOKABLE = (Plan.Status.ACCEPTED, Plan.Status.IN_PROGRESS)


@receiver(home_sections_wanted, dispatch_uid="treatments-home")
def plans_on_home(sender, patient, **kwargs):
    """Two queries (the plans, their steps), however many plans. A consultation's link opens
    its newest plan, so older plans of the same consultation are not listed apart. A plan the
    patient books from says when its next visit is to be booked."""
    plans = (
        Plan.objects.filter(patient=patient)
        .select_related("consultation__location", "location")
        .prefetch_related(Prefetch("steps", PlanStep.objects.select_related("booking")))
        .order_by("-created_at", "-pk")
    )
    now = timezone.now()
    links, seen = [], set()
    for plan in plans:
        if plan.consultation_id in seen:
            continue
        seen.add(plan.consultation_id)
        consultation = plan.consultation
        day = dateformat.format(
            consultation.starts_at.astimezone(consultation.location.zone), "j F Y"
        )
        detail, to_book = plan.get_status_display(), False
        if plan.status in BOOKABLE:
            visit, to_book = next_visit_to_book(plan, now.astimezone(plan.location.zone).date())
            if visit:
                detail = f"{detail} · {visit}"
        links.append(
            HomeLink(
                label=f"Plan from your consultation of {day}",
                detail=detail,
                url=reverse("treatments:plan", args=[consultation.token]),
                to_book=to_book,
            )
        )
    return [HomeSection(heading="Your treatment plans", links=links)]


def next_visit_to_book(plan: Plan, today) -> tuple[str, bool]:
    """When the plan's next visit still to book is to be booked, in words ("" for none), and
    whether that is now (its window has opened, or passed)."""
    unbooked = [view for view in step_views(plan, today) if is_unbooked(view.step)]
    if not unbooked:
        return "", False
    window = min(unbooked, key=lambda view: view.window.earliest).window
    latest = dateformat.format(window.latest, "j F Y")
    if window.latest < today:
        return f"a visit to book: it was due by {latest}", True
    if window.earliest <= today:
        return f"a visit to book now, by {latest}", True
    return f"next visit to book from {dateformat.format(window.earliest, 'j F Y')}", False


@receiver(manage_page_actions, sender=Booking, dispatch_uid="treatments-plan-visit-again")
def plan_visit_again_action(sender, *, booking, now, **kwargs):
    """On a cancelled visit's booking page: a visit of an open treatment plan is booked again
    on the plan's page, inside its window, not as a new consultation (one query, and none for a
    booking not cancelled)."""
    if booking.status != Booking.Status.CANCELLED:
        return []
    step = (
        PlanStep.objects.select_related("plan__consultation", "booking")
        .filter(booking=booking)
        .first()
    )
    if step is None or step.plan.status not in BOOKABLE or not is_unbooked(step):
        return []
    return [
        (
            "Choose a new time on your plan",
            # The plan's own link (its consultation's): once the visit is booked again, the
            # step no longer names this booking, whose link would find no plan.
            reverse("treatments:plan", args=[step.plan.consultation.token]),
            "This visit is part of your treatment plan: its new time is chosen there.",
        )
    ]
