"""The audit trail of changes: who changed a booking, patient or intake, what, when, from where.

Change history comes from django-simple-history (a historical table per audited model, written
on every save). This module adds the address the change came from, in one place for all of them.
History rows are never edited or deleted through the app: the admin shows them read-only.
"""

import functools
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from clinic import sql_prepared
from clinic.models import ClinicalRead
from clinic.ratelimit import client_address
from clinic.sql_insert import insert_statement, prepared, written_fields


class ChangeAddress(models.Model):
    """Extra columns of every historical table."""

    history_ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        abstract = True


class _HistoryManager(HistoryManager):
    """simple-history's manager, whose class is made once per queryset class.

    The library makes the manager's class anew (``from_queryset``, which walks every method of
    the queryset) on each access to ``Model.history``, and every history row written goes
    through one; a made class holds no state, so one serves every access.
    """

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


# Each audited model's ``_AuditedRecords``, for ``insert_audited``.
_RECORDS: dict = {}


class _AuditedRecords(HistoricalRecords):
    """simple-history's history descriptor, which keeps itself only in the receivers it
    connects; remembered here per model."""

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            _RECORDS[sender] = self


def audited(**options):
    """Return the history descriptor used by every audited model."""
    return _AuditedRecords(bases=[ChangeAddress], history_manager=_HistoryManager, **options)


@receiver(pre_create_historical_record)
def _record_address(sender, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None:
        address = client_address(request)
        history_instance.history_ip_address = address if address != "unknown" else None


def insert_audited(instance) -> None:
    """Insert a new ``instance`` of an audited model and its history row ("created"), as its
    ``save()`` would, with the signals a save sends (``pre_save``, ``post_save``; and
    simple-history's own around its row, one of which records the address above).

    ``save()`` compiled two INSERTs through the ORM and sent them one after the other, on every
    booking confirmed (the patient's and the booking's, each with its history row). Here, on
    PostgreSQL, the two rows go in one statement, the history row reading the new row's id;
    elsewhere one after the other. The caller does first what the model's ``save()`` adds of
    its own.
    """
    model = type(instance)
    meta = model._meta
    records = _RECORDS[model]
    if (
        records.m2m_fields
        or hasattr(instance, "skip_history_when_saving")
        or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    ):
        instance.save()  # what simple-history then writes (or not) is its own business
        return
    history = getattr(model, meta.simple_history_manager_attribute).model
    pre_save.send(sender=model, instance=instance, raw=False, using="default", update_fields=None)
    fields, history_fields = _insert_fields(model)
    values = [prepared(field, instance) for field in fields]
    when = getattr(instance, "_history_date", timezone.now())
    signal = {
        "sender": history,
        "instance": instance,
        "history_date": when,
        "history_user": records.get_history_user(instance),
        "history_change_reason": records.get_change_reason_for_object(instance, "+", None),
        "using": None,
    }
    # Its copy of the new row's id is set once the row has one.
    history_instance = history(
        history_date=when,
        history_type="+",
        history_user=signal["history_user"],
        history_change_reason=signal["history_change_reason"],
        **{
            field.attname: getattr(instance, field.attname)
            for field in records.fields_included(instance)
            if field is not meta.pk
        },
    )
    pre_create_historical_record.send(history_instance=history_instance, **signal)
    values += [prepared(field, history_instance) for field in history_fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql_prepared.execute(cursor, _insert_both_query(model), values)
            pk, history_pk = cursor.fetchone()
        else:
            cursor.execute(insert_statement(model, fields), values[: len(fields)])
            pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
            copy = connection.ops.quote_name(history._meta.get_field(meta.pk.attname).column)
            cursor.execute(
                insert_statement(history, history_fields, first=(copy, "%s")),
                [pk, *values[len(fields) :]],
            )
            history_pk = connection.ops.last_insert_id(
                cursor, history._meta.db_table, history._meta.pk.column
            )
    instance.pk, history_instance.pk = pk, history_pk
    setattr(history_instance, meta.pk.attname, pk)
    for row in (instance, history_instance):
        row._state.adding, row._state.db = False, "default"
    post_create_historical_record.send(history_instance=history_instance, **signal)
    # The history row is written: simple-history's own receiver must not write a second.
    instance.skip_history_when_saving = True
    try:
        post_save.send(
            sender=model,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using="default",
        )
    finally:
        del instance.skip_history_when_saving


@functools.cache
def _insert_fields(model) -> tuple[list, list]:
    """The fields a save writes in a new row of ``model``, and those of a new row of its
    history but the copy of the new row's key (which ``_insert_both_query`` fills)."""
    history = getattr(model, model._meta.simple_history_manager_attribute).model
    copied = model._meta.pk.attname
    history_fields = [field for field in written_fields(history) if field.attname != copied]
    return written_fields(model), history_fields


@functools.cache
def _insert_both_query(model) -> str:
    """PostgreSQL: the new row, and its history row with the new id, in one statement."""
    quote = connection.ops.quote_name
    history = getattr(model, model._meta.simple_history_manager_attribute).model
    fields, history_fields = _insert_fields(model)
    pk = quote(model._meta.pk.column)
    copy = quote(history._meta.get_field(model._meta.pk.attname).column)
    new_id = f"(SELECT {pk} FROM new)"  # noqa: S608 - the model's own names
    first = insert_statement(model, fields)
    then = insert_statement(history, history_fields, first=(copy, new_id))
    returning = f"{copy}, {quote(history._meta.pk.column)}"
    return f"WITH new AS ({first} RETURNING {pk}) {then} RETURNING {returning}"


def record_reads(request, what: str, items) -> None:
    """Record that the signed-in staff member read clinical data: one row per
    ``(object, patient_id)`` in ``items``, in one query. Every clinical view calls this; it is
    the one place reads are written down."""
    record_reads_by_kind(request, {what: items})


def record_reads_by_kind(request, by_kind: dict) -> None:
    """``record_reads`` for several kinds of record shown on one page (``{what: items}``),
    still in one query, whichever kinds the page happens to hold."""
    record_read_ids(
        request,
        {
            what: [(obj.pk, patient_id) for obj, patient_id in items]
            for what, items in by_kind.items()
        },
    )


def record_read_ids(request, by_kind: dict) -> None:
    """``record_reads_by_kind`` with each record named by its id, ``{what: [(object id,
    patient id)]}``: for a page that reads rows rather than objects."""
    reads = [
        (what, str(object_id), patient_id)
        for what, items in by_kind.items()
        for object_id, patient_id in items
    ]
    # Nothing read, nothing written.
    if not reads:
        return
    address = client_address(request)
    # Worked out once, not for each row: the user behind the request is a lazy object, and a
    # page of 25 rows paid for each row's trip through it.
    _insert(
        reads,
        user_id=request.user.pk,
        path=request.get_full_path()[:300],
        ip_address=address if address != "unknown" else None,
        at=connection.ops.adapt_datetimefield_value(timezone.now()),
    )


# A read's own values are listed once for each (``{rows}``, rows of three), the request's once
# for all: psycopg2 quotes every parameter into the text it sends, and 25 rows of all seven
# columns took 0.15 ms of CPU a view, three times as long as 25 of three. A list of NULL
# patients has no type on PostgreSQL, hence the cast.
_INSERT = (
    "WITH r (what, object_id, patient_id) AS (VALUES {rows}) "  # noqa: S608 - values are parameters
    f"INSERT INTO {ClinicalRead._meta.db_table} "
    "(user_id, what, object_id, patient_id, path, ip_address, at) "
    "SELECT %s, what, object_id, CAST(patient_id AS BIGINT), %s, %s, %s FROM r"
)


def _insert(reads: list, *, user_id, path, ip_address, at) -> None:
    """Write ``reads`` (tuples of what, object id and patient id), each read by ``user_id`` at
    ``path`` from ``ip_address`` at ``at``, in one statement, or one per batch of the rows the
    database takes parameters for. Written out: bulk_create made a model object per row and
    opened a transaction even for one statement (BEGIN and COMMIT, two more round trips), where
    a single statement is all or nothing by itself."""
    # Counted as a whole row's parameters each, the batches err on the safe side.
    fields = ClinicalRead._meta.concrete_fields
    size = connection.ops.bulk_batch_size(fields, reads)
    batches = [reads[start : start + size] for start in range(0, len(reads), size)]
    several = transaction.atomic(savepoint=False) if len(batches) > 1 else nullcontext()
    with several, connection.cursor() as cursor:
        for batch in batches:
            cursor.execute(
                _INSERT.format(rows=", ".join(["(%s, %s, %s)"] * len(batch))),
                [*[value for read in batch for value in read], user_id, path, ip_address, at],
            )


def record_read(request, what: str, obj, patient_id=None) -> None:
    record_reads(request, what, [(obj, patient_id)])
