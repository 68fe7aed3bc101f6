import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from bookings.models import Booking, ConsultationType, Location, Practitioner, WorkingHours
from patients.models import Patient

MODELS = [Location, Practitioner, ConsultationType, WorkingHours, Booking, Patient]


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
    assert first["ConsultationType"] == 4 and first["Booking"] == 3
    assert {loc.time_zone for loc in Location.objects.all()} == {"Europe/London", "Asia/Dubai"}
    assert "admin" in capsys.readouterr().out
    call_command("load_demo_data")
    assert counts() == first


@pytest.mark.django_db
def test_demo_data_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("load_demo_data")
    assert not Location.objects.exists()
