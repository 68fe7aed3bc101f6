"""A staff member's permissions and roles, read in one query a request (clinic/access.py)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from clinic import roles as role_names
from clinic.access import AccessBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request reads them: nothing kept from earlier checks."""
    return get_user_model().objects.get(pk=user.pk)


def test_permissions_are_django_own_answer_direct_and_through_groups(roles):
    user = UserFactory()
    user.groups.add(roles[role_names.RECEPTION], Group.objects.create(name="Night shift"))
    user.user_permissions.add(Permission.objects.get(codename="view_screeningrule"))
    expected = ModelBackend().get_all_permissions(fresh(user))
    assert "patients.view_screeningrule" in expected
    assert "bookings.change_booking" in expected

    assert fresh(user).get_all_permissions() == expected


def test_permission_check_and_roles_cost_one_query_together(roles, django_assert_num_queries):
    user = UserFactory()
    user.groups.add(roles[role_names.PRACTITIONER], Group.objects.create(name="Night shift"))
    user = fresh(user)
    with django_assert_num_queries(1):
        assert user.has_perm("patients.view_hairlossintake")
        assert not user.has_perm("bookings.change_consultationtype")
        assert role_names.roles_of(user) == [role_names.PRACTITIONER]
        assert role_names.has_role(user, role_names.PRACTITIONER)
        assert not role_names.has_role(user, role_names.CLINIC_ADMIN)


def test_inactive_users_hold_no_permission(roles):
    user = UserFactory(is_active=False)
    user.groups.add(roles[role_names.CLINIC_ADMIN])
    assert not fresh(user).has_perm("bookings.change_booking")
    assert fresh(user).get_all_permissions() == set()


def test_a_superuser_is_a_clinic_admin_with_every_permission(db):
    user = fresh(UserFactory(is_superuser=True))
    assert user.has_perm("auth.delete_group")
    assert role_names.roles_of(user) == [role_names.CLINIC_ADMIN]
    assert all(role_names.has_role(user, role) for role in role_names.ROLES)


def test_a_role_taken_away_applies_from_the_next_request(practitioner_client, roles):
    queue = reverse("staff:review_queue")
    assert practitioner_client.get(queue).status_code == 200
    practitioner_client.practitioner.user.groups.remove(roles[role_names.PRACTITIONER])
    assert practitioner_client.get(queue).status_code == 403


def fields_of(user):
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


def test_the_signed_in_user_is_read_as_the_orm_reads_them_with_their_access(roles):
    from django.utils import timezone

    user = UserFactory(last_login=timezone.now(), first_name="Ama", email="ama@example.com")
    user.groups.add(roles[role_names.RECEPTION])
    read = AccessBackend().get_user(str(user.pk))  # as the session keeps it

    assert fields_of(read) == fields_of(fresh(user))
    assert read._state.db == "default" and not read._state.adding
    assert read._group_names == {role_names.RECEPTION}
    assert read.get_all_permissions() == ModelBackend().get_all_permissions(fresh(user))


def test_reading_the_user_and_their_access_is_one_query(roles, django_assert_num_queries):
    user = UserFactory()
    user.groups.add(roles[role_names.PRACTITIONER])
    with django_assert_num_queries(1):
        read = AccessBackend().get_user(user.pk)
        assert read.has_perm("patients.view_hairlossintake")
        assert role_names.roles_of(read) == [role_names.PRACTITIONER]


@pytest.mark.parametrize("user_id", ["999999", "not-a-number", ""])
def test_no_user_for_an_unknown_or_malformed_id(db, user_id):
    assert AccessBackend().get_user(user_id) is None


def test_an_inactive_user_is_not_signed_in(roles):
    user = UserFactory(is_active=False)
    user.groups.add(roles[role_names.CLINIC_ADMIN])
    assert AccessBackend().get_user(user.pk) is None


def test_a_superuser_read_with_the_user_holds_every_permission(db):
    read = AccessBackend().get_user(UserFactory(is_superuser=True).pk)
    assert read.has_perm("auth.delete_group")
    assert role_names.roles_of(read) == [role_names.CLINIC_ADMIN]


def test_names_of_any_kind_come_back_whole_and_none_is_empty(db):
    # Each list is read as one aggregated value: quotes, commas, brackets and non-ASCII survive.
    odd = Group.objects.create(name='Nuit, "équipe" [B]\\n')
    odd.permissions.add(Permission.objects.get(codename="view_screeningrule"))
    user = UserFactory()
    user.groups.add(odd)
    read = AccessBackend().get_user(user.pk)
    assert read._group_names == {'Nuit, "équipe" [B]\\n'}
    assert read.get_all_permissions() == {"patients.view_screeningrule"}

    bare = AccessBackend().get_user(UserFactory().pk)
    assert bare._group_names == frozenset() and bare.get_all_permissions() == set()
    assert fresh(user).get_all_permissions() == {"patients.view_screeningrule"}  # load_access
