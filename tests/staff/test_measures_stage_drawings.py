"""The practitioner chooses a visit's stage from the project's drawings of each stage."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic import roles as role_names
from patients import choices
from patients.models import VisitMeasures
from tests.factories import BookingFactory, bookable_clinic, choices_in, sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def own_visit(client, roles):
    """Sign a practitioner in and return their consultation of an hour ago."""
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    sign_in_with_second_factor(client, practitioner.user)
    start = timezone.now() - timedelta(hours=1)
    return BookingFactory(
        practitioner=practitioner,
        location=location,
        consultation_type=consultation_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )


def test_every_stage_of_every_scale_is_a_radio_choice_with_its_drawing(client, roles):
    visit = own_visit(client, roles)
    html = client.get(reverse("staff:visit_measures", args=[visit.pk])).content.decode()
    stages = choices_in(html, "stage")
    assert [s["value"] for s in stages] == ["", *choices.VISIT_STAGE_CODES]
    assert stages[0]["checked"] and stages[0]["label"] == "Not assessed this visit"
    assert not stages[0]["drawn"]
    for stage in stages[1:]:
        assert stage["label"] == choices.STAGE_LABELS[stage["value"]]
        assert stage["drawn"] and not stage["checked"]
        assert "stage-choice" in stage["within"]
    for scale, _ in choices.VISIT_STAGES:
        assert f'role="radiogroup" aria-label="{scale}"' in html


def test_the_stage_chosen_stays_chosen_after_a_mistake_and_once_recorded(client, roles):
    visit = own_visit(client, roles)
    url = reverse("staff:visit_measures", args=[visit.pk])
    refused = client.post(url, {"stage": "lu2", "frontal_density": "900"})
    assert refused.status_code == 400
    chosen = [s["value"] for s in choices_in(refused.content.decode(), "stage") if s["checked"]]
    assert chosen == ["lu2"]
    assert client.post(url, {"stage": "si4"}).status_code == 302
    assert VisitMeasures.objects.get(booking=visit).stage == "si4"
    again = client.get(url).content.decode()
    assert [s["value"] for s in choices_in(again, "stage") if s["checked"]] == ["si4"]


def test_measures_saved_from_a_stale_page_do_not_undo_a_newer_save(client, roles):
    import re

    def seen_on(page):
        return re.search(r'name="seen" value="([^"]*)"', page.content.decode()).group(1)

    url = reverse("staff:visit_measures", args=[own_visit(client, roles).pk])
    assert client.post(url, {"crown_density": "104", "seen": ""}).status_code == 302
    tab_a = tab_b = seen_on(client.get(url))
    assert tab_a
    assert client.post(url, {"crown_density": "99", "seen": tab_b}).status_code == 302
    stale = client.post(url, {"crown_density": "104", "seen": tab_a})
    assert stale.status_code == 400
    assert "saved by someone else, or in another tab" in stale.content.decode()
    assert 'value="104"' in stale.content.decode()  # the typing kept
    assert VisitMeasures.objects.get().crown_density == 99


def test_a_visit_still_to_come_says_so_before_anything_is_typed(client, roles):
    visit = own_visit(client, roles)
    later = timedelta(days=3)
    for name in ("starts_at", "ends_at", "blocked_from", "blocked_until"):
        setattr(visit, name, getattr(visit, name) + later)
    visit.save()
    page = client.get(reverse("staff:visit_measures", args=[visit.pk])).content.decode()
    assert "record its measures and photos at the visit" in page
    # And once, not twice, when a save is tried anyway.
    refused = client.post(reverse("staff:visit_measures", args=[visit.pk]), {"stage": "nw3"})
    assert refused.content.decode().count("record its measures and photos at the visit") == 1


def test_a_stale_page_refused_for_a_typo_is_still_caught_on_the_next_try(client, roles):
    import re

    url = reverse("staff:visit_measures", args=[own_visit(client, roles).pk])
    tab_a = re.search(r'name="seen" value="([^"]*)"', client.get(url).content.decode()).group(1)
    assert client.post(url, {"crown_density": "99", "seen": tab_a}).status_code == 302  # B
    typo = client.post(url, {"crown_density": "9000", "seen": tab_a})  # A, stale and wrong
    assert typo.status_code == 400
    assert f'name="seen" value="{tab_a}"' in typo.content.decode()  # what A's page showed
    again = client.post(url, {"crown_density": "104", "seen": tab_a})
    assert again.status_code == 400 and "saved by someone else" in again.content.decode()
    assert VisitMeasures.objects.get().crown_density == 99
