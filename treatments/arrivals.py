"""What the treatment plans say of the records they are made from: a consultation a plan was
made from stays completed (bookings.arrivals' signal), and its assessment whole
(patients.services' signal), since a plan is made from a completed consultation and a complete
assessment."""

from django.dispatch import receiver

from bookings.arrivals import completion_undo_refusals
from patients.services import assessment_keep_whole
from treatments.models import Plan


@receiver(completion_undo_refusals, dispatch_uid="treatments-completion-undo")
def plan_keeps_it_completed(sender, booking, **kwargs):
    if Plan.objects.filter(consultation_id=booking.pk).exists():
        return (
            "A treatment plan has been made from this consultation, so it stays completed: "
            "stop or change the plan from its page if it was made by mistake."
        )
    return None


@receiver(assessment_keep_whole, dispatch_uid="treatments-assessment-keep-whole")
def plan_keeps_its_assessment_whole(sender, assessment, **kwargs):
    if Plan.objects.filter(assessment_id=assessment.pk).exists():
        return (
            "A treatment plan has been made from this assessment, so each part stays filled in: "
            "change a part rather than empty it."
        )
    return None
