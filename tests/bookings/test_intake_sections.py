"""The questions after booking, reworked with the patient in mind: the pattern first and then
only its scale, each stage a drawing; "how it went" only for what was tried; photo guidance
with the framing of each view and the phone's camera; the sections with how far the patient
has got; and a review whose "Change" links land on their section."""

import re

import pytest
from django.urls import reverse

from bookings.services import booking_create
from patients import choices
from patients.forms import SECTIONS
from patients.models import HairLossIntake, IntakeInProgress
from tests.factories import (
    PatientFactory,
    bookable_clinic,
    choices_in,
    jpeg_upload,
    next_slot,
    valid_form,
)

pytestmark = pytest.mark.django_db


def book():
    location, _, consultation_type = bookable_clinic()
    return booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=5),
        notify=False,
    )


def questions(booking):
    return reverse("bookings:intake", args=[booking.token])


def test_the_pattern_is_asked_before_the_stage_and_each_stage_is_a_drawing_of_its_scale(client):
    booking = book()
    html = client.get(questions(booking)).content.decode()
    assert html.index('name="hair_pattern"') < html.index('name="stage"')
    patterns = choices_in(html, "hair_pattern")
    assert [p["value"] for p in patterns] == [code for code, _ in choices.HAIR_PATTERNS]
    stages = choices_in(html, "stage")
    assert [s["value"] for s in stages] == [code for code, _ in choices.STAGES]
    by_scale = {
        scale: [s["value"] for s in stages if f"stage-scale-{scale}" in s["within"]]
        for scale in ("nh", "l")
    }
    assert by_scale == {"nh": [f"nh{n}" for n in range(1, 8)], "l": ["l1", "l2", "l3"]}
    labels = dict(choices.STAGES)
    for stage in stages:
        assert stage["label"] == labels[stage["value"]]  # the words, beside the drawing
        assert stage["drawn"] == (stage["value"] != "not_sure")
    # "Not sure" is outside both scales, so it stays whichever pattern is chosen.
    assert not {"stage-scale-nh", "stage-scale-l"} & stages[-1]["within"]


@pytest.mark.parametrize(
    ("pattern", "stage"),
    [("receding", "nh4"), ("parting", "l1"), ("parting", "not_sure"), ("not_sure", "l3")],
)
def test_a_stage_of_the_pattern_chosen_is_accepted(client, pattern, stage):
    booking = book()
    response = client.post(questions(booking), valid_form(hair_pattern=pattern, stage=stage))
    assert response.status_code == 302
    assert HairLossIntake.objects.get(booking=booking).stage == stage


def test_a_stage_of_the_other_pattern_is_refused_with_everything_typed_kept(client):
    booking = book()
    response = client.post(
        questions(booking), valid_form(hair_pattern="receding", stage="l2", goals="Thicker hair")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“Ludwig II”, is of the other pattern" in html and "Thicker hair" in html
    assert not HairLossIntake.objects.exists()
    kept = IntakeInProgress.objects.get(booking=booking).answers
    assert kept["hair_pattern"] == ["receding"] and kept["stage"] == ["l2"]
    # The page comes back as typed, and the error summary leads to the section to fix.
    assert {c["value"] for c in choices_in(html, "stage") if c["checked"]} == {"l2"}
    assert re.search(r'<a href="#how-it-looks">How your hair looks</a>: 1 answer', html)


def test_a_saved_stage_brings_back_its_pattern(client):
    booking = book()
    client.post(questions(booking), valid_form(stage="l3"))
    html = client.get(questions(booking)).content.decode()
    assert [c["value"] for c in choices_in(html, "hair_pattern") if c["checked"]] == ["parting"]
    assert [c["value"] for c in choices_in(html, "stage") if c["checked"]] == ["l3"]


def test_how_it_went_is_kept_only_for_a_treatment_tried(client):
    booking = book()
    html = client.get(questions(booking)).content.decode()
    rows = html.split('treatment-row">')[1:]
    assert len(rows) == len(choices.PREVIOUS_TREATMENTS)
    for (key, _), row in zip(choices.PREVIOUS_TREATMENTS, rows, strict=True):
        # The page's CSS hides "how it went" in a row whose "how long" says "Never tried".
        tried = re.search(rf'<select name="tried_{key}"[^>]*class="([^"]*)"', row)
        assert tried and "treatment-tried" in tried.group(1).split()
        outcome = row.index(f'name="outcome_{key}"')
        assert row.rindex('<div class="col-6 col-md-4 treatment-outcome">', 0, outcome) > 0

    answers = valid_form(
        tried_minoxidil=None,  # never tried, but a "how it went" left behind in its hidden box
        outcome_minoxidil="helped",
        tried_prp="lt3m",
        outcome_prp="too_early",
    )
    response = client.post(questions(booking), answers)
    assert response.status_code == 302
    intake = HairLossIntake.objects.get(booking=booking)
    assert intake.previous_treatments == {"prp": {"duration": "lt3m", "outcome": "too_early"}}


def test_each_photo_view_has_its_framing_and_opens_the_camera(client):
    booking = book()
    html = client.get(questions(booking)).content.decode()
    for key, label in choices.PHOTO_VIEWS:
        field = re.search(rf'<input type="file" name="photo_{key}"[^>]*>', html).group()
        camera = "user" if key == "hairline" else "environment"
        assert f'capture="{camera}"' in field and 'accept="image/jpeg,image/png"' in field
        block = html[html.rindex('class="photo-view"', 0, html.index(field)) : html.index(field)]
        assert label in block and choices.PHOTO_GUIDANCE[key] in block
        assert ('class="scalp-drawing"' in block) == (key != "other")


def test_the_sections_show_how_far_the_patient_has_got(client):
    booking = book()
    page = client.get(questions(booking)).content.decode()
    assert "0 of 7 sections answered" in page
    client.post(
        questions(booking),
        {
            "save_for_later": "1",
            "main_concern": "receding",
            "areas": ["hairline"],
            "onset": "1to3y",
            "progression": "slow",
            "stage": "nh2",
            "photo_top": jpeg_upload("top.jpg"),
        },
    )
    page = client.get(questions(booking)).content.decode()
    assert "3 of 7 sections answered" in page
    done = re.findall(r'<li class="is-done"><a href="#([\w-]+)">', page)
    assert done == ["how-it-looks", "your-hair-loss", "photos"]
    for anchor, _, _ in SECTIONS:
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page


def test_a_refused_photo_is_named_with_the_answers_to_check_and_not_counted_done(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    booking = book()
    client.post(questions(booking), {"save_for_later": "1", "photo_top": jpeg_upload("top.jpg")})
    fake = SimpleUploadedFile("fake.jpg", b"not a picture at all", content_type="image/jpeg")
    page = client.post(
        questions(booking), {"main_concern": "receding", "photo_crown": fake}
    ).content.decode()
    summary = page.split("Please check:")[1].split("</ul>")[0]
    assert '<a href="#photos">Photos</a>: 1 answer' in summary
    done = re.findall(r'<li class="is-done"><a href="#([\w-]+)">', page)
    assert "photos" not in done
    assert f"{len(done)} of 7 sections answered" in page


def test_the_review_of_sent_answers_links_each_section_to_its_place_in_the_questions(client):
    booking = book()
    client.post(questions(booking), valid_form(goals="Keep <b>what</b> I have"))
    review = client.get(reverse("bookings:manage", args=[booking.token])).content.decode()
    assert "Keep &lt;b&gt;what&lt;/b&gt; I have" in review
    changes = re.findall(rf'href="{re.escape(questions(booking))}#([\w-]+)"', review)
    assert changes == [anchor for anchor, _, _ in SECTIONS] + ["photos"]
    page = client.get(questions(booking)).content.decode()
    for anchor in changes:
        assert re.search(rf'<fieldset class="form-section" id="{anchor}"', page), anchor
    # Each link names its section for a screen reader, not just "Change".
    assert 'Change<span class="visually-hidden"> your health</span>' in review


def test_the_questions_and_the_review_cost_the_same_queries_as_before(
    client, django_assert_num_queries
):
    booking = book()
    client.post(questions(booking), valid_form())
    client.get(questions(booking))  # the rate limiter's first count
    # Questions: the session, the booking, the answers in progress, the answers, the photos.
    # Review: the session, the booking, the answers, the summary, the photos, then whether the
    # progress page has anything to show and whether the visit is a review the patient may
    # rate. The drawings, the sections and the review are drawn from what is loaded anyway.
    with django_assert_num_queries(5):
        client.get(questions(booking))
    with django_assert_num_queries(7):
        client.get(reverse("bookings:manage", args=[booking.token]))
