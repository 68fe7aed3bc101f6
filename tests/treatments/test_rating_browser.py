"""The rating page in headless Chromium, at a phone's width and a desk's: the eleven 0-10
buttons sit on one row, each large enough to tap, and the page does not scroll sideways."""

import pytest

from tests.factories import plan_session, proposed_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REVIEW_3_MONTHS = 4  # the PRP course's fourth step
SMALLEST_TAP = 32  # px, each way


@pytest.mark.parametrize("width", [375, 1280])
def test_the_rating_buttons_sit_on_one_row_large_enough_to_tap(
    browser, live_server, treatments_setup, width
):
    plan = proposed_plan(treatments_setup["consultation"])
    review = plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=-50)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"/my-booking/{review.token}/rating/")
    boxes = [label.bounding_box() for label in page.locator(".rating-scale label").all()]
    assert len(boxes) == 11
    assert len({round(box["y"]) for box in boxes}) == 1, "the buttons wrap onto a second row"
    assert min(box["width"] for box in boxes) >= SMALLEST_TAP
    assert min(box["height"] for box in boxes) >= SMALLEST_TAP
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
