"""The staff workspace in Chromium at phone and desktop width, role by role: reception's
morning, a practitioner's landing, a clinic admin's chart. Every page visited is checked with
axe, and for sideways scrolling."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from clinic import roles as role_names
from tests.factories import (
    BookingFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    bookable_clinic,
    booking_with_intake,
    give_answers,
    staff_user,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("winter_noon"),
]


def today_at(location, practitioner, consultation_type, hour, name, **fields):
    start = datetime.combine(
        timezone.now().astimezone(location.zone).date(), time(hour), tzinfo=location.zone
    )
    first, last = name.split()
    return BookingFactory(
        patient=PatientFactory(first_name=first, last_name=last),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        **fields,
    )


def looked_at(page, look, step):
    """Axe and a screenshot, and no sideways scroll at this width."""
    look(page, step)
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{step}: {scroll_width} px wide at {width}"


def go_by_menu(page, name):
    """Follow a link of the staff navigation, opening the menu first on a phone."""
    toggler = page.get_by_role("button", name="Show the staff menu")
    if toggler.is_visible():
        toggler.click()
    # Exact: the signed-in person's name is a link in the same bar ("Frank Weeks" holds "Week").
    page.get_by_role("navigation", name="Staff").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize("width", [375, 1280])
def test_receptions_morning_arrivals_and_check_in(
    browser, live_server, look, staff_sign_in, roles, width
):
    location, (practitioner,), consultation_type = bookable_clinic()
    LocationFactory(name="Marylebone", time_zone="Europe/London")
    ada = today_at(location, practitioner, consultation_type, 14, "Ada Moss")
    today_at(
        location, practitioner, consultation_type, 9, "Hal Early", checked_in_at=timezone.now()
    )
    rosa = staff_user(UserFactory(username="rosa"), roles, role_names.RECEPTION, "code4321")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/")
    looked_at(page, look, "ws-reception-sign-in")
    staff_sign_in(page, rosa, "code4321")
    page.wait_for_url("**/staff/")
    looked_at(page, look, "ws-reception-arrivals")
    assert page.get_by_role("heading", name="Marylebone").is_visible()
    arriving = page.get_by_role("table", name="To arrive at Hampstead")
    # Check-in first: the row's first cell holds the button, before the time and the name.
    first_cell = arriving.locator("tbody tr").first.locator("td").first
    assert first_cell.get_by_role("button", name="Check in Ada Moss").is_visible()
    assert page.get_by_text("Book a consultation").count() == 0

    page.get_by_role("button", name="Check in Ada Moss").click()
    page.wait_for_url("**/staff/")
    assert page.get_by_text("Ada Moss: checked in.").is_visible()
    arrived = page.get_by_role("table", name="Arrived at Hampstead")
    assert arrived.get_by_role("link", name="Ada Moss", exact=True).is_visible()
    looked_at(page, look, "ws-reception-checked-in")
    ada.refresh_from_db()
    assert ada.checked_in_at is not None
    # A check-in made by mistake is undone from the same row, after a question.
    assert arrived.get_by_role("button", name="Undo check-in Ada Moss").is_visible()

    arrived.get_by_role("link", name="Ada Moss", exact=True).click()
    page.wait_for_url(f"**/staff/patients/{ada.patient_id}/")
    looked_at(page, look, "ws-reception-patient")
    for name, step in (("Week", "week"), ("Month", "month"), ("Patients", "patients")):
        go_by_menu(page, name)
        page.wait_for_load_state()
        looked_at(page, look, f"ws-reception-{step}")
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_practitioners_landing_shows_their_day_flags_and_queue(
    browser, live_server, look, staff_sign_in, roles, screening_rules, width
):
    location, (me, other), consultation_type = bookable_clinic(practitioners=2)
    staff_user(me.user, roles, role_names.PRACTITIONER, "code9876")
    mine = give_answers(
        today_at(location, me, consultation_type, 15, "Fenna Flagged"), screen_anticoagulants="yes"
    )
    today_at(location, other, consultation_type, 15, "Olga Other")
    booking_with_intake(location, consultation_type, me, 2, screen_bleeding_disorder="yes")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/")
    staff_sign_in(page, me.user, "code9876")
    page.wait_for_url("**/staff/")
    looked_at(page, look, "ws-practitioner-landing")
    assert page.get_by_text("Your consultations").is_visible()
    assert page.get_by_text("Caution: PRP").is_visible()
    assert page.get_by_text("Olga Other").count() == 0
    assert page.get_by_role("link", name="2 intakes to review").is_visible()
    assert page.get_by_text("1 held for review").is_visible()

    page.get_by_role("link", name="Everyone's").click()
    page.wait_for_url("**/staff/?who=everyone**")
    assert page.get_by_role("link", name="Olga Other", exact=True).is_visible()
    looked_at(page, look, "ws-practitioner-everyone")

    go_by_menu(page, "Reviews")
    page.wait_for_url("**/staff/reviews/")
    looked_at(page, look, "ws-practitioner-reviews")
    go_by_menu(page, "Month")
    page.wait_for_url("**/staff/month/")
    looked_at(page, look, "ws-practitioner-month")
    day = mine.starts_at.astimezone(location.zone).date()
    page.get_by_role("link", name=f"{day:%A} {day.day} {day:%B}").click()
    page.wait_for_url(f"**/staff/?day={day.isoformat()}")
    assert page.get_by_role("link", name="Fenna Flagged", exact=True).is_visible()
    go_by_menu(page, "Week")
    page.wait_for_url("**/staff/week/")
    looked_at(page, look, "ws-practitioner-week")
    context.close()


# Text in the chart must not be drawn smaller than this many CSS pixels.
SMALLEST_CHART_TEXT = 11


@pytest.mark.parametrize("width", [375, 1280])
def test_a_clinic_admin_lands_on_the_day_with_a_readable_chart(
    browser, live_server, look, staff_sign_in, roles, width
):
    location, (practitioner,), consultation_type = bookable_clinic()
    for hour in (9, 10, 11):
        today_at(location, practitioner, consultation_type, hour, f"Chart Patient{hour}")
    today_at(location, practitioner, consultation_type, 8, "Nash Noshow", status="no_show")
    earlier = timezone.now() - timedelta(weeks=3)
    BookingFactory(
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=earlier,
    )
    chief = staff_user(UserFactory(username="chief"), roles, role_names.CLINIC_ADMIN, "code2468")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/")
    staff_sign_in(page, chief, "code2468")
    page.wait_for_url("**/staff/")
    looked_at(page, look, "ws-admin-landing")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll("svg.weekly-chart")]
          .filter(svg => svg.getBoundingClientRect().width > 0)
          .flatMap(svg => [...svg.querySelectorAll("text")].map(text =>
            parseFloat(getComputedStyle(text).fontSize) * svg.getScreenCTM().a))"""
    )
    assert len(sizes) >= 12  # one drawing shown, a label per week
    assert min(sizes) >= SMALLEST_CHART_TEXT, sizes
    context.close()


def test_without_scripts_the_staff_menu_is_open_on_a_phone(browser, live_server, roles):
    """Every page works without JavaScript: the menu button needs it, so the links show."""
    from django.test import Client

    from tests.factories import sign_in_with_second_factor

    LocationFactory(name="Hampstead")
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    session = sign_in_with_second_factor(Client(), rosa).cookies["sessionid"].value
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 900}, java_script_enabled=False
    )
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto("/staff/month/")
    staff_menu = page.get_by_role("navigation", name="Staff")
    assert staff_menu.get_by_role("link", name="Week", exact=True).is_visible()
    assert not page.get_by_role("button", name="Show the staff menu").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto("/")
    assert page.get_by_role("link", name="Treatments", exact=True).is_visible()
    context.close()
