"""Rows written out in one INSERT are the rows bulk_create writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.sql_insert import insert_rows
from patients.models import Consent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _consents(patient, now):
    return [
        Consent(patient=patient, kind=kind, text_version="v1", text=f"{kind} text", agreed_at=now)
        for kind in (Consent.Kind.CARE, Consent.Kind.PHOTOS_BEYOND_CARE)
    ]


def test_written_out_rows_are_bulk_creates_in_one_statement():
    patient, now = PatientFactory(), timezone.now()
    Consent.objects.bulk_create(_consents(patient, now))
    expected = list(Consent.objects.order_by("pk").values())
    Consent.objects.all().delete()
    rows = _consents(patient, now)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(rows)
    assert len(queries) == 1
    assert all(not row._state.adding for row in rows)
    written = list(Consent.objects.order_by("pk").values())
    for row in expected + written:
        row.pop("id")
    assert written == expected
    insert_rows([])  # nothing to write, nothing sent
