"""What the treatment plans say about the day's arrivals (bookings.arrivals' signal): a
consultation a plan was made from stays completed, since a plan is made from a completed one."""

from django.dispatch import receiver

from bookings.arrivals import completion_undo_refusals
from treatments.models import Plan


@receiver(completion_undo_refusals, dispatch_uid="treatments-completion-undo")
def plan_keeps_it_completed(sender, booking, **kwargs):
    if Plan.objects.filter(consultation_id=booking.pk).exists():
        return (
            "A treatment plan has been made from this consultation, so it stays completed: "
            "stop or change the plan from its page if it was made by mistake."
        )
    return None
