"""The reworked questions in headless Chromium, on a 375-px phone and a desktop, checked by axe:
the pattern chosen shows only its scale, "how it went" appears once a treatment is tried, each
photo view opens the camera, and the review's "Change" links land on their section."""

import pytest

from patients.models import HairLossIntake
from tests.factories import upcoming_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page, step):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{step}: the page is {width} px wide"


@pytest.mark.parametrize(
    "viewport",
    [{"width": 375, "height": 812}, {"width": 1280, "height": 900}],
    ids=["phone", "desktop"],
)
def test_the_questions_follow_the_patients_answers_and_the_review_leads_back(
    look, browser, live_server, viewport, screening_rules
):
    booking = upcoming_booking()
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/my-booking/{booking.token}/questions/")
    look(page, "intake-1-questions")
    no_sideways_scroll(page, "questions")

    norwood = page.get_by_role("radiogroup", name="A receding hairline or crown")
    ludwig = page.get_by_role("radiogroup", name="A widening parting")
    not_sure = page.locator("input[name=stage][value=not_sure]")
    # Before a pattern is chosen, both scales are there to choose from.
    assert norwood.is_visible() and ludwig.is_visible()
    page.get_by_label("My parting is getting wider").check()
    assert ludwig.is_visible() and not norwood.is_visible() and not_sure.is_visible()
    page.get_by_label("My hairline is moving back").check()
    assert norwood.is_visible() and not ludwig.is_visible() and not_sure.is_visible()
    assert norwood.locator("svg.scalp-drawing").count() == 7
    # A picture of the pattern no longer chosen does not stay chosen out of sight.
    page.locator("input[name=stage][value=nh5]").check()
    page.get_by_label("My parting is getting wider").check()
    assert page.locator("input[name=stage]:checked").count() == 0
    page.get_by_label("My hairline is moving back").check()
    page.get_by_role("radio", name="Norwood–Hamilton III").check()
    look(page, "intake-2-pattern-chosen")

    # "How it went" only for what was tried.
    outcome = page.locator("select[name=outcome_minoxidil]")
    assert not outcome.is_visible()
    page.get_by_label("Minoxidil (Regaine or similar): how long").select_option("3to12m")
    assert outcome.is_visible()
    outcome.select_option("helped")
    assert not page.locator("select[name=outcome_finasteride]").is_visible()

    # Each photo view has its framing and opens the camera on a phone.
    for view in ("hairline", "top", "crown", "temples", "donor"):
        field = page.locator(f"input[name=photo_{view}]")
        assert field.get_attribute("capture") in ("user", "environment")
        assert page.locator(".photo-view", has=field).locator("svg.scalp-drawing").count() == 1

    page.get_by_role("radio", name="A receding hairline", exact=True).check()
    page.get_by_role("checkbox", name="Temples").check()
    page.get_by_label("1 to 3 years ago").check()
    page.get_by_label("Getting worse slowly").check()
    page.get_by_label("On my father's side").check()
    for answer in page.locator("input[name^=screen_][value=no]").all():
        answer.check()
    page.get_by_role("button", name="Send your answers").click()
    page.wait_for_selector(".alert-success")
    intake = HairLossIntake.objects.get(booking=booking)
    assert intake.stage == "nh3"
    assert intake.previous_treatments == {"minoxidil": {"duration": "3to12m", "outcome": "helped"}}
    look(page, "intake-3-review")
    no_sideways_scroll(page, "review")

    # "Change" on the review lands on that section, with the answers as sent.
    page.get_by_role("link", name="Change treatments you have tried").click()
    page.wait_for_url("**/questions/#treatments")
    assert page.locator("#treatments").is_visible()
    top = page.evaluate("document.getElementById('treatments').getBoundingClientRect().top")
    assert 0 <= top < viewport["height"] / 2, top
    assert page.locator("select[name=outcome_minoxidil]").input_value() == "helped"
    assert page.get_by_label("My hairline is moving back").is_checked()
    assert not ludwig.is_visible()
    assert "7 of 7 sections answered" not in page.content()  # no photos were sent
    look(page, "intake-4-changing")
    context.close()
    assert not errors, errors


def test_without_javascript_the_pattern_still_shows_only_its_scale(browser, live_server):
    booking = upcoming_booking()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"/my-booking/{booking.token}/questions/")
    page.get_by_label("My parting is getting wider").check()
    assert page.get_by_role("radiogroup", name="A widening parting").is_visible()
    assert not page.get_by_role("radiogroup", name="A receding hairline or crown").is_visible()
    assert not page.locator("select[name=outcome_prp]").is_visible()
    page.locator("select[name=tried_prp]").select_option("lt3m")
    assert page.locator("select[name=outcome_prp]").is_visible()
    no_sideways_scroll(page, "questions without scripts")
    context.close()


def test_a_box_with_a_limit_says_how_much_is_left(browser, live_server):
    booking = upcoming_booking()
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto(f"/my-booking/{booking.token}/questions/")
    box = page.get_by_label("Anything you would like to add")
    box.fill("x" * 100)
    assert page.locator(".char-count").first.inner_text() == "Up to 500 characters."
    box.fill("x" * 490)
    assert page.get_by_text("10 characters left.").is_visible()
    box.fill("x" * 500)
    assert page.get_by_text("That is as much as this box takes (500 characters).").is_visible()
    # A paste longer than the room left: the browser keeps its start, and the page says so.
    box.fill("")
    page.evaluate(
        """() => {
            const box = document.querySelector("textarea[name=main_concern_detail]");
            const pasted = new DataTransfer();
            pasted.setData("text/plain", "y".repeat(800));
            box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: pasted, bubbles: true}));
            box.value = "y".repeat(500);
            box.dispatchEvent(new Event("input", {bubbles: true}));
        }"""
    )
    assert page.get_by_text("the end of what you pasted was left out").is_visible()
    box.fill("short")
    assert page.locator(".char-count").first.inner_text() == "Up to 500 characters."
    context.close()
