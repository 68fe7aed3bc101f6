"""The practitioner's assessment and recommendation, the follow-up, and what the patient sees."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.models import Booking
from clinic import roles as role_names
from clinic.models import ClinicalRead
from patients.models import Assessment
from staff.forms import AssessmentForm
from tests.factories import (
    BookingFactory,
    ConsultationTypeFactory,
    UserFactory,
    bookable_clinic,
    booking_with_intake,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(client, roles, screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    sign_in_with_second_factor(client, practitioner.user)
    return booking


def assessment_form(**overrides):
    data = {
        "pattern": "male_pattern",
        "stage": "nh3",
        "likely_cause": "androgenetic",
        "recommendations": ["prp", "medication"],
        "rationale": "Early androgenetic loss; no contraindication to PRP.",
        "patient_summary": "Your hair loss is the common inherited kind. We suggest PRP, tablets.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_practitioner_records_a_recommendation_and_books_the_follow_up(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="12", action="sign_off"
    )
    page = client.post(url, form, follow=True)
    assert "Follow-up booked for" in page.content.decode()
    # The saved assessment reads back whole, its reasons included, without opening the form.
    saved = page.content.decode().split('class="card mb-3 saved-assessment"')[1]
    assert "Early androgenetic loss; no contraindication to PRP." in saved.split("<form")[0]
    assessment = Assessment.objects.get(booking=consultation)
    assert assessment.recommendations == ["prp", "medication"] and assessment.signed_off_at
    follow_up = Booking.objects.exclude(pk=consultation.pk).get()
    assert follow_up.patient == consultation.patient
    assert follow_up.practitioner == consultation.practitioner
    # The first free time from the day twelve weeks on: beyond the online booking horizon,
    # which holds patients, not staff.
    assert follow_up.starts_at.date() >= (consultation.starts_at + timedelta(weeks=12)).date()
    assert follow_up.starts_at - consultation.starts_at > timedelta(
        days=consultation.consultation_type.horizon_days
    )
    assert assessment.history.count() == 1


def test_the_patient_sees_the_summary_only_once_signed_off_and_the_visit_completed(
    client, consultation
):
    url = reverse("staff:assessment", args=[consultation.pk])
    client.post(url, assessment_form())
    manage = reverse("bookings:manage", args=[consultation.token])
    from django.test import Client

    patient = Client()
    assert "We suggest PRP" not in patient.get(manage).content.decode()
    signed = client.post(url, assessment_form(action="sign_off"), follow=True).content.decode()
    # Signed off ahead of the visit, which the patient can still move or cancel: not yet, as
    # the practitioner is told.
    assert "can read the summary through their link once the consultation is marked" in signed
    assert "We suggest PRP" not in patient.get(manage).content.decode()
    Booking.objects.filter(pk=consultation.pk).update(status=Booking.Status.COMPLETED)
    assert "We suggest PRP" in patient.get(manage).content.decode()
    review = client.get(reverse("staff:review", args=[consultation.pk])).content.decode()
    assert "the patient can read the summary." in review
    assert Assessment.objects.get().history.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recommendations": ["no_treatment", "prp"]}, "cannot be chosen with other options"),
        ({"likely_cause": "scarring"}, "needs a specialist referral"),
        ({"follow_up_weeks": "6"}, "Choose both the follow-up"),
        ({"rationale": None, "action": "sign_off"}, "Needed to sign off"),
    ],
)
def test_bad_assessments_are_refused_and_the_typing_kept(client, consultation, overrides, message):
    form = assessment_form(**overrides)
    response = client.post(reverse("staff:assessment", args=[consultation.pk]), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "common inherited kind" in html
    assert not Assessment.objects.exists()


def test_a_follow_up_that_cannot_be_booked_saves_nothing(client, consultation):
    # The practitioner stops working at this location: no time for the follow-up.
    consultation.practitioner.working_hours.all().delete()
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="4", action="sign_off"
    )
    response = client.post(reverse("staff:assessment", args=[consultation.pk]), form)
    assert response.status_code == 400
    assert "No free time for that follow-up" in response.content.decode()
    assert not Assessment.objects.exists()
    assert Booking.objects.count() == 1


def test_saving_again_with_the_follow_up_chosen_books_no_second_visit(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="6", action="sign_off"
    )
    assert client.post(url, form).status_code == 302
    follow_up = Booking.objects.exclude(pk=consultation.pk).get()

    edited = {**form, "rationale": "Second look: still androgenetic."}
    response = client.post(url, edited)

    assert response.status_code == 400
    page = response.content.decode()
    assert "already has a consultation booked after this one" in page
    assert "Choose “No follow-up now” to save the assessment" in page
    assert "Second look: still androgenetic." in page  # the typing is kept
    assert list(Booking.objects.exclude(pk=consultation.pk)) == [follow_up]
    # Nothing of the refused save was written: the assessment is as first saved.
    assert Assessment.objects.get().rationale == form["rationale"]
    # Without the follow-up, the edit is saved.
    del edited["follow_up_type"], edited["follow_up_weeks"]
    assert client.post(url, edited).status_code == 302
    assert Assessment.objects.get().rationale == "Second look: still androgenetic."
    assert Booking.objects.count() == 2


def test_opening_a_saved_assessment_is_a_recorded_read(client, consultation):
    client.post(reverse("staff:assessment", args=[consultation.pk]), assessment_form())
    client.get(reverse("staff:assessment", args=[consultation.pk]))
    assert ClinicalRead.objects.filter(what="assessment").count() == 1


def test_reception_cannot_record_or_read_an_assessment(client, consultation, roles):
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, rosa)
    url = reverse("staff:assessment", args=[consultation.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, assessment_form()).status_code == 403
    assert not Assessment.objects.exists()


def test_a_reviewed_consultation_leaves_the_queue(client, consultation):
    assert (
        consultation.patient.full_name in client.get(reverse("staff:review_queue")).content.decode()
    )
    client.post(reverse("staff:assessment", args=[consultation.pk]), assessment_form())
    assert (
        consultation.patient.full_name
        not in client.get(reverse("staff:review_queue")).content.decode()
    )


@pytest.fixture
def cautioned(client, roles, screening_rules):
    """A consultation whose patient takes blood thinners: "Caution: PRP" and "Caution: Hair
    transplant" flags; the practitioner signed in."""
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(
        location, consultation_type, practitioner, 2, screen_anticoagulants="yes"
    )
    sign_in_with_second_factor(client, practitioner.user)
    return booking


def test_prp_against_a_caution_flag_is_refused_until_acknowledged(client, cautioned):
    url = reverse("staff:assessment", args=[cautioned.pk])
    response = client.post(url, assessment_form())

    assert response.status_code == 400
    html = response.content.decode()
    assert "A screening flag speaks against an option you recommend" in html
    assert "caution for PRP (bruising, weaker effect)" in html
    assert "common inherited kind" in html  # the typing is kept
    assert not Assessment.objects.exists()

    assert client.post(url, assessment_form(acknowledge_flags="on")).status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.acknowledged_flags == [
        {
            "treatment": "prp",
            "severity": "caution",
            "reason": "Takes anticoagulant or antiplatelet medicines: caution for PRP "
            "(bruising, weaker effect).",
        }
    ]
    # In the change history too, as every change of an assessment is.
    assert assessment.history.get().acknowledged_flags == assessment.acknowledged_flags


def test_options_no_flag_speaks_against_need_no_acknowledgement(client, cautioned):
    url = reverse("staff:assessment", args=[cautioned.pk])
    form = assessment_form(recommendations=["medication", "blood_tests"])
    assert client.post(url, form).status_code == 302
    assert Assessment.objects.get().acknowledged_flags == []


def test_a_contraindication_against_injections_holds_exosomes_too(client, roles, screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(
        location, consultation_type, practitioner, 2, screen_bleeding_disorder="yes"
    )
    sign_in_with_second_factor(client, practitioner.user)
    url = reverse("staff:assessment", args=[booking.pk])
    response = client.post(url, assessment_form(recommendations=["exosomes"]))
    assert response.status_code == 400
    assert "check clotting before any injected treatment" in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_service_refuses_an_unacknowledged_flag_whatever_the_form_said(cautioned):
    from django.utils import timezone

    from patients.services import AssessmentError, recommendation_record

    values = {k: v for k, v in assessment_form().items() if k in AssessmentForm.MODEL_FIELDS}
    with pytest.raises(AssessmentError, match="caution for PRP"):
        recommendation_record(
            booking=cautioned,
            author=cautioned.practitioner.user,
            values=values,
            sign_off=True,
            now=timezone.now(),
        )
    assert not Assessment.objects.exists()


def test_save_draft_keeps_it_from_the_patient_and_sign_off_shares_it(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    page = client.post(url, assessment_form(action="draft"), follow=True)
    assert "Draft saved: the patient cannot read it" in page.content.decode()
    assert Assessment.objects.get().signed_off_at is None
    # A form sent without either button is a draft, never shared by accident.
    client.post(url, assessment_form())
    assert Assessment.objects.get().signed_off_at is None

    page = client.post(url, assessment_form(action="sign_off"), follow=True)
    assert "Assessment signed off" in page.content.decode()
    assert Assessment.objects.get().signed_off_at is not None


def test_a_draft_may_leave_parts_for_later_and_sign_off_asks_for_each(client, consultation):
    """Notes started before the consultation are saved as far as they go; the patient reads
    nothing, and sign-off names every part still empty, keeping what was typed."""
    url = reverse("staff:assessment", args=[consultation.pk])
    partial = {"pattern": "male_pattern", "rationale": "Recession at the temples; ask about PRP."}
    page = client.post(url, {**partial, "action": "draft"}, follow=True).content.decode()
    assert "Draft saved" in page
    saved = Assessment.objects.get()
    assert (saved.pattern, saved.stage, saved.recommendations) == ("male_pattern", "", [])
    assert saved.signed_off_at is None and saved.missing() == [
        "stage",
        "likely_cause",
        "recommendations",
        "patient_summary",
    ]
    # The saved draft says what is still to choose, rather than showing gaps.
    card = page.split('class="card mb-3 saved-assessment"')[1].split("<form")[0]
    assert "Male pattern (Norwood–Hamilton)" in card and "Not chosen yet" in card
    assert "Not written yet" in card

    response = client.post(url, {**partial, "action": "sign_off"})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"stage", "likely_cause", "recommendations", "patient_summary"}
    assert "Needed to sign off" in response.content.decode()
    assert "Recession at the temples; ask about PRP." in response.content.decode()
    assert Assessment.objects.get().signed_off_at is None

    page = client.post(url, assessment_form(action="sign_off"), follow=True).content.decode()
    assert "Assessment signed off" in page
    assert Assessment.objects.get().is_complete


def test_a_signed_off_assessment_saved_with_a_part_emptied_says_it_keeps_every_part(
    client, consultation
):
    url = reverse("staff:assessment", args=[consultation.pk])
    client.post(url, assessment_form(action="sign_off"))
    # Its one button, "Save changes", keeps it signed off.
    response = client.post(url, assessment_form(action="sign_off", rationale=None))
    assert response.status_code == 400
    html = response.content.decode()
    assert "A signed-off assessment keeps every part" in html
    assert "a draft may leave it for later" not in html
    assert Assessment.objects.get().rationale


def test_the_lists_start_unchosen_so_nothing_is_signed_off_by_default(client, consultation):
    consultation.intake.stage = "not_sure"
    consultation.intake.save()
    html = client.get(reverse("staff:review", args=[consultation.pk])).content.decode()
    for name in ("pattern", "likely_cause"):
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group()
        assert re.search(r'<option value="" selected>Choose…</option>', select), name


def test_a_signed_off_assessment_stays_whole(consultation):
    """Behind the form: the service refuses to sign off, or keep signed off, an assessment with
    a part missing, and the database refuses it too."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from patients.services import AssessmentError, recommendation_record

    def record(sign_off, **overrides):
        values = {
            k: v
            for k, v in assessment_form(**overrides).items()
            if k not in ("follow_up_type", "follow_up_weeks")
        }
        values.setdefault("rationale", "")
        return recommendation_record(
            booking=consultation,
            author=consultation.practitioner.user,
            values=values,
            sign_off=sign_off,
            now=timezone.now(),
        )

    with pytest.raises(AssessmentError, match="missing: rationale"):
        record(True, rationale=None)
    assert not Assessment.objects.exists()
    assessment = record(True)
    # Saved again as a draft with a part emptied: still signed off, so refused.
    with pytest.raises(AssessmentError, match="missing: rationale"):
        record(False, rationale=None)
    assessment.refresh_from_db()
    assert assessment.rationale and assessment.signed_off_at
    with transaction.atomic(), pytest.raises(IntegrityError):
        Assessment.objects.filter(pk=assessment.pk).update(recommendations=[])


def test_the_review_page_holds_the_form_beside_the_evidence_with_two_actions(client, consultation):
    html = client.get(reverse("staff:review", args=[consultation.pk])).content.decode()
    assert 'name="action" value="draft"' in html and ">Save draft<" in html
    assert 'name="action" value="sign_off"' in html
    assert ">Sign off and share with the patient<" in html
    assert "Screening flags" in html and "Crown (from above and behind), this visit" in html


@pytest.mark.parametrize(
    ("answer", "pattern"), [("nh4", "male_pattern"), ("l2", "female_pattern"), ("not_sure", None)]
)
def test_pattern_and_stage_start_from_the_patients_answer(client, roles, answer, pattern):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2, stage=answer)
    sign_in_with_second_factor(client, practitioner.user)
    form = client.get(reverse("staff:review", args=[booking.pk])).context["form"]
    assert form["stage"].value() == answer
    assert form["pattern"].value() == pattern


def test_after_saving_the_page_shows_the_recommendation_summary_and_follow_up(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="6", action="sign_off"
    )
    response = client.post(url, form)
    assert response["Location"] == reverse("staff:review", args=[consultation.pk]) + "#assessment"
    follow_up = Booking.objects.exclude(pk=consultation.pk).get()
    assert Assessment.objects.get().follow_up == follow_up

    html = client.get(response["Location"]).content.decode()
    from clinic.times import format_local

    when = format_local(follow_up.starts_at, follow_up.location.zone, "l j F Y, H:i")
    saved = html[html.index("saved-assessment") :]
    assert "PRP, Medication" in saved
    assert "We suggest PRP, tablets." in saved
    assert f"{when} with {consultation.practitioner.display_name} at " in saved
    assert consultation.location.name in saved
    assert str(follow_up.starts_at.year) in when
    # The form, to edit the assessment, names the follow-up booked rather than offer another.
    form_html = html[html.index("assessment-form") :]
    assert f"Follow-up booked:</strong> {follow_up.consultation_type.name}, {when}" in form_html
    assert 'name="follow_up_type"' not in form_html


def test_the_review_page_costs_the_same_queries_with_more_flags_and_a_follow_up(
    client, roles, screening_rules, django_assert_num_queries
):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    plain = booking_with_intake(location, consultation_type, practitioner, 2)
    flagged = booking_with_intake(
        location,
        consultation_type,
        practitioner,
        3,
        screen_anticoagulants="yes",
        screen_bleeding_disorder="yes",
        screen_scalp_condition="yes",
    )
    sign_in_with_second_factor(client, practitioner.user)
    form = assessment_form(
        recommendations=["prp"],
        acknowledge_flags="on",
        follow_up_type=consultation_type.pk,
        follow_up_weeks="8",
        action="sign_off",
    )
    for booking in (plain, flagged):
        assert client.post(reverse("staff:assessment", args=[booking.pk]), form).status_code == 302
    assert flagged.intake.flags.count() > plain.intake.flags.count() == 0
    # The first page shows (and so removes from the session) the messages of the two saves.
    client.get(reverse("staff:review", args=[plain.pk]))
    for booking in (plain, flagged):
        with django_assert_num_queries(QUERIES_REVIEW_PAGE):
            assert client.get(reverse("staff:review", args=[booking.pk])).status_code == 200


# Session, the user with their permissions, roles and second factor (one query, clinic/access.py);
# the booking with its intake, the assessment with its follow-up, the reads recorded (intake,
# assessment), flags, photos; the earlier visits (assessments, visits, photos). The form names
# the follow-up booked, so it reads no follow-up choices. The session is not saved: its idle
# stamp is rewritten at most once a minute.
QUERIES_REVIEW_PAGE = 11


def seen_on(page) -> str:
    """The hidden value a page sends back: the record's last save as the page shows it."""
    import re

    return re.search(r'name="seen" value="([^"]*)"', page.content.decode()).group(1)


def test_a_second_tab_s_save_does_not_silently_undo_the_first(client, consultation):
    """Two tabs open on the assessment: the later save, made from a page that no longer shows
    what is saved, is refused with its typing kept; saved again from there, it replaces it."""
    review = reverse("staff:review", args=[consultation.pk])
    url = reverse("staff:assessment", args=[consultation.pk])
    tab_a = seen_on(client.get(review))
    tab_b = seen_on(client.get(review))
    assert tab_a == tab_b == ""
    first = client.post(url, {**assessment_form(rationale="Tab B's reasons."), "seen": tab_b})
    assert first.status_code == 302
    stale = client.post(url, {**assessment_form(rationale="Tab A's reasons."), "seen": tab_a})
    assert stale.status_code == 400
    page = stale.content.decode()
    assert "saved by someone else, or in another tab" in page and "Tab A&#x27;s reasons." in page
    assert Assessment.objects.get().rationale == "Tab B's reasons."
    again = client.post(
        url, {**assessment_form(rationale="Tab A's reasons."), "seen": seen_on(stale)}
    )
    assert again.status_code == 302
    assert Assessment.objects.get().rationale == "Tab A's reasons."


@pytest.mark.parametrize(
    ("pattern", "stage", "message"),
    [
        ("male_pattern", "l3", "A male pattern is staged on the Norwood–Hamilton scale."),
        ("female_pattern", "nh4", "A female pattern is staged on the Ludwig scale."),
    ],
)
def test_a_stage_of_the_other_scale_than_the_pattern_s_is_refused(
    client, consultation, pattern, stage, message
):
    url = reverse("staff:assessment", args=[consultation.pk])
    response = client.post(url, assessment_form(pattern=pattern, stage=stage))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Assessment.objects.exists()
    # Diffuse thinning has no scale of its own: any stage, or "Not sure", is taken.
    assert client.post(url, assessment_form(pattern="diffuse", stage="l2")).status_code == 302


def test_weeks_out_of_range_say_so_once(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(follow_up_type=consultation.consultation_type.pk, follow_up_weeks="-3")
    page = client.post(url, form).content.decode()
    assert "Choose both the follow-up and when it should be." not in page
    assert not Assessment.objects.exists()


def test_a_stale_assessment_refused_for_another_reason_is_still_caught_next(client, consultation):
    review = reverse("staff:review", args=[consultation.pk])
    url = reverse("staff:assessment", args=[consultation.pk])
    tab_a = seen_on(client.get(review))
    assert client.post(url, {**assessment_form(rationale="B's."), "seen": tab_a}).status_code == 302
    wrong = client.post(url, {**assessment_form(stage="l3"), "seen": tab_a})  # A: stale, wrong
    assert wrong.status_code == 400 and seen_on(wrong) == tab_a
    again = client.post(url, {**assessment_form(rationale="A's."), "seen": seen_on(wrong)})
    assert again.status_code == 400
    assert Assessment.objects.get().rationale == "B's."


def test_a_treatment_session_booked_later_does_not_stop_the_follow_up(client, consultation):
    # A PRP session already booked a week after the consultation: a procedure, not a visit.
    session_at = consultation.starts_at + timedelta(days=7)
    BookingFactory(
        patient=consultation.patient,
        practitioner=consultation.practitioner,
        location=consultation.location,
        consultation_type=ConsultationTypeFactory(
            kind="procedure", intake_required=False, slug="a-procedure"
        ),
        starts_at=session_at,
        ends_at=session_at + timedelta(minutes=60),
    )
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="6", action="sign_off"
    )
    assert client.post(url, form).status_code == 302
    follow_up = Booking.objects.get(
        consultation_type=consultation.consultation_type, starts_at__gt=session_at
    )
    assert follow_up.patient == consultation.patient


def test_a_follow_up_is_a_consultation_not_a_treatment_session(client, consultation):
    procedure = ConsultationTypeFactory(
        kind="procedure", intake_required=False, slug="a-procedure", name="Scalp session"
    )
    url = reverse("staff:assessment", args=[consultation.pk])
    page = client.get(url).content.decode()
    select = re.search(r'<select[^>]*name="follow_up_type".*?</select>', page, re.S).group()
    assert consultation.consultation_type.name in select and "Scalp session" not in select
    response = client.post(url, assessment_form(follow_up_type=procedure.pk, follow_up_weeks="6"))
    assert response.status_code == 400
    assert Booking.objects.count() == 1 and not Assessment.objects.exists()


def test_a_draft_books_no_follow_up_and_keeps_the_typing(client, consultation):
    """Saving a draft e-mails the patient nothing: the follow-up waits for the sign-off."""
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="6", action="draft"
    )
    response = client.post(url, form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "A follow-up is booked when you sign off" in page
    assert "common inherited kind" in page and 'value="6"' in page
    assert not Assessment.objects.exists() and Booking.objects.count() == 1
    # The draft without it is saved, and nothing is booked.
    del form["follow_up_type"], form["follow_up_weeks"]
    assert client.post(url, form).status_code == 302
    assert not Assessment.objects.get().signed_off_at and Booking.objects.count() == 1
    # Signed off with the follow-up: booked then.
    signed = {**form, "follow_up_type": consultation.consultation_type.pk, "follow_up_weeks": "6"}
    page = client.post(url, {**signed, "action": "sign_off"}, follow=True).content.decode()
    assert "Follow-up booked for" in page and Booking.objects.count() == 2


def test_the_service_books_no_follow_up_for_a_draft_either(consultation):
    """Behind the form: whatever sends a draft with a follow-up, nothing is booked or saved."""
    from django.utils import timezone

    from bookings.follow_up import assessment_record
    from patients.services import AssessmentError

    values = {
        k: v for k, v in assessment_form().items() if k not in ("follow_up_type", "follow_up_weeks")
    }
    with pytest.raises(AssessmentError):
        assessment_record(
            booking=consultation,
            author=consultation.practitioner.user,
            values=values,
            sign_off=False,
            follow_up=(consultation.consultation_type, 6),
            now=timezone.now(),
        )
    assert not Assessment.objects.exists() and Booking.objects.count() == 1
