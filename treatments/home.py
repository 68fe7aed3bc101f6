"""The patient's treatment plans on their home (bookings.home's signal): a link to each plan's
own page, with where it stands."""

from django.dispatch import receiver
from django.urls import reverse
from django.utils import dateformat

from bookings.home import HomeLink, HomeSection, home_sections_wanted
from treatments.models import Plan


@receiver(home_sections_wanted, dispatch_uid="treatments-home")
def plans_on_home(sender, patient, **kwargs):
    """One query, however many plans. A consultation's link opens its newest plan, so older
    plans of the same consultation are not listed apart."""
    plans = (
        Plan.objects.filter(patient=patient)
        .select_related("consultation__location")
        .order_by("-created_at", "-pk")
    )
    links, seen = [], set()
    for plan in plans:
        if plan.consultation_id in seen:
            continue
        seen.add(plan.consultation_id)
        consultation = plan.consultation
        day = dateformat.format(
            consultation.starts_at.astimezone(consultation.location.zone), "j F Y"
        )
        links.append(
            HomeLink(
                label=f"Plan from your consultation of {day}",
                detail=plan.get_status_display(),
                url=reverse("treatments:plan", args=[consultation.token]),
            )
        )
    return [HomeSection(heading="Your treatment plans", links=links)]
