"""The patient's own home, no password: sign-in and e-mail change links, and the changes a
patient makes there (details, the optional photo consent, a request to erase).

Links are django-sesame tokens. django-sesame signs a token over a user's row; a patient is not
a staff user, so each kind of link shows it a face of the patient (``_SignInFace``,
``_EmailChangeFace``) whose "revocation key" is what must stay unchanged for the link to hold:

- a sign-in link is signed over the patient's e-mail and the time they last signed in, so
  signing in voids it and every other link sent before (single use), and so does a new address;
- an e-mail change link is signed over the current and the asked-for address, so confirming it,
  or asking for yet another address, voids it.

Each has its own scope, so neither opens what the other does, and its own lifetime.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from sesame.tokens import create_token, parse_token

from patients import consent as consent_texts
from patients.models import Consent, ErasureRequest, Patient

SIGN_IN_SCOPE = "patient-home:sign-in"
EMAIL_CHANGE_SCOPE = "patient-home:email-change"


class _SignInFace:
    """What a sign-in link is signed over (django-sesame reads these attribute names)."""

    password = None  # no password: django-sesame then leaves it out of the signature

    def __init__(self, patient: Patient):
        self.patient = patient
        self.pk = patient.pk
        self.email = patient.email.lower()
        self.last_login = patient.home_signed_in_at

    @staticmethod
    def get_email_field_name():
        return "email"


class _EmailChangeFace(_SignInFace):
    """What an e-mail change link is signed over: both addresses, and not the last sign-in (a
    patient may sign in again before opening it)."""

    def __init__(self, patient: Patient):
        super().__init__(patient)
        self.email = f"{patient.email.lower()} -> {patient.pending_email.lower()}"
        self.last_login = None


def patients_for_sign_in(email: str) -> list[int]:
    """The patients a sign-in link may be sent to at ``email`` (any case; a family may share
    one address), erased ones left out."""
    return list(
        Patient.objects.filter(email__iexact=email.strip(), erased_at=None)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sign_in_token(patient: Patient) -> str:
    return create_token(_SignInFace(patient), scope=SIGN_IN_SCOPE)


def email_change_token(patient: Patient) -> str:
    return create_token(_EmailChangeFace(patient), scope=EMAIL_CHANGE_SCOPE)


def _locked_patient(face):
    def get(pk):
        patient = Patient.objects.select_for_update().filter(pk=pk, erased_at=None).first()
        return face(patient) if patient is not None else None

    return get


def _canonical(token: str) -> bool:
    """Whether ``token`` is written exactly as a link is made. Base64 leaves a few bits of the
    last character unused, so other spellings decode to the same token; refused, so that an
    altered link is always refused."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == token


def _parse(token, get, scope, max_age=None):
    if not _canonical(token):
        return None
    return parse_token(token, get, scope=scope, max_age=max_age)


def _unlocked(face):
    def get(pk):
        patient = Patient.objects.filter(pk=pk, erased_at=None).first()
        return face(patient) if patient is not None else None

    return get


def sign_in_peek(token: str) -> Patient | None:
    """The patient a sign-in link is for while it is still good, without using it up (a mail
    scanner that opens links must not spend the patient's link)."""
    face = _parse(token, _unlocked(_SignInFace), SIGN_IN_SCOPE)
    return face.patient if face is not None else None


@transaction.atomic
def sign_in_use(*, token: str, now: datetime) -> Patient | None:
    """Use a sign-in link: the patient it is for, once; None when it is expired, used, altered,
    for another purpose or made elsewhere.

    The patient's row is locked before the token is checked, so of two uses of one link at the
    same moment the second waits, then finds the sign-in time changed and the link void.
    """
    face = _parse(token, _locked_patient(_SignInFace), SIGN_IN_SCOPE)
    if face is None:
        return None
    patient = face.patient
    patient.home_signed_in_at = now
    patient._change_reason = "Signed in to their home"
    patient.save(update_fields=["home_signed_in_at"])
    return patient


@dataclass(frozen=True)
class DetailsChange:
    email_pending: bool  # a link was sent to a new address, which applies once opened


@transaction.atomic
def patient_details_change(
    *, patient: Patient, first_name: str, last_name: str, phone, email: str
) -> DetailsChange:
    """Change the patient's names and phone now; a new e-mail address only once the link sent
    to it is opened (the caller sends it after commit when ``email_pending``)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.first_name, patient.last_name, patient.phone = first_name, last_name, phone
    email = email.strip().lower()
    wants_new = email != patient.email.lower()
    patient.pending_email = email if wants_new else ""
    patient._change_reason = "Changed by the patient"
    patient.save(update_fields=["first_name", "last_name", "phone", "pending_email"])
    return DetailsChange(email_pending=wants_new)


def email_change_peek(token: str) -> Patient | None:
    face = _parse(
        token,
        _unlocked(_EmailChangeFace),
        EMAIL_CHANGE_SCOPE,
        max_age=timedelta(hours=settings.PATIENT_EMAIL_CHANGE_LINK_HOURS),
    )
    return face.patient if face is not None and face.patient.pending_email else None


@transaction.atomic
def email_change_confirm(*, token: str) -> Patient | None:
    """Make the asked-for address the patient's, through the link sent to it; None when the
    link is expired, used, superseded by a later request, or not one of ours."""
    face = _parse(
        token,
        _locked_patient(_EmailChangeFace),
        EMAIL_CHANGE_SCOPE,
        max_age=timedelta(hours=settings.PATIENT_EMAIL_CHANGE_LINK_HOURS),
    )
    if face is None or not face.patient.pending_email:
        return None
    patient = face.patient
    patient.email, patient.pending_email = patient.pending_email, ""
    patient._change_reason = "E-mail address confirmed by the patient"
    patient.save(update_fields=["email", "pending_email"])
    return patient


def photo_consent_given(patient: Patient) -> Consent | None:
    """The patient's consent to use their photos beyond their care, if given and not withdrawn."""
    return (
        Consent.objects.filter(
            patient=patient, kind=Consent.Kind.PHOTOS_BEYOND_CARE, withdrawn_at=None
        )
        .order_by("-agreed_at")
        .first()
    )


@transaction.atomic
def photo_consent_set(*, patient: Patient, given: bool, now: datetime) -> None:
    """Give or withdraw the optional consent to use the patient's photos beyond their care.

    Giving adds a row with the current text; withdrawing dates every row still standing (one per
    booking where it was ticked). Asking for what already holds changes nothing, so a second
    click or a stale page never adds a row. The patient's row is locked so that two clicks at
    once are one change.
    """
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    standing = Consent.objects.filter(
        patient=patient, kind=Consent.Kind.PHOTOS_BEYOND_CARE, withdrawn_at=None
    )
    if given and not standing.exists():
        text = consent_texts.PHOTOS_BEYOND_CARE
        Consent.objects.create(
            patient=patient,
            booking=None,
            kind=Consent.Kind.PHOTOS_BEYOND_CARE,
            text_version=text.version,
            text=text.text,
            agreed_at=now,
        )
    elif not given:
        standing.update(withdrawn_at=now)


def erasure_request_make(*, patient: Patient, now: datetime) -> tuple[ErasureRequest, bool]:
    """Record the patient's request to be erased; (the request, whether it is new). Asking
    again keeps the first request and its date."""
    return ErasureRequest.objects.get_or_create(patient=patient, defaults={"requested_at": now})
