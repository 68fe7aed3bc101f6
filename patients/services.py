"""Writes for patients: matching returning patients, the intake and its flags, consents."""

import functools
from datetime import datetime

from django.db import connection, transaction
from django.dispatch import Signal

from clinic import sql_insert, sql_prepared, sql_values
from clinic.audit import insert_audited
from clinic.seen import changed_since
from patients import consent as consent_texts
from patients import screening
from patients.models import (
    Assessment,
    Consent,
    HairLossIntake,
    IntakeInProgress,
    IntakePhoto,
    Patient,
    ScreeningFlag,
    ScreeningRule,
)
from patients.photo_files import (
    photo_file_names,
    photo_file_write,
    photo_files_delete_after_commit,
    photo_transaction,
)

# The first number of the two-number key of PostgreSQL's advisory locks: this lock's own space,
# so that it never meets another use of advisory locks.
PERSON_LOCK_SPACE = 0x50617469  # "Pati"


# The person's lock (``_lock_person_statement``): on the e-mail as the database compares it
# (upper-cased, as the ``iexact`` lookup does) and the birth date.
_PERSON_LOCK = "SELECT pg_advisory_xact_lock(%s, hashtext(UPPER(%s) || ' ' || %s))"


def _lock_person_statement(email: str, date_of_birth) -> tuple[str, list]:
    """The statement that makes finding or adding one person wait for any other transaction
    doing the same, and its parameters; ("", []) where none is needed.

    Two confirms of a new patient's details at the same moment would otherwise both find no
    patient and both add one: a row lock cannot be taken on a row that does not exist yet. On
    PostgreSQL a transaction-level advisory lock, keyed on the e-mail and the birth date, is
    held until the caller's transaction ends, so the second finds the patient the first added.
    On SQLite every transaction already takes the database's write lock at BEGIN.

    A lock rather than a unique constraint on the patient's identity: that index could not be
    built on a database that already holds the duplicates this race made without merging their
    records, and the lock needs no retry in the middle of the caller's transaction.
    """
    if connection.vendor != "postgresql":
        return "", []
    return _PERSON_LOCK, [PERSON_LOCK_SPACE, email, date_of_birth.isoformat()]


# The fields of a booking form that name the patient, as ``patient_match_or_create`` takes them.
PATIENT_DETAILS = ("first_name", "last_name", "email", "phone", "date_of_birth")


def patient_from_details(details: dict) -> Patient:
    """Return the patient a booking form's cleaned details name: a returning one or new."""
    return patient_found_or_added(details)[0]


def patient_found_or_added(details: dict) -> tuple[Patient, bool]:
    """Return the patient a booking form's cleaned details name, and whether they were added
    just now (in the caller's transaction, so that no other one can see them yet)."""
    return _match_or_create(**{name: details[name] for name in PATIENT_DETAILS})


def patient_match_or_create(
    *, first_name: str, last_name: str, email: str, phone: str, date_of_birth
) -> Patient:
    """Return the returning patient with this e-mail, date of birth and name, or a new one.

    All must match, and the caller shows the same pages either way, so booking never reveals
    whether an e-mail is known. A returning patient's record is only completed, not overwritten.
    Two calls for one person at the same moment return one patient: the second waits for the
    transaction of the first to end (``_lock_person_statement``).
    """
    return _match_or_create(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        date_of_birth=date_of_birth,
    )[0]


@functools.cache
def _returning_patient_query(vendor: str) -> str:
    """The lookup of a returning patient, written out: every booking confirm runs it, and the
    ORM took longer to compile its four case-insensitive comparisons than the database took to
    answer. ``iexact`` as the ORM writes it on PostgreSQL (the index on the upper-cased e-mail
    and the birth date is on that very expression); SQLite's ``UPPER``, like its ``LIKE``,
    folds ASCII letters only."""
    quote = connection.ops.quote_name
    meta = Patient._meta

    def column(name):
        return quote(meta.get_field(name).column)

    cast = "::text" if vendor == "postgresql" else ""

    def upper(name):
        return f"UPPER({column(name)}{cast})"

    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608 - the model's own names
        f"WHERE {upper('email')} = UPPER(%s) AND {column('date_of_birth')} = %s "
        f"AND {upper('first_name')} = UPPER(%s) AND {upper('last_name')} = UPPER(%s) "
        f"ORDER BY {column('id')} LIMIT 1"
    )


def _returning_patient(email, date_of_birth, first_name, last_name) -> Patient | None:
    """The first patient (by id) with this e-mail, birth date and name, ignoring case, read
    after the person's lock (``_lock_person_statement``). On PostgreSQL the lock and the
    lookup go in one round trip (the driver binds the parameters on the client, so one
    ``execute`` may hold several statements), one after the other: the lookup is a statement
    of its own, so it sees a patient added by whoever held the lock before (each statement of
    a read-committed transaction takes a fresh snapshot)."""
    lock, parameters = _lock_person_statement(email, date_of_birth)
    query = _returning_patient_query(connection.vendor)
    birth = connection.ops.adapt_datefield_value(date_of_birth)
    with connection.cursor() as cursor:
        lookup = (query, [email, birth, first_name, last_name])
        sql_prepared.execute_all(cursor, [(lock, parameters), lookup] if lock else [lookup])
        row = cursor.fetchone()
    return sql_values.instance(Patient, row) if row is not None else None


def _match_or_create(*, first_name, last_name, email, phone, date_of_birth):
    # No savepoint of its own: the lock lasts as long as the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        # The name must match too, so that two people sharing an e-mail and a birthday (twins
        # with a family address) never have their answers filed under each other.
        patient = _returning_patient(email, date_of_birth, first_name.strip(), last_name.strip())
        if patient is None:
            patient = Patient(
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
                date_of_birth=date_of_birth,
            )
            # With its audit row, in one round trip.
            insert_audited(patient)
            return patient, True
        if phone and not patient.phone:
            patient.phone = phone
            patient.save(update_fields=["phone"])
        return patient, False


def intake_submit(*, booking, values: dict, now: datetime) -> HairLossIntake:
    """Create or update the booking's intake from cleaned answers and re-run the screening."""
    with transaction.atomic():
        intake = HairLossIntake.objects.filter(booking=booking).first()
        if intake is None:
            intake = HairLossIntake(booking=booking, submitted_at=now)
        for name, value in values.items():
            setattr(intake, name, value)
        intake.save()
        intake.flags.all().delete()
        rules = ScreeningRule.objects.filter(is_active=True)
        ScreeningFlag.objects.bulk_create(
            ScreeningFlag(
                intake=intake,
                rule_id=flag.rule_id,
                treatment=flag.treatment,
                severity=flag.severity,
                reason=flag.reason,
            )
            for flag in screening.evaluate(intake.screening, rules)
        )
    return intake


def consents_record(*, patient, booking, photos_beyond_care: bool, now: datetime) -> None:
    """Record the consent to care (always given to book) and, if given, to wider photo use."""
    given = [(Consent.Kind.CARE, consent_texts.CARE)]
    if photos_beyond_care:
        given.append((Consent.Kind.PHOTOS_BEYOND_CARE, consent_texts.PHOTOS_BEYOND_CARE))
    # Written out (every booking confirm records them); nobody reads their ids back.
    sql_insert.insert_rows(
        [
            Consent(
                patient=patient,
                booking=booking,
                kind=kind,
                text_version=text.version,
                text=text.text,
                agreed_at=now,
            )
            for kind, text in given
        ]
    )


def photos_store(*, photos, draft=None, intake=None, in_progress=None) -> None:
    """Save cleaned photos for a draft, an intake or one in progress, one per view, replacing
    older ones.

    Each new file is written before its row and the transaction commit; a replaced photo's file
    is deleted only once the transaction has committed (``patients.photo_files``). A crash at
    any point leaves every row with its file.
    """
    if draft is not None:
        owner = {"draft": draft}
    elif in_progress is not None:
        owner = {"in_progress": in_progress}
    else:
        owner = {"intake": intake}
    with photo_transaction():
        replaced = []
        for view, content, width, height in photos:
            old = IntakePhoto.objects.filter(**owner, view=view)
            replaced += photo_file_names(old)
            old.delete()
            IntakePhoto.objects.create(
                **owner,
                view=view,
                width=width,
                height=height,
                image=photo_file_write(view, content),
            )
        photo_files_delete_after_commit(replaced)


def intake_update(*, booking, values: dict, photos, now: datetime) -> HairLossIntake:
    """Save a patient's changed answers and new photos together, in one transaction.

    Photos sent with answers saved to finish later join the intake, unless a new photo of the
    same view replaces one; the answers saved for later are then dropped.
    """
    with photo_transaction():
        intake = intake_submit(booking=booking, values=values, now=now)
        in_progress = IntakeInProgress.objects.filter(booking=booking).first()
        if in_progress is not None:
            kept = in_progress.photos.all()
            views = {photo.view for photo in kept}
            replaced = IntakePhoto.objects.filter(intake=intake, view__in=views)
            photo_files_delete_after_commit(photo_file_names(replaced))
            replaced.delete()
            kept.update(intake=intake, in_progress=None)
            in_progress.delete()
        photos_store(photos=photos, intake=intake)
    return intake


def intake_save_for_later(*, booking, answers: dict, photos) -> IntakeInProgress:
    """Keep a patient's unfinished answers exactly as typed, and their accepted photos, to be
    finished later through the private link. Nothing is checked: nothing is lost."""
    with photo_transaction():
        in_progress, _ = IntakeInProgress.objects.update_or_create(
            booking=booking, defaults={"answers": answers}
        )
        photos_store(photos=photos, in_progress=in_progress)
    return in_progress


# Sent (sender=Assessment, assessment=...) before a complete assessment is saved with a part
# emptied, under its lock: each receiver returns why what was made from it keeps it whole, or
# None. The layers above answer for their own (a treatment plan is made from a complete one).
assessment_keep_whole = Signal()


class AssessmentError(Exception):
    """An assessment rule refused the save; ``message`` is fit to show to the practitioner."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def flags_unacknowledged_message(flags) -> str:
    """Say which flags speak against the chosen options, for a practitioner to weigh."""
    listed = "; ".join(f"{flag.get_severity_display()}, {flag.reason}" for flag in flags)
    return (
        "A screening flag speaks against an option you recommend: "
        f"{listed} Tick to acknowledge it, or change the options."
    )


ASSESSMENT_CHANGED = (
    "This assessment was saved by someone else, or in another tab, while you had it open, so "
    "nothing was saved. Your typing is kept below: check the assessment as it is now, then "
    "save again if yours should replace it."
)


def recommendation_record(
    *,
    booking,
    author,
    values: dict,
    sign_off: bool,
    now: datetime,
    acknowledged: bool = False,
    follow_up=None,
    seen: str | None = None,
):
    """Record (or update) the assessment and recommendation of a consultation.

    ``seen``: the assessment as the practitioner's page showed it (``clinic.seen``); saved
    since, by a colleague or in another tab, nothing is saved and AssessmentError says so.

    A recommended option that a screening flag of this consultation cautions against, defers or
    contraindicates needs the practitioner's ``acknowledged``; the flags they acknowledged are
    recorded with the assessment (and so in its history), else AssessmentError says which.
    ``follow_up`` is the visit booked with it, kept once booked.
    Signing off stamps the time once: the patient may read the summary from then on. A
    follow-up booked with it is the booking layer's service
    (``bookings.follow_up.assessment_record``), which calls this one.
    """
    with transaction.atomic():
        flags = ScreeningFlag.objects.filter(intake__booking=booking).order_by("pk")
        against = screening.flags_against(flags, values.get("recommendations"))
        if against and not acknowledged:
            raise AssessmentError(flags_unacknowledged_message(against))
        saved = Assessment.objects.select_for_update().filter(booking=booking).first()
        if changed_since(saved, seen):
            raise AssessmentError(ASSESSMENT_CHANGED)
        was_complete = saved is not None and saved.is_complete
        assessment = saved or Assessment(booking=booking, author=author)
        for name, value in values.items():
            setattr(assessment, name, value)
        assessment.acknowledged_flags = [
            {"treatment": flag.treatment, "severity": flag.severity, "reason": flag.reason}
            for flag in against
        ]
        if was_complete and not assessment.is_complete:
            # What was made from it (a treatment plan) keeps it whole.
            for _, refusal in assessment_keep_whole.send(sender=Assessment, assessment=saved):
                if refusal:
                    raise AssessmentError(refusal)
        if (sign_off or assessment.signed_off_at) and (missing := assessment.missing()):
            # (The database refuses it too: ``assessment_signed_off_complete``.)
            names = ", ".join(Assessment._meta.get_field(name).verbose_name for name in missing)
            raise AssessmentError(f"A signed-off assessment needs every part; missing: {names}.")
        if follow_up is not None:
            assessment.follow_up = follow_up
        if sign_off and assessment.signed_off_at is None:
            assessment.signed_off_at = now
        assessment.save()
    return assessment
