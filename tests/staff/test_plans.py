"""Staff plan pages: making a plan from a completed, assessed consultation; a plan's page; the
Plans page with next steps and what is overdue. Reads audited, hostile text escaped, query
counts fixed."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from clinic.models import ClinicalRead
from clinic.roles import PRACTITIONER
from patients.models import Assessment
from tests.factories import (
    booked_course,
    completed_consultation,
    give_answers,
    proposed_plan,
    sign_in_with_second_factor,
)
from treatments.models import Plan, PlanStep, Protocol

pytestmark = pytest.mark.django_db
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def practitioner(client, roles, treatments_setup):
    """The test client, signed in as the practitioner of the completed consultation."""
    user = treatments_setup["practitioners"][0].user
    user.groups.add(roles[PRACTITIONER])
    return sign_in_with_second_factor(client, user)


def new_plan_url(setup):
    return reverse("staff:plan_new", args=[setup["consultation"].pk])


def test_the_new_plan_page_starts_from_the_recommendation_with_windows_and_a_quote(
    practitioner, treatments_setup
):
    response = practitioner.get(new_plan_url(treatments_setup))
    page = response.content.decode()
    assert response.status_code == 200
    prp = Protocol.objects.get(name="PRP course")
    assert f'value="{prp.pk}" ' in page and "checked" in page
    assert "PRP session 3" in page and "Check-in at 3 months" not in page
    assert "Quote at Treatment clinic: £1,800.00" in page
    assert ClinicalRead.objects.filter(what="assessment").count() == 1


def plan_form(setup, *protocol_names, action="propose", note="", **changes):
    protocols = Protocol.objects.filter(name__in=protocol_names)
    form = {
        "protocols": [p.pk for p in protocols],
        "starts_on": (setup["consultation"].starts_at + timedelta(days=7)).date().isoformat(),
        "patient_note": note,
        "action": action,
    }
    for protocol in protocols:
        for step in protocol.steps.all():
            form[f"include-{step.pk}"] = "on"
            form[f"min-{step.pk}"] = str(step.min_days_after)
            form[f"max-{step.pk}"] = str(step.max_days_after)
    form.update(changes)
    return form


def test_a_practitioner_proposes_prp_with_medication_leaving_out_the_top_up(
    practitioner, treatments_setup
):
    top_up = Protocol.objects.get(name="PRP course").steps.get(name="PRP top-up")
    form = plan_form(
        treatments_setup, "PRP course", "Medication with check-ins", note=f"See you {HOSTILE}"
    )
    del form[f"include-{top_up.pk}"]
    response = practitioner.post(new_plan_url(treatments_setup), form)
    plan = Plan.objects.get()
    assert response.status_code == 302 and response.url == reverse("staff:plan", args=[plan.pk])
    assert plan.status == "proposed" and plan.patient_note == f"See you {HOSTILE}"
    names = list(plan.steps.values_list("name", flat=True))
    assert "PRP top-up" not in names and "Check-in at 6 months" in names
    page = practitioner.get(response.url).content.decode()
    assert HOSTILE not in page and "&lt;img" in page
    assert "Total: £1,350.00" in page
    assert ClinicalRead.objects.filter(what="treatment plan", object_id=str(plan.pk)).exists()
    # A visit priced on request is counted beside the total, as the patient's page counts it.
    plan.steps.filter(name="Check-in at 6 months").update(price=None)
    page = practitioner.get(response.url).content.decode()
    assert "(plus 1 visit priced on request)" in page


def test_a_spacing_that_does_not_parse_is_refused_with_the_typing_kept(
    practitioner, treatments_setup
):
    second = Protocol.objects.get(name="PRP course").steps.get(order=2)
    form = plan_form(
        treatments_setup,
        "PRP course",
        note="Keep this note",
        **{f"min-{second.pk}": "40", f"max-{second.pk}": "20"},
    )
    response = practitioner.post(new_plan_url(treatments_setup), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The latest day must be on or after the earliest." in page
    assert "Keep this note" in page and 'value="40"' in page
    assert not Plan.objects.exists()


@pytest.mark.parametrize("typed", ["-5", "2.5", "ten"])
def test_days_that_are_not_whole_numbers_are_shown_back_as_typed(
    practitioner, treatments_setup, typed
):
    second = Protocol.objects.get(name="PRP course").steps.get(order=2)
    form = plan_form(treatments_setup, "PRP course", **{f"min-{second.pk}": typed})
    response = practitioner.post(new_plan_url(treatments_setup), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter whole numbers of days." in page
    # What was typed, to correct, not the protocol's own number put back in its place.
    assert f'name="min-{second.pk}" value="{typed}"' in page
    assert not Plan.objects.exists()


def test_update_adds_a_newly_ticked_protocol_s_steps_without_proposing(
    practitioner, treatments_setup
):
    form = plan_form(treatments_setup, "PRP course", action="update")
    exosomes = Protocol.objects.get(name="Exosome course")
    form["protocols"].append(exosomes.pk)
    response = practitioner.post(new_plan_url(treatments_setup), form)
    assert response.status_code == 200
    page = response.content.decode()
    second = exosomes.steps.get(order=2)
    assert f'name="include-{second.pk}" id="include-{second.pk}" checked' in page
    assert f'name="min-{second.pk}" value="28"' in page
    assert "Enter whole numbers" not in page
    assert "Quote at Treatment clinic: £3,600.00" in page
    assert not Plan.objects.exists()


@pytest.mark.parametrize("action", ["update", "propose"])
def test_a_start_years_ahead_is_refused_in_the_form_not_with_a_server_error(
    practitioner, treatments_setup, action
):
    """The date box takes any year: 9999 once overflowed the windows worked out from it."""
    steps = Protocol.objects.get(name="PRP course").steps.all()
    form = plan_form(treatments_setup, "PRP course", action=action, starts_on="9999-12-01")
    form.update({f"max-{step.pk}": "730" for step in steps})
    response = practitioner.post(new_plan_url(treatments_setup), form)
    assert response.status_code == 400
    assert "Choose a start within a year from today." in response.content.decode()
    assert 'value="9999-12-01"' in response.content.decode()
    assert not Plan.objects.exists()


def test_a_plan_already_open_is_named_before_another_is_proposed(practitioner, treatments_setup):
    open_plan = proposed_plan(treatments_setup["consultation"])
    page = practitioner.get(new_plan_url(treatments_setup)).content.decode()
    assert "already has a plan open; a new one runs beside it" in page
    assert reverse("staff:plan", args=[open_plan.pk]) in page and "PRP course" in page
    assert ClinicalRead.objects.filter(what="treatment plan", object_id=str(open_plan.pk)).exists()


def test_a_consultation_not_completed_gets_no_plan_form(practitioner, treatments_setup):
    consultation = treatments_setup["consultation"]
    type(consultation).objects.filter(pk=consultation.pk).update(status="confirmed")
    page = practitioner.get(new_plan_url(treatments_setup)).content.decode()
    assert "once the consultation is marked completed" in page
    assert "Propose the plan" not in page


def test_a_draft_assessment_with_parts_to_fill_gets_no_plan_form(practitioner, treatments_setup):
    consultation = treatments_setup["consultation"]
    Assessment.objects.filter(booking=consultation).update(
        recommendations=[], patient_summary="", signed_off_at=None
    )
    page = practitioner.get(new_plan_url(treatments_setup)).content.decode()
    assert "The assessment is a draft with parts still to fill in" in page
    assert reverse("staff:assessment", args=[consultation.pk]) in page
    assert "Propose the plan" not in page
    # Nor is the plan offered from the assessment itself until it is complete.
    review = practitioner.get(reverse("staff:assessment", args=[consultation.pk]))
    assert new_plan_url(treatments_setup) not in review.content.decode()


def test_another_practitioner_cannot_open_the_plan(client, roles, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    other = treatments_setup["practitioners"][1].user
    other.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(client, other)
    assert client.get(reverse("staff:plan", args=[plan.pk])).status_code == 404
    assert client.get(new_plan_url(treatments_setup)).status_code == 404


def test_stopping_a_plan_needs_a_reason(practitioner, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    url = reverse("staff:plan_action", args=[plan.pk, "stop"])
    page = practitioner.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Give a reason" in page
    practitioner.post(url, {"reason": f"Moved {HOSTILE}"})
    plan.refresh_from_db()
    assert plan.status == "stopped" and plan.reason == f"Moved {HOSTILE}"
    page = practitioner.get(reverse("staff:plan", args=[plan.pk])).content.decode()
    assert HOSTILE not in page and "Moved &lt;img" in page


def overdue(plan):
    """Move a plan back in time so that its first step's window closed unbooked."""
    shift = timedelta(days=60)
    Plan.objects.filter(pk=plan.pk).update(starts_on=plan.starts_on - shift)
    for step in plan.steps.all():
        PlanStep.objects.filter(pk=step.pk).update(
            earliest=step.earliest - shift, latest=step.latest - shift
        )


def test_the_plans_page_groups_by_status_with_the_next_step_and_what_is_overdue(
    practitioner, treatments_setup
):
    plan = proposed_plan(treatments_setup["consultation"])
    overdue(plan)
    page = practitioner.get(reverse("staff:plans")).content.decode()
    assert "Proposed" in page and plan.patient.full_name in page
    assert "Next: PRP session 1" in page
    assert "Overdue" in page and "PRP session 1 (by" in page
    assert ClinicalRead.objects.filter(what="treatment plan").count() == 1


def test_a_stopped_plan_has_no_next_step_and_stopping_it_again_says_so_plainly(
    practitioner, treatments_setup
):
    from treatments.services import PlanError, plan_transition

    plan = plan_transition(
        plan=proposed_plan(treatments_setup["consultation"]), to="stopped", reason="Moved away."
    )
    page = practitioner.get(reverse("staff:plans")).content.decode()
    assert "Stopped" in page and plan.patient.full_name in page
    assert "Next: PRP session 1" not in page
    with pytest.raises(PlanError, match="This plan is stopped already"):
        plan_transition(plan=plan, to="stopped", reason="Again.")


def more_plans(setup, count):
    for n in range(count):
        consultation = completed_consultation(
            setup["location"], setup["practitioners"][0], setup["type"], days_ago=3 + n
        )
        proposed_plan(consultation)


@pytest.mark.parametrize("extra", [0, 3])
def test_the_plans_page_costs_the_same_queries_however_many_plans(
    practitioner, treatments_setup, django_assert_num_queries, extra
):
    proposed_plan(treatments_setup["consultation"])
    more_plans(treatments_setup, extra)
    practitioner.get(reverse("staff:plans"))
    # (No session save: the idle stamp is rewritten at most once a minute.)
    with django_assert_num_queries(7):
        assert practitioner.get(reverse("staff:plans")).status_code == 200


@pytest.mark.parametrize("protocols", [("PRP course",), ("PRP course", "Exosome course")])
def test_the_plan_and_new_plan_pages_cost_fixed_queries(
    practitioner, treatments_setup, django_assert_num_queries, protocols
):
    plan = proposed_plan(treatments_setup["consultation"], *protocols)
    practitioner.get(reverse("staff:plans"))
    with django_assert_num_queries(8):
        assert practitioner.get(reverse("staff:plan", args=[plan.pk])).status_code == 200
    # With the plan already open: its protocols are read and the read audited (3 more); the
    # intake's screening flags, one more (none here, so no audit row).
    with django_assert_num_queries(15):
        assert practitioner.get(new_plan_url(treatments_setup)).status_code == 200


@pytest.mark.parametrize("action", ["update", "propose"])
@pytest.mark.parametrize("days", ["3000000", "99999999999"])
def test_a_spacing_of_millions_of_days_is_refused_in_the_form_not_with_a_server_error(
    practitioner, treatments_setup, action, days
):
    review = Protocol.objects.get(name="PRP course").steps.order_by("order").last()
    form = plan_form(treatments_setup, "PRP course", action=action, **{f"max-{review.pk}": days})
    response = practitioner.post(new_plan_url(treatments_setup), form)
    # "Update" shows the steps and the quote again; "propose" is refused.
    assert response.status_code == (200 if action == "update" else 400)
    page = response.content.decode()
    assert "At most 730 days." in page and f'value="{days}"' in page
    assert not Plan.objects.exists()


def test_the_plan_page_says_what_stopping_does_and_what_it_did(practitioner, treatments_setup):
    plan = booked_course(treatments_setup["consultation"])
    page = reverse("staff:plan", args=[plan.pk])
    assert "Stopping cancels the plan" in practitioner.get(page).content.decode()
    count = plan.steps.filter(booking__status="confirmed").count()
    stop = reverse("staff:plan_action", args=[plan.pk, "stop"])
    response = practitioner.post(stop, {"reason": "Moving abroad."}, follow=True)
    assert f"Its {count} visits still to come were cancelled" in response.content.decode()


def test_the_same_plan_proposed_from_a_second_tab_is_refused_then_allowed_knowingly(
    practitioner, treatments_setup
):
    url = new_plan_url(treatments_setup)
    first_tab = practitioner.get(url).content.decode()
    second_tab = practitioner.get(url).content.decode()
    seen = re.search(r'name="newest_plan" value="(\d+)"', second_tab).group(1)
    assert re.search(r'name="newest_plan" value="(\d+)"', first_tab).group(1) == seen == "0"
    form = plan_form(treatments_setup, "PRP course", note="Three sessions", newest_plan=seen)
    assert practitioner.post(url, form).status_code == 302
    refused = practitioner.post(url, form)
    page = refused.content.decode()
    assert refused.status_code == 409 and "while this page was open" in page
    assert "Three sessions" in page and Plan.objects.count() == 1
    # The page now shows the new plan; proposing again is a choice made knowing it.
    newest = re.search(r'name="newest_plan" value="(\d+)"', page).group(1)
    assert newest == str(Plan.objects.get().pk)
    assert practitioner.post(url, {**form, "newest_plan": newest}).status_code == 302
    assert Plan.objects.count() == 2


def test_the_new_plan_page_shows_the_screening_flags_and_records_their_read(
    practitioner, treatments_setup, screening_rules
):
    """A blood thinner raises a caution for PRP: it was on the review page only, not beside
    the PRP course being planned."""
    consultation = treatments_setup["consultation"]
    give_answers(consultation, screen_anticoagulants="yes")
    page = practitioner.get(new_plan_url(treatments_setup)).content.decode()
    flags = page.split('id="flags-heading"')[1].split("</section>")[0]
    assert "Caution" in flags and "PRP" in flags
    assert ClinicalRead.objects.filter(
        what="screening flags", patient_id=consultation.patient_id
    ).exists()
