"""The audit trail of changes: who changed a booking, patient or intake, what, when, from where.

Change history comes from django-simple-history (a historical table per audited model, written
on every save). This module adds the address the change came from, in one place for all of them.
History rows are never edited or deleted through the app: the admin shows them read-only.
"""

import functools
from contextlib import nullcontext

from django.db import connection, models, transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from clinic.models import ClinicalRead
from clinic.ratelimit import client_address


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


def audited(**options):
    """Return the history descriptor used by every audited model."""
    return HistoricalRecords(bases=[ChangeAddress], history_manager=_HistoryManager, **options)


@receiver(pre_create_historical_record)
def _record_address(sender, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None:
        address = client_address(request)
        history_instance.history_ip_address = address if address != "unknown" else None


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
