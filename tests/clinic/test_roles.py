"""The role matrix, as the database holds it after the migration."""

import pytest

from clinic import roles as role_names

pytestmark = pytest.mark.django_db


def perms(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_reception_runs_the_day_but_sees_no_clinical_answers(roles):
    reception = perms(roles[role_names.RECEPTION])
    assert {"bookings.change_booking", "patients.view_patient", "bookings.add_timeoff"} <= reception
    clinical = {
        "patients.view_hairlossintake",
        "patients.view_intakephoto",
        "patients.view_screeningflag",
    }
    assert not clinical & reception
    assert "bookings.change_consultationtype" not in reception


def test_practitioners_see_everything_clinical_but_change_no_configuration(roles):
    practitioner = perms(roles[role_names.PRACTITIONER])
    assert {"patients.view_hairlossintake", "patients.view_intakephoto"} <= practitioner
    assert "bookings.view_booking" in practitioner
    assert not {p for p in practitioner if p.startswith("bookings.change_consultation")}
    assert "patients.change_screeningrule" not in practitioner


def test_clinic_admins_can_do_everything_in_the_clinic_apps(roles):
    admin = perms(roles[role_names.CLINIC_ADMIN])
    assert {"bookings.change_consultationtype", "patients.change_screeningrule"} <= admin
    assert "auth.add_user" in admin
    assert "auth.delete_group" not in admin
