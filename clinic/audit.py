"""The audit trail of changes: who changed a booking, patient or intake, what, when, from where.

Change history comes from django-simple-history (a historical table per audited model, written
on every save). This module adds the address the change came from, in one place for all of them.
History rows are never edited or deleted through the app: the admin shows them read-only.
"""

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from clinic.models import ClinicalRead
from clinic.ratelimit import client_address


class ChangeAddress(models.Model):
    """Extra columns of every historical table."""

    history_ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        abstract = True


def audited(**options):
    """Return the history descriptor used by every audited model."""
    return HistoricalRecords(bases=[ChangeAddress], **options)


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
    address = client_address(request)
    # Worked out once, not for each row: the user behind the request is a lazy object, and a
    # page of 25 rows paid for each row's trip through it.
    user_id, path = request.user.pk, request.get_full_path()[:300]
    ip_address = address if address != "unknown" else None
    reads = [
        ClinicalRead(
            user_id=user_id,
            what=what,
            object_id=str(object_id),
            patient_id=patient_id,
            path=path,
            ip_address=ip_address,
        )
        for what, items in by_kind.items()
        for object_id, patient_id in items
    ]
    # Nothing read, nothing written: not even the empty transaction bulk_create would open.
    if reads:
        ClinicalRead.objects.bulk_create(reads)


def record_read(request, what: str, obj, patient_id=None) -> None:
    record_reads(request, what, [(obj, patient_id)])
