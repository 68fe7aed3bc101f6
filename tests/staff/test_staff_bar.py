"""The staff bar (staff/staff_bar.py): what each person sees in it, at each sign-in step."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from clinic import roles as role_names
from tests.factories import UserFactory, sign_in_with_second_factor


def bar(response):
    page = response.content.decode()
    return page[page.index('<nav class="navbar') : page.index("</nav>")]


def links(html):
    return re.findall(r'class="nav-link" href="([^"]+)"', html)


# The links each role's bar holds, in order.
DIARY_LINKS = ["staff:home", "staff:week", "staff:month", "staff:patient_search"]
# Reception keeps time off and patients' details in the admin ("Configuration").
RECEPTION_LINKS = [*DIARY_LINKS, "admin:index"]
PRACTITIONER_LINKS = [*DIARY_LINKS, "staff:review_queue", "staff:plans"]
CLINIC_ADMIN_LINKS = [*PRACTITIONER_LINKS, "staff:outcomes", "admin:index"]


@pytest.mark.parametrize(
    ("role", "shown", "breakpoint"),
    [
        (role_names.RECEPTION, RECEPTION_LINKS, "lg"),
        (role_names.PRACTITIONER, PRACTITIONER_LINKS, "lg"),
        (role_names.CLINIC_ADMIN, CLINIC_ADMIN_LINKS, "xxl"),
    ],
)
def test_each_role_sees_the_links_its_permissions_open(roles, role, shown, breakpoint):
    user = UserFactory(first_name="Sam", last_name="Ortiz")
    user.groups.add(roles[role])
    client = sign_in_with_second_factor(Client(), user)
    html = bar(client.get(reverse("staff:profile")))
    assert links(html) == [reverse(name) for name in shown]
    assert f"navbar-expand-{breakpoint}" in html
    assert f'href="{reverse("staff:profile")}" aria-current="page" title="Your profile">' in html
    assert f'Sam Ortiz</a> <span class="staff-role">· {role}</span>' in html
    assert html.count('aria-current="page"') == 1


def test_the_page_open_is_marked_and_the_access_keys_are_there(roles):
    user = UserFactory()
    user.groups.add(roles[role_names.PRACTITIONER])
    client = sign_in_with_second_factor(Client(), user)
    html = bar(client.get(reverse("staff:week")))
    assert f'href="{reverse("staff:week")}" accesskey="w" aria-current="page">Week</a>' in html
    assert f'href="{reverse("staff:home")}" accesskey="t">Today</a>' in html
    assert f'href="{reverse("staff:plans")}">Plans</a>' in html  # no access key
    assert html.count('aria-current="page"') == 1


def test_a_hostile_name_is_shown_as_text(roles):
    user = UserFactory(first_name="<script>alert(1)</script>", last_name="&amp;")
    user.groups.add(roles[role_names.RECEPTION])
    client = sign_in_with_second_factor(Client(), user)
    html = bar(client.get(reverse("staff:home")))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;</a>" in html


def test_a_user_without_a_name_is_shown_by_username(roles):
    user = UserFactory(username="front-desk", first_name="", last_name="")
    user.groups.add(roles[role_names.RECEPTION])
    client = sign_in_with_second_factor(Client(), user)
    assert 'title="Your profile">front-desk</a>' in bar(client.get(reverse("staff:home")))


def test_between_the_two_steps_there_are_no_links_but_there_is_sign_out(roles):
    user = UserFactory(first_name="Sam", last_name="Ortiz")
    user.groups.add(roles[role_names.CLINIC_ADMIN])
    client = Client()
    client.force_login(user)  # the password step only
    response = client.get(reverse("staff:verify"), follow=True)  # to set up a code, if none
    assert response.request["PATH_INFO"].startswith(reverse("staff:sign_in"))
    html = bar(response)
    assert links(html) == []
    assert f'href="{reverse("staff:sign_in")}">' in html  # the brand leads to signing in
    assert "Sam Ortiz" in html and f'action="{reverse("staff:sign_out")}"' in html


def test_someone_signed_out_sees_only_the_way_to_the_clinic_website(db):
    html = bar(Client().get(reverse("staff:sign_in")))
    assert links(html) == []
    assert 'class="nav-link staff-nav-plain" href="/">Clinic website</a>' in html
    assert "Sign out" not in html


def test_the_sign_out_button_carries_a_token_that_signs_out(roles):
    user = UserFactory()
    user.groups.add(roles[role_names.RECEPTION])
    client = Client(enforce_csrf_checks=True)
    client.cookies = sign_in_with_second_factor(Client(), user).cookies
    html = bar(client.get(reverse("staff:home")))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    response = client.post(reverse("staff:sign_out"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(reverse("staff:home")).status_code == 302  # to sign in again
