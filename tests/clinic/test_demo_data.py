import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    ScheduleVersion,
    WorkingHours,
)
from bookings.selectors import available_slots
from bookings.services import booking_create
from patients.models import (
    Assessment,
    ClinicPhoto,
    HairLossIntake,
    IntakePhoto,
    Patient,
    ScreeningFlag,
    SelfRating,
    VisitMeasures,
)
from tests.factories import PatientFactory
from treatments.models import RESCREEN_OPENS_BEFORE, OutcomeRecord, Plan, StepPrice
from treatments.outcomes import outcome_figures
from treatments.seed import TYPES as TREATMENT_TYPES

MODELS = [
    Location,
    Practitioner,
    ConsultationType,
    WorkingHours,
    Booking,
    Patient,
    HairLossIntake,
    IntakePhoto,
    Assessment,
    VisitMeasures,
    ClinicPhoto,
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS} | {
        "users": get_user_model().objects.count()
    }


@pytest.mark.django_db
def test_demo_data_loads_a_believable_clinic_and_is_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo_data")
    first = counts()
    assert first["Location"] == 2 and first["Practitioner"] == 3
    # Three upcoming consultations and one earlier, assessed visit of the same patient; the
    # procedure types, and the treatment types the protocols book; a patient's three visits
    # through a course of PRP, measured and photographed; and the assessed patient's PRP course:
    # two sessions done, the third booked.
    # Four consultations; the types the protocols book include the demo's four procedures.
    assert first["ConsultationType"] == 4 + len(TREATMENT_TYPES)
    assert first["VisitMeasures"] == 3 and first["ClinicPhoto"] == 12
    marcus = Patient.objects.get(email="marcus.reid@example.com")
    course = marcus.bookings.filter(measures__isnull=False).order_by("starts_at")
    crown = [b.measures.crown_density for b in course]
    assert crown == sorted(crown) and all(b.clinic_photos.count() == 4 for b in course)
    # His visits are a PRP course with three sessions, and he rated his hair before both
    # reviews; with the earlier courses' anonymous outcomes, PRP shows figures, and
    # micro-needling (fewer than five patients) none.
    his_plan = Plan.objects.get(patient=marcus)
    assert his_plan.steps.filter(kind="procedure", booking__status="completed").count() == 3
    assert [r.hair_now for r in SelfRating.objects.filter(booking__patient=marcus)] == [5, 7]
    assert OutcomeRecord.objects.filter(plan=his_plan, density_improved=True).exists()
    figures = {row.treatment: row for row in outcome_figures()}
    assert figures["prp"].shown and figures["prp"].density.shown
    assert not figures["micro_needling"].shown
    plan = Plan.objects.exclude(patient=marcus).get()
    assert plan.status == "in_progress" and plan.consents.count() == 1
    assert list(plan.steps.values_list("status", flat=True))[:3] == ["done", "done", "booked"]
    # Session 3, booked two days ahead (or a little later on a practitioner's day off), waits for
    # the review of her health check once it is open.
    third = plan.steps.select_related("booking__rescreen").get(order=3).booking
    if third.starts_at - RESCREEN_OPENS_BEFORE <= timezone.now():
        assert third.rescreen.needs_review
    assert StepPrice.objects.filter(location__time_zone="Asia/Dubai", currency="AED").exists()
    assert first["HairLossIntake"] == 3 and first["IntakePhoto"] == 6
    assessment = Assessment.objects.exclude(booking__patient=marcus).get()
    assert assessment.booking.status == Booking.Status.COMPLETED and assessment.signed_off_at
    upcoming = Booking.objects.filter(
        patient=assessment.booking.patient, consultation_type__slug="initial-consultation"
    ).exclude(pk=assessment.booking_id)
    assert upcoming.get().intake.photos.count() == 2  # to compare with the earlier ones
    # The screening rules see the demo answers: a blood thinner raises a caution for PRP.
    assert ScreeningFlag.objects.filter(treatment="prp", severity="caution").exists()
    assert {loc.time_zone for loc in Location.objects.all()} == {"Europe/London", "Asia/Dubai"}
    # Every patient agreed to care when booking, as the booking pages ask: a visit staff share
    # reaches their progress page.
    # A follow-up does not ask the first consultation's hair-loss questions again.
    assert not ConsultationType.objects.get(slug="follow-up").intake_required
    booked = Patient.objects.filter(bookings__isnull=False).distinct()
    assert all(p.consents.filter(kind="care").exists() for p in booked)
    assert "admin" in capsys.readouterr().out
    call_command("load_demo_data")
    assert counts() == first


@pytest.mark.django_db
def test_demo_data_second_run_changes_nothing(settings):
    settings.DEBUG = True
    call_command("load_demo_data", stdout=io.StringIO())
    rows = {model._meta.label: model.objects.count() for model in apps.get_models()}
    versions = dict(ScheduleVersion.objects.values_list("practitioner_id", "version"))
    call_command("load_demo_data", stdout=io.StringIO())
    # No row anywhere, history included, and no practitioner's cached slot pages made stale.
    assert {model._meta.label: model.objects.count() for model in apps.get_models()} == rows
    assert dict(ScheduleVersion.objects.values_list("practitioner_id", "version")) == versions


@pytest.mark.django_db
def test_demo_data_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("load_demo_data")
    assert not Location.objects.exists()


@pytest.mark.django_db
def test_demo_procedures_hold_londons_rooms_and_can_be_booked_by_staff(settings):
    settings.DEBUG = True
    call_command("load_demo_data", stdout=io.StringIO())
    london = Location.objects.get(time_zone="Europe/London")
    procedures = ConsultationType.objects.filter(kind=ConsultationType.Kind.PROCEDURE)
    needs = {p.name: sorted(r.name for r in p.resources.all()) for p in procedures}
    assert needs == {
        "PRP session": ["Centrifuge", "Procedure room"],
        "Stem cell therapy (adipose-derived)": ["Liposuction suite", "Procedure room"],
        "Stem cell therapy (bone-marrow-derived)": [],
        "Exosome session": ["Procedure room"],
        "Micro-needling session": ["Procedure room"],
        "Treatment review": [],
    }
    assert {r.location for p in procedures for r in p.resources.all()} == {london}
    stem_cells = procedures.get(slug="stem-cell-adipose")
    assert stem_cells.duration_minutes == 240
    today = timezone.now().astimezone(london.zone).date()
    slots = available_slots(
        consultation_type=stem_cells,
        location=london,
        first_day=today + timedelta(days=7),
        last_day=today + timedelta(days=20),
        by_staff=True,
    ).slots
    assert slots
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=stem_cells,
        location=london,
        starts_at=slots[0].start,
        by_staff=True,
        notify=False,
    )
    assert booking.holds.count() == 2
