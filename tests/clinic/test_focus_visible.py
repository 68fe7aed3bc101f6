"""Focus is clearly visible on every control, on patients' pages and staff pages alike.

The test tabs through each page as a keyboard user would and, for every control that takes
focus, photographs the control and its surroundings focused and then unfocused. The focus
indicator is what changed between the two: enough of it (at least the control's perimeter, in
pixels) must differ from what was there before by 3:1 or more (WCAG 1.4.11 and 2.4.7).
"""

import io

import pytest
from PIL import Image

from clinic import roles as role_names
from tests.factories import UserFactory, details_url, next_slot, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Controls checked per page: the first ones in tab order (navigation, the main actions, a form).
TABS_PER_PAGE = 14
MARGIN = 8  # CSS pixels photographed around the control, where an outline may be drawn

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // A control met again (a date field's parts, or the tab order come round) is not redone.
  if (el.dataset.focusChecked) return {again: true};
  el.dataset.focusChecked = "1";
  el.scrollIntoView({block: "center", inline: "nearest"});
  const r = el.getBoundingClientRect();
  const label = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "")
    .trim();
  return {x: r.x, y: r.y, width: r.width, height: r.height,
          what: el.tagName.toLowerCase() + " " + label.slice(0, 40),
          viewportWidth: window.innerWidth, viewportHeight: window.innerHeight};
}"""


def luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first, second):
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def indicator(focused_png, unfocused_png):
    """How many pixels changed by 3:1 or more, and the best ratio among the changed ones."""
    focused = Image.open(io.BytesIO(focused_png)).convert("RGB").tobytes()
    unfocused = Image.open(io.BytesIO(unfocused_png)).convert("RGB").tobytes()
    strong, best = 0, 1.0
    ratios = {}
    for n in range(0, len(focused), 3):
        after, before = focused[n : n + 3], unfocused[n : n + 3]
        if after == before:
            continue
        pair = (after, before)
        if pair not in ratios:
            ratios[pair] = contrast(after, before)
        ratio = ratios[pair]
        best = max(best, ratio)
        if ratio >= 3:
            strong += 1
    return strong, best


def check_focus_through(page, where):
    """Tab through ``where`` and return the controls whose focus is too faint to see."""
    faint, seen = [], 0
    page.keyboard.press("Tab")
    for _ in range(TABS_PER_PAGE):
        box = page.evaluate(FOCUSED)
        if box is None or box.get("again") or box["width"] == 0 or box["height"] == 0:
            page.keyboard.press("Tab")
            continue
        left = max(0, box["x"] - MARGIN)
        top = max(0, box["y"] - MARGIN)
        right = min(box["viewportWidth"], box["x"] + box["width"] + MARGIN)
        bottom = min(box["viewportHeight"], box["y"] + box["height"] + MARGIN)
        clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
        focused = page.screenshot(clip=clip, animations="disabled")
        # Blurred, the next Tab still starts from this control.
        page.evaluate("document.activeElement.blur()")
        unfocused = page.screenshot(clip=clip, animations="disabled")
        strong, best = indicator(focused, unfocused)
        # At least as many pixels as the control's visible perimeter: a 1-px ring all round.
        visible_w = min(box["width"], clip["width"])
        visible_h = min(box["height"], clip["height"])
        needed = int(2 * (visible_w + visible_h))
        if strong < needed:
            faint.append(f"{where}: {box['what']!r} {strong}/{needed} px at 3:1, best {best:.2f}:1")
        seen += 1
        page.keyboard.press("Tab")
    assert seen >= 5, f"{where}: only {seen} controls took focus"
    return faint


@pytest.mark.parametrize("width", [1280, 375])
def test_focus_is_clearly_visible_on_patient_pages(browser, live_server, width):
    from tests.factories import bookable_clinic

    location, _, consultation_type = bookable_clinic()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    faint = []
    for path in (
        "/",
        "/treatments/",
        "/book/",
        details_url(consultation_type, location, next_slot()),
    ):
        page.goto(path)
        faint += check_focus_through(page, path)
    context.close()
    assert not faint, "\n".join(faint)


@pytest.mark.parametrize("width", [1280, 375])
def test_focus_is_clearly_visible_on_staff_pages(browser, live_server, width, roles, staff_sign_in):
    from tests.factories import BookingFactory, bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    BookingFactory(
        practitioner=practitioner, consultation_type=consultation_type, location=location
    )
    chief = staff_user(UserFactory(username="chief"), roles, role_names.CLINIC_ADMIN, "code1357")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/sign-in/")
    faint = check_focus_through(page, "sign-in")
    staff_sign_in(page, chief, "code1357")
    page.wait_for_url("**/staff/")
    for path in ("/staff/", "/staff/week/", "/staff/month/", "/staff/patients/"):
        page.goto(path)
        faint += check_focus_through(page, path)
    context.close()
    assert not faint, "\n".join(faint)
