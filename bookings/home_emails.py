"""E-mails of the patient's home, sent by the task worker (`manage.py db_worker`): sign-in links,
the link confirming a new address, and the clinic's notice of a request to erase.

Tokens are made when the e-mail is sent, not when it is asked for, so that no task row holds a
working link and a link's lifetime starts when it leaves.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from clinic.text import header_safe
from patients.home import email_change_token, sign_in_token
from patients.models import Patient


def home_address() -> str:
    """Where a patient asks for a sign-in link: in every booking e-mail, so it is never lost."""
    return settings.SITE_URL + reverse("bookings:home_sign_in")


@task()
def send_sign_in_links(patient_ids: list[int]) -> str:
    """E-mail each patient a sign-in link; patients sharing an address (a family) get one
    e-mail with a link each. The task holds ids, never an address, so that no task row keeps
    one that erasure would miss; an address nobody has queues an empty list, so that asking
    costs the same either way."""
    patients = Patient.objects.filter(pk__in=patient_ids, erased_at=None).order_by(
        "first_name", "pk"
    )
    by_address = {}
    for patient in patients:
        by_address.setdefault(patient.email.lower(), []).append(patient)
    for group in by_address.values():
        links = [
            (p, settings.SITE_URL + reverse("bookings:home_open", args=[sign_in_token(p)]))
            for p in group
        ]
        context = {
            "links": links,
            "minutes": settings.PATIENT_SIGN_IN_LINK_MINUTES,
            "clinic": settings.CLINIC,
        }
        EmailMultiAlternatives(
            subject=header_safe(f"Your sign-in link, {settings.CLINIC['name']}"),
            body=render_to_string("bookings/email/home_sign_in.txt", context),
            to=[group[0].email],
        ).send()
    return f"sent {len(by_address)}"


@task()
def send_email_change_link(patient_id: int) -> str:
    """Send the link that confirms a new address to that address, and tell the old one."""
    patient = Patient.objects.filter(pk=patient_id, erased_at=None).first()
    if patient is None or not patient.pending_email:
        return "skipped: no change pending"
    link = settings.SITE_URL + reverse("bookings:home_email", args=[email_change_token(patient)])
    context = {
        "patient": patient,
        "link": link,
        "hours": settings.PATIENT_EMAIL_CHANGE_LINK_HOURS,
        "clinic": settings.CLINIC,
    }
    EmailMultiAlternatives(
        subject=header_safe(f"Please confirm your e-mail address, {settings.CLINIC['name']}"),
        body=render_to_string("bookings/email/home_email_change.txt", context),
        to=[patient.pending_email],
    ).send()
    # The old address hears of it too, so that a change nobody asked for does not go unseen.
    EmailMultiAlternatives(
        subject=header_safe(f"A change of e-mail address was asked for, {settings.CLINIC['name']}"),
        body=render_to_string("bookings/email/home_email_change_notice.txt", context),
        to=[patient.email],
    ).send()
    return "sent"


@task()
def send_erasure_request_notice(patient_id: int) -> str:
    """Tell the clinic inbox that a patient asked to be erased (the staff erasure does it),
    naming the other records that share their address; and tell the patient their request
    arrived and what happens next."""
    patient = Patient.objects.select_related("erasure_request").get(pk=patient_id)
    if patient.erased_at is not None:
        return "skipped: erased already"
    others = Patient.objects.filter(email__iexact=patient.email, erased_at=None).exclude(
        pk=patient.pk
    )
    context = {
        "patient": patient,
        "clinic": settings.CLINIC,
        "staff_link": settings.SITE_URL + reverse("staff:patient", args=[patient.pk]),
        "other_links": [
            settings.SITE_URL + reverse("staff:patient", args=[pk])
            for pk in others.order_by("pk").values_list("pk", flat=True)
        ],
    }
    EmailMultiAlternatives(
        subject=header_safe(f"Erasure requested: {patient.full_name}"),
        body=render_to_string("bookings/email/clinic_erasure_request.txt", context),
        to=[settings.CLINIC_INBOX_EMAIL],
    ).send()
    EmailMultiAlternatives(
        subject=header_safe(f"Your request to erase your data, {settings.CLINIC['name']}"),
        body=render_to_string("bookings/email/home_erasure_request.txt", context),
        to=[patient.email],
    ).send()
    return "sent"


def on_commit_enqueue(task_function, *args) -> None:
    transaction.on_commit(lambda: task_function.enqueue(*args))
