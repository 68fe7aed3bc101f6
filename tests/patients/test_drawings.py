"""The project's own drawings of the hair-loss stages and the standard photo framings."""

import itertools
import re

import pytest
from django.template import Context, Template

from patients import choices
from patients.drawings import SKIN, VEIL, Drawing, drawing_for

# The head's outline in every drawing seen from above (templates/patients/_scalp_drawing.html).
HEAD = (50, 52, 34, 44)


def _inside(shape, x, y):
    a = shape.attrs
    if shape.kind == "ellipse":
        return ((x - a["cx"]) / a["rx"]) ** 2 + ((y - a["cy"]) / a["ry"]) ** 2 <= 1
    return a["x"] <= x <= a["x"] + a["width"] and a["y"] <= y <= a["y"] + a["height"]


def bare_share(drawing: Drawing) -> float:
    """How much of the head shows scalp, sampled on a grid: a veil counts by its opacity."""
    cx, cy, rx, ry = HEAD
    total = bare = 0.0
    for x in range(101):
        for y in range(101):
            if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1:
                continue
            total += 1
            bare += max(
                (
                    shape.opacity
                    for shape in drawing.shapes
                    if shape.paint in (SKIN, VEIL) and _inside(shape, x, y)
                ),
                default=0,
            )
    return bare / total


def render(code, size=72):
    return Template("{% load scalp_drawings %}{% scalp_drawing code size %}").render(
        Context({"code": code, "size": size})
    )


@pytest.mark.parametrize("scale, stages", choices.VISIT_STAGES)
def test_each_stage_of_each_scale_shows_more_bare_scalp_than_the_one_before(scale, stages):
    shares = [bare_share(drawing_for(code)) for code, _ in stages]
    assert all(drawing_for(code).head == "top" for code, _ in stages)
    assert all(later > earlier + 0.01 for earlier, later in itertools.pairwise(shares)), (
        scale,
        shares,
    )
    assert shares[0] < 0.12  # the first stage is a full head of hair


def test_every_stage_and_view_the_patient_or_practitioner_chooses_has_a_drawing():
    codes = [code for _, group in choices.VISIT_STAGES for code, _ in group]
    codes += [code for code, _ in choices.STAGES if code != "not_sure"]
    codes += [code for code, _ in choices.CLINIC_PHOTO_VIEWS]
    codes += [code for code, _ in choices.PHOTO_VIEWS if code != "other"]
    assert [code for code in codes if drawing_for(code) is None] == []
    # The intake's codes draw the same stage as the practitioner's.
    assert drawing_for("nh4") == drawing_for("nw4") and drawing_for("l2") == drawing_for("lu2")


def test_each_photo_view_frames_its_own_part_of_the_head():
    views = [drawing_for(code) for code, _ in choices.CLINIC_PHOTO_VIEWS]
    assert all(view.frame for view in views)
    assert len({(view.head, view.frame, view.mirrored) for view in views}) == len(views)


def test_a_drawing_is_decorative_and_its_clip_is_unique_on_the_page():
    html = render("nw3") + render("nw3")
    assert html.count('aria-hidden="true"') == 2 and html.count('focusable="false"') == 2
    clip_ids = re.findall(r'<clipPath id="([^"]+)"', html)
    assert len(clip_ids) == 2 and len(set(clip_ids)) == 2
    for clip_id in clip_ids:
        assert f"url(#{clip_id})" in html
    assert "<text" not in html  # the words are beside it, in the page, never inside


def test_a_code_without_a_drawing_renders_nothing():
    assert render("not_sure").strip() == ""
    assert render("<script>").strip() == ""


def test_a_photo_view_draws_its_framing_corners():
    html = render("crown", 64)
    assert 'class="sd-frame"' in html and 'width="64"' in html
