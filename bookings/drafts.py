"""The booking draft: the patient's details kept server-side until they confirm.

Confirming a draft is the one write that turns it into a booking, with its patient and consents,
in one transaction. It is idempotent: a double click or a resubmitted form finds the draft
already confirmed and leads to the same booking. The hair-loss questions come after, through the
booking's private link (``bookings.manage_views.IntakeEditView``).
"""

import functools
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone

from bookings.forms import PatientDetailsForm
from bookings.models import Booking, BookingDraft, ConsultationType, Location, Practitioner
from bookings.services import BookingError, booking_create
from clinic import sql_batch, sql_prepared, sql_values
from patients.services import consents_record, patient_found_or_added

START_FORMAT = "%Y%m%dT%H%MZ"


def format_start(moment: datetime) -> str:
    """Write a slot's start for a URL: compact, unambiguous, UTC."""
    return moment.astimezone(UTC).strftime(START_FORMAT)


def parse_start(text: str) -> datetime | None:
    """Read a slot's start from a URL or form; None for anything unreadable or absurd."""
    try:
        moment = datetime.strptime(text or "", START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    # Years far from now would overflow date arithmetic further on; no booking is there.
    now = timezone.now()
    if not now - timedelta(days=366) <= moment <= now + timedelta(days=3 * 366):
        return None
    return moment


def typed_answers(post) -> dict:
    """Return the posted fields as stored in a draft: lists of strings, without NUL bytes
    (which a JSON column refuses) and without the CSRF token."""
    return {
        key.replace("\x00", ""): [value.replace("\x00", "") for value in post.getlist(key)]
        for key in post
        if key != "csrfmiddlewaretoken"
    }


def details_typed(post) -> dict:
    """Return the details page's fields as ``typed_answers`` keeps them, and nothing else: the
    draft holds no health data."""
    names = tuple(PatientDetailsForm.base_fields)
    return {
        key: values
        for key, values in typed_answers(post).items()
        if key in names or key.rpartition("_")[0] in names
    }


def details_form(location, form_data: dict | None = None) -> PatientDetailsForm:
    """Return the details form for a booking at ``location``, bound to ``form_data`` if given."""
    if form_data is None:
        return PatientDetailsForm(region=location.country)
    return PatientDetailsForm(answers_data(form_data), region=location.country)


def draft_for_slot(*, tokens, consultation_type, location, practitioner, starts_at):
    """Return this browser's latest draft for exactly this slot, if it has one."""
    return (
        BookingDraft.objects.filter(
            token__in=tokens,
            consultation_type=consultation_type,
            location=location,
            practitioner=practitioner,
            starts_at=starts_at,
            expires_at__gt=timezone.now(),
        )
        .order_by("-pk")
        .first()
    )


def draft_create(*, consultation_type, location, practitioner, starts_at) -> BookingDraft:
    return BookingDraft.objects.create(
        consultation_type=consultation_type,
        location=location,
        practitioner=practitioner,
        starts_at=starts_at,
    )


def draft_save(*, draft: BookingDraft, form_data: dict) -> None:
    """Keep what the patient typed, valid or not."""
    draft.form_data = form_data
    # Each save gives the patient another day to confirm.
    draft.expires_at = timezone.now() + timedelta(hours=24)
    draft.save(update_fields=["form_data", "expires_at"])


def answers_data(form_data: dict) -> QueryDict:
    """Return answers kept as by ``typed_answers`` as form data, to bind a form to."""
    data = QueryDict(mutable=True)
    for key, values in form_data.items():
        data.setlist(key, values)
    return data


def draft_forms(draft: BookingDraft) -> PatientDetailsForm:
    """Return the details form bound to the draft's saved answers (unbound if it has none)."""
    return details_form(draft.location, draft.form_data or None)


def draft_set_time(*, draft: BookingDraft, starts_at: datetime, practitioner=None) -> None:
    draft.starts_at = starts_at
    draft.practitioner = practitioner
    draft.save(update_fields=["starts_at", "practitioner"])


# The draft with its type, location and practitioner (none for "first available"), its row
# locked: {draft}, {type}, {location} and {practitioner} are the models' own columns and
# tables, {where} the column looked up. Written out: built by the ORM, compiling this join cost
# more than running it, on every confirm.
_LOCKED_DRAFT = """
SELECT {draft_columns}, {type_columns}, {location_columns}, {practitioner_columns}
FROM {draft} d
INNER JOIN {type} t ON t.{type_pk} = d.{draft_type}
INNER JOIN {location} l ON l.{location_pk} = d.{draft_location}
LEFT OUTER JOIN {practitioner} p ON p.{practitioner_pk} = d.{draft_practitioner}
WHERE d.{where} = %s{lock}
"""
_JOINED = (BookingDraft, ConsultationType, Location, Practitioner)


@functools.cache
def _locked_draft_query(vendor: str, where: str) -> str:
    quote = connection.ops.quote_name
    meta = BookingDraft._meta
    tables = {}
    for model, name, alias in zip(
        _JOINED, ("draft", "type", "location", "practitioner"), "dtlp", strict=True
    ):
        tables[name] = quote(model._meta.db_table)
        tables[f"{name}_columns"] = sql_values.columns(model, alias)
        tables[f"{name}_pk"] = quote(model._meta.pk.column)
    for name in ("type", "location", "practitioner"):
        field = "consultation_type" if name == "type" else name
        tables[f"draft_{name}"] = quote(meta.get_field(field).column)
    # ``OF d``: the draft's row only, not the type, location and practitioner joined to it.
    # SQLite has no row locks: every transaction there takes the database's write lock.
    lock = " FOR UPDATE OF d" if connection.features.has_select_for_update_of else ""
    return _LOCKED_DRAFT.format(**tables, where=quote(meta.get_field(where).column), lock=lock)


def _locked_draft(where: str, value) -> BookingDraft:
    """Return the draft whose ``where`` ("id" or "token") is ``value``, locked, with its type,
    location and practitioner; raise BookingDraft.DoesNotExist for none."""
    with connection.cursor() as cursor:
        sql_prepared.execute(cursor, _locked_draft_query(connection.vendor, where), [value])
        row = cursor.fetchone()
    if row is None:
        raise BookingDraft.DoesNotExist(f"No booking draft with {where} {value!r}.")
    parts, start = [], 0
    for model in _JOINED:
        end = start + len(model._meta.concrete_fields)
        parts.append(sql_values.instance(model, row[start:end]))
        start = end
    draft, draft.consultation_type, draft.location, draft.practitioner = parts
    return draft


def _save_confirmed(draft: BookingDraft) -> None:
    """Save the draft's booking and form data, as ``save(update_fields=[...])`` would, written
    out: the ORM compiled the UPDATE anew on every confirm. A draft has no signal receivers."""
    fields = [BookingDraft._meta.get_field(name) for name in ("booking", "form_data")]
    values = [field.get_db_prep_save(getattr(draft, field.attname), connection) for field in fields]
    # Inside ``sql_batch.together()`` (as in ``draft_confirm``), sent with the other writes.
    sql_batch.execute(_confirmed_update(connection.vendor), [*values, draft.pk])


@functools.cache
def _confirmed_update(vendor: str) -> str:
    quote = connection.ops.quote_name
    meta = BookingDraft._meta
    column = {name: quote(meta.get_field(name).column) for name in ("booking", "form_data", "id")}
    return (
        f"UPDATE {quote(meta.db_table)} "  # noqa: S608 - the model's own names
        f"SET {column['booking']} = %s, {column['form_data']} = %s WHERE {column['id']} = %s"
    )


def draft_confirm(
    *, draft: BookingDraft | None = None, token: str = "", now: datetime | None = None
) -> Booking:
    """Book the slot of the draft (given, or named by its ``token``) for the patient it names.
    Return the booking, even if already booked; raise BookingDraft.DoesNotExist for no such
    draft.

    Raise BookingError (with the nearest free times) when the slot has been taken meanwhile,
    or when this person already holds a consultation at that time (a second browser, or Back
    and another draft): the draft then keeps everything for another try. A second draft never
    leads to the booking already held, since its page shows that booking's private link, and
    knowing someone's name, e-mail and birth date must not open their booking.
    """
    now = now or timezone.now()
    # The writes at the end whose results nobody reads (the schedule version, the queued
    # e-mails, the consents, the draft's update) go to the database in one round trip.
    with transaction.atomic(), sql_batch.together():
        # The draft is read once, locked: the page reads it here rather than before. Its
        # booking is read only when there is one (a double click), not joined every time.
        where, value = ("id", draft.pk) if draft is not None else ("token", token)
        locked = _locked_draft(where, value)
        if locked.booking_id:
            return locked.booking
        if locked.expires_at <= now:
            raise BookingError("This booking form has expired. Please start again.")
        details = draft_forms(locked)
        if not details.is_valid():
            raise BookingError("Some answers need another look before you can confirm.")
        contact = details.cleaned_data
        patient, new_patient = patient_found_or_added(contact)
        booking = booking_create(
            patient=patient,
            consultation_type=locked.consultation_type,
            location=locked.location,
            starts_at=locked.starts_at,
            practitioner=locked.practitioner,
            now=now,
            new_patient=new_patient,
        )
        consents_record(
            patient=patient,
            booking=booking,
            photos_beyond_care=contact["consent_photos"],
            now=now,
        )
        locked.booking = booking
        # The details now live in the patient's record; the draft keeps no second copy.
        locked.form_data = {}
        _save_confirmed(locked)
        return booking
