"""End to end in headless Chromium: a new visitor finds their way to booking."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_clinic(settings):
    settings.DEBUG = True  # the demo command refuses to run otherwise
    call_command("load_demo_data", stdout=io.StringIO())
    settings.DEBUG = False


def test_visitor_reads_treatments_and_reaches_booking(look, page, demo_clinic):
    page.goto("/")
    look(page, "home")
    assert page.locator("h1").inner_text().startswith("Losing hair?")
    # Bootstrap's stylesheet really loaded from our own static files.
    nav_colour = page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display")
    assert nav_colour == "flex"

    page.get_by_role("link", name="Treatments").first.click()
    page.wait_for_url("**/treatments/")
    look(page, "treatments")
    assert page.locator("#prp h2").inner_text() == "PRP (platelet-rich plasma)"
    assert page.locator("#stem-cell").get_by_text("bone-marrow-derived").count() == 1

    page.get_by_role("link", name="Book a consultation").last.click()
    page.wait_for_url("**/book/")
    assert page.locator("h1").inner_text() == "Book a consultation"
    assert page.get_by_role("heading", name="Initial hair-loss consultation").is_visible()

    page.get_by_role("link", name="Choose a time").first.click()
    # On a desktop, the week (the phone's month calendar is hidden).
    page.wait_for_selector(".slot-list:visible")
    assert page.locator(".slot-list:visible a.slot-button").count() > 10


def test_phone_visitor_uses_the_collapsed_menu(look, browser, live_server, demo_clinic):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    phone = context.new_page()
    phone.goto(live_server.url + "/")
    menu_link = phone.locator("#main-nav").get_by_role("link", name="Treatments")
    assert not menu_link.is_visible()
    phone.get_by_role("button", name="Show navigation").click()
    menu_link.wait_for(state="visible")
    menu_link.click()
    phone.wait_for_url("**/treatments/")
    look(phone, "treatments")
    # Nothing overflows the phone's width.
    overflow = phone.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 375
    context.close()
