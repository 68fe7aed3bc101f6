"""A member of staff changes their own password from their profile."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from clinic import roles as role_names
from tests.factories import STAFF_PASSWORD, UserFactory, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "copper-kettle-on-the-hob-47"


@pytest.fixture
def rosa(roles):
    user = UserFactory(username="rosa")
    user.groups.add(roles[role_names.RECEPTION])
    return user


def change(client, old, new, again=None):
    return client.post(
        reverse("staff:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_the_profile_leads_to_the_change_which_keeps_this_session_and_ends_the_others(rosa):
    here = sign_in_with_second_factor(Client(), rosa)
    elsewhere = sign_in_with_second_factor(Client(), rosa)
    profile = here.get(reverse("staff:profile")).content.decode()
    assert reverse("staff:password_change") in profile

    response = change(here, STAFF_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302 and response.url == reverse("staff:profile")
    rosa.refresh_from_db()
    assert rosa.check_password(NEW_PASSWORD) and not rosa.check_password(STAFF_PASSWORD)
    # Still signed in here, with the second factor: the profile opens, and says so.
    page = here.get(reverse("staff:profile"))
    assert page.status_code == 200
    assert "Your password is changed." in page.content.decode()
    # The other browser is signed out, to the sign-in page.
    away = elsewhere.get(reverse("staff:profile"))
    assert away.status_code == 302 and reverse("staff:sign_in") in away.url


@pytest.mark.parametrize(
    ("old", "new", "again", "said"),
    [
        ("not-my-password", NEW_PASSWORD, None, "Your old password was entered incorrectly"),
        (STAFF_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "The two password fields"),
        (STAFF_PASSWORD, "password", None, "This password is too common"),
        (STAFF_PASSWORD, "", None, "This field is required"),
    ],
)
def test_a_refused_change_says_why_on_the_page_and_changes_nothing(rosa, old, new, again, said):
    client = sign_in_with_second_factor(Client(), rosa)
    response = change(client, old, new, again)
    assert response.status_code == 200
    assert said in response.content.decode()
    assert get_user_model().objects.get(pk=rosa.pk).check_password(STAFF_PASSWORD)
    assert client.get(reverse("staff:profile")).status_code == 200


def test_guessing_the_current_password_is_stopped_after_the_hourly_tries(rosa, settings):
    settings.STAFF_SIGN_IN_ATTEMPTS_PER_HOUR = 3
    client = sign_in_with_second_factor(Client(), rosa)
    answers = [change(client, f"guess-{n}", NEW_PASSWORD).status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    # Even the right one, once over the limit.
    assert change(client, STAFF_PASSWORD, NEW_PASSWORD).status_code == 429
    assert get_user_model().objects.get(pk=rosa.pk).check_password(STAFF_PASSWORD)


def test_only_staff_signed_in_with_both_factors_reach_it(rosa):
    anonymous = Client().get(reverse("staff:password_change"))
    assert anonymous.status_code == 302 and reverse("staff:sign_in") in anonymous.url
    half = Client()
    half.force_login(rosa)  # the password step only
    assert change(half, STAFF_PASSWORD, NEW_PASSWORD).status_code == 302
    assert get_user_model().objects.get(pk=rosa.pk).check_password(STAFF_PASSWORD)
