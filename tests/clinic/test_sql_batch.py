"""Writes kept together are sent at the block's end, in one round trip on PostgreSQL, and never
when the block fails or its savepoint is rolled back to."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import ScheduleVersion
from bookings.picker_cache import schedules_changed
from bookings.services import _Savepoint
from clinic import sql_batch
from clinic.sql_insert import insert_rows
from patients.models import Consent
from tests.factories import PatientFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


def _consent(patient, kind=Consent.Kind.CARE):
    return Consent(
        patient=patient, kind=kind, text_version="v1", text="text", agreed_at=timezone.now()
    )


def _kinds(patient) -> list:
    """The kinds of the patient's consents written, in the order written."""
    return list(
        Consent.objects.filter(patient=patient).order_by("pk").values_list("kind", flat=True)
    )


def _version(practitioner) -> int:
    return ScheduleVersion.objects.get(practitioner=practitioner).version


def test_writes_in_a_block_are_sent_at_its_end_in_one_round_trip():
    patient, practitioner = PatientFactory(), PractitionerFactory()
    version = _version(practitioner)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with sql_batch.together():
            before = len(queries)  # the transaction's own statement, if any
            insert_rows([_consent(patient)])
            schedules_changed([practitioner.pk])
            # Nothing sent yet: the rows are not there, even for this very transaction.
            assert len(queries) == before
            assert not Consent.objects.filter(patient=patient).exists()
            assert _version(practitioner) == version
            kept = len(queries)
        sent = queries[kept:]
        assert len(sent) == (1 if connection.vendor == "postgresql" else 2)
    assert Consent.objects.filter(patient=patient).count() == 1
    assert _version(practitioner) == version + 1


def test_outside_a_block_a_write_is_sent_at_once():
    patient = PatientFactory()
    with CaptureQueriesContext(connection) as queries:
        insert_rows([_consent(patient)])
        assert len(queries) == 1
    assert Consent.objects.filter(patient=patient).exists()


class _Refused(Exception):
    pass


def test_a_block_that_fails_sends_nothing():
    patient = PatientFactory()
    with transaction.atomic():  # the caller's transaction goes on after the error
        with pytest.raises(_Refused), sql_batch.together():
            insert_rows([_consent(patient)])
            raise _Refused
        insert_rows([_consent(patient, Consent.Kind.PHOTOS_BEYOND_CARE)])
    assert _kinds(patient) == [Consent.Kind.PHOTOS_BEYOND_CARE]


def test_writes_kept_after_a_savepoint_rolled_back_to_are_dropped_with_it():
    patient = PatientFactory()
    with transaction.atomic(), sql_batch.together():
        insert_rows([_consent(patient)])  # before the savepoint: kept
        savepoint = _Savepoint("kept_writes_test")
        savepoint.take()
        insert_rows([_consent(patient, Consent.Kind.PHOTOS_BEYOND_CARE)])
        savepoint.roll_back()
    assert _kinds(patient) == [Consent.Kind.CARE]


def test_a_savepoint_taken_before_the_block_drops_all_it_kept():
    patient = PatientFactory()
    with transaction.atomic():
        savepoint = _Savepoint("before_the_block")
        savepoint.take()
        with sql_batch.together():
            insert_rows([_consent(patient)])
            savepoint.roll_back()
            insert_rows([_consent(patient, Consent.Kind.PHOTOS_BEYOND_CARE)])
    assert _kinds(patient) == [Consent.Kind.PHOTOS_BEYOND_CARE]


def test_a_write_inside_a_django_savepoint_is_undone_with_it():
    patient = PatientFactory()
    with transaction.atomic(), sql_batch.together():
        insert_rows([_consent(patient)])
        with pytest.raises(_Refused), transaction.atomic():  # a savepoint of Django's
            insert_rows([_consent(patient, Consent.Kind.PHOTOS_BEYOND_CARE)])
            raise _Refused
    assert _kinds(patient) == [Consent.Kind.CARE]


def test_a_block_inside_another_that_fails_drops_what_it_kept():
    patient = PatientFactory()
    with transaction.atomic(), sql_batch.together():
        insert_rows([_consent(patient)])
        with pytest.raises(_Refused), sql_batch.together():
            insert_rows([_consent(patient, Consent.Kind.PHOTOS_BEYOND_CARE)])
            raise _Refused
    assert _kinds(patient) == [Consent.Kind.CARE]


def test_placeholders_and_parameters_must_match():
    with pytest.raises(ValueError, match="placeholders"):
        sql_batch.execute("UPDATE bookings_scheduleversion SET version = %s", [1, 2])


def test_a_block_inside_another_is_sent_with_the_outer_one():
    patient = PatientFactory()
    with transaction.atomic(), sql_batch.together():
        with sql_batch.together():
            insert_rows([_consent(patient)])
        assert not Consent.objects.filter(patient=patient).exists()
    assert Consent.objects.filter(patient=patient).exists()
