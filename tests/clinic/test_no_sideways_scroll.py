"""No page of the product scrolls sideways on a 375-px phone.

One test walks every patient and staff page it can reach in the demo clinic (the data
`load_demo_data` makes, so the text is as long as real text gets): the public pages, the booking
flow to its confirmation, the private link and its pages, a plan, progress, the waitlist, and
every staff page a clinic admin opens. Each must answer without an error and be no wider than
the viewport (``document.documentElement.scrollWidth <= innerWidth``). Every page is visited
before the test fails, so that one run names them all, with the elements that stick out.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bookings import drafts, selectors
from bookings.models import Booking, ConsultationType, WaitlistOffer, WaitlistOpening
from bookings.waitlist import waitlist_join
from clinic import roles as role_names
from patients.models import ClinicPhoto, HairLossIntake, IntakePhoto, Patient, VisitMeasures
from tests.factories import UserFactory, staff_session
from treatments.models import Plan, PlanStep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}

# The elements wider than the viewport, for the failure message: the deepest ones that stick
# out, so that the culprit is named rather than every container around it.
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= window.innerWidth) return null;
  // Boxes that reach past the edge, and boxes whose own text runs past theirs (a long e-mail).
  const wide = [...document.body.querySelectorAll("*")].filter((el) => {
    const box = el.getBoundingClientRect();
    const spills = el.scrollWidth > el.clientWidth + 1
      && getComputedStyle(el).overflowX === "visible"
      && box.right + el.scrollWidth - el.clientWidth > width;
    return box.width > 0 && (box.right > width + 1 || spills);
  });
  const deepest = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
  const name = (el) => el.tagName.toLowerCase()
    + (el.className ? "." + String(el.className).trim().split(/\\s+/).join(".") : "");
  return {scroll, names: deepest.slice(0, 5).map((el) =>
    name(el) + " (" + Math.round(el.getBoundingClientRect().right) + " px)")};
}"""


def demo_clinic(settings):
    settings.DEBUG = True  # the command refuses to run without it
    call_command("load_demo_data", stdout=io.StringIO())
    settings.DEBUG = False


def public_pages():
    """Every patient page reachable without a sign-in, in the demo clinic."""
    pages = ["/", reverse("treatments"), reverse("bookings:start")]
    online = list(ConsultationType.bookable_online())
    for kind in online:
        pages.append(reverse("bookings:times", args=[kind.slug]))
        pages.append(reverse("bookings:waitlist", args=[kind.slug]))
    upcoming = (
        Booking.objects.filter(status="confirmed", starts_at__gt=timezone.now() + timedelta(days=2))
        .select_related("consultation_type")
        .order_by("starts_at")
    )
    for booking in upcoming[:3]:
        token = booking.token
        pages += [
            reverse("bookings:manage", args=[token]),
            reverse("bookings:cancel", args=[token]),
            reverse("bookings:reschedule", args=[token]),
            reverse("bookings:intake", args=[token]),
        ]
    measured = (
        VisitMeasures.objects.select_related("booking").order_by("-booking__starts_at").first()
    )
    if measured:
        pages.append(reverse("bookings:progress", args=[measured.booking.token]))
    for plan in Plan.objects.select_related("consultation"):
        token = plan.consultation.token
        pages += [
            reverse("treatments:plan", args=[token]),
            reverse("treatments:book_course", args=[token]),
        ]
        upcoming_steps = plan.steps.filter(
            booking__status="confirmed", booking__starts_at__gt=timezone.now() + timedelta(days=2)
        )
        for step in upcoming_steps[:1]:
            pages.append(reverse("treatments:move", args=[token, step.order]))
    return pages


def waitlist_pages():
    """An entry's page and a claim page, with a freed time offered to it."""
    kind = ConsultationType.bookable_online().first()
    booking = Booking.objects.filter(status="confirmed", consultation_type=kind).first()
    location = booking.location
    today = timezone.now().astimezone(location.zone).date()
    entry = waitlist_join(
        consultation_type=kind,
        location=location,
        practitioner=None,
        first_day=today,
        last_day=today + timedelta(days=30),
        first_name="Maximilianus-Alexandros",
        last_name="Papadopoulos-Vanderbilt",
        email="maximilianus.alexandros.papadopoulos-vanderbilt@example.com",
    )
    opening = WaitlistOpening.objects.create(
        freed_by=booking,
        freed_sequence=booking.sequence,
        practitioner=booking.practitioner,
        location=location,
        starts_at=booking.starts_at,
    )
    offer = WaitlistOffer.objects.create(opening=opening, entry=entry)
    return [
        reverse("bookings:waitlist_entry", args=[entry.token]),
        reverse("bookings:waitlist_claim", args=[offer.token]),
    ]


def staff_pages():
    """Every staff page a clinic admin opens, with the demo's records."""
    today = timezone.localdate()
    pages = [
        reverse("staff:home"),
        reverse("staff:home") + f"?day={(today + timedelta(days=1)).isoformat()}",
        reverse("staff:week"),
        # Paged away from today: with "This week" and "This month" beside the arrows.
        reverse("staff:week") + f"?week={(today + timedelta(weeks=2)).isoformat()}",
        reverse("staff:month")
        + f"?month={(today.replace(day=1) + timedelta(days=40)).isoformat()}",
        reverse("staff:month"),
        reverse("staff:waitlist"),
        reverse("staff:phone_booking"),
        reverse("staff:patient_search") + "?q=a",
        reverse("staff:review_queue"),
        reverse("staff:plans"),
        reverse("staff:profile"),
        reverse("staff:password_change"),
    ]
    for patient in Patient.objects.filter(bookings__isnull=False).distinct()[:4]:
        pages += [
            reverse("staff:patient", args=[patient.pk]),
            reverse("staff:timeline", args=[patient.pk]),
            reverse("staff:compare", args=[patient.pk]),
            reverse("staff:patient_erase", args=[patient.pk]),
        ]
    for intake in HairLossIntake.objects.all()[:3]:
        pages.append(reverse("staff:review", args=[intake.booking_id]))
    upcoming = Booking.objects.filter(status="confirmed", starts_at__gt=timezone.now()).first()
    pages.append(reverse("staff:reschedule", args=[upcoming.pk]))
    for photo in ClinicPhoto.objects.all()[:1]:
        pages += [
            reverse("staff:visit_measures", args=[photo.booking_id]),
            reverse("staff:visit_photos", args=[photo.booking_id]),
        ]
    for plan in Plan.objects.all()[:2]:
        pages.append(reverse("staff:plan", args=[plan.pk]))
        pages.append(reverse("staff:plan_new", args=[plan.consultation_id]))
    for step in PlanStep.objects.filter(booking__isnull=False)[:1]:
        pages.append(reverse("staff:session_record", args=[step.booking_id]))
    assert IntakePhoto.objects.exists()  # the demo's photos are on the pages above
    return pages


def first_free_details_page():
    """The booking form of the first free time of the first consultation offered online."""
    kind = ConsultationType.bookable_online().first()
    location = kind.practitioners.first().locations.first()
    today = timezone.now().astimezone(location.zone).date()
    free = selectors.available_slots(
        consultation_type=kind,
        location=location,
        first_day=today,
        last_day=today + timedelta(days=20),
    ).slots[0]
    return (
        reverse("bookings:details", args=[kind.slug])
        + f"?location={location.pk}&practitioner=any&start={drafts.format_start(free.start)}"
    )


def test_no_page_scrolls_sideways_at_375_px(browser, live_server, settings, roles, screening_rules):
    demo_clinic(settings)
    patient_pages = public_pages() + waitlist_pages()
    admin = UserFactory(username="wide-check", first_name="Administrator", last_name="Check")
    staff = staff_pages()
    cookie = staff_session(admin, role_names.CLINIC_ADMIN)
    problems = []
    visited = 0

    def check(page, url, response=None):
        nonlocal visited
        visited += 1
        if response is not None and response.status >= 400:
            problems.append(f"{url}: HTTP {response.status}")
            return
        if "/sign-in/" in page.url and "/sign-in/" not in url:
            problems.append(f"{url}: sent to the sign-in page")
            return
        wide = page.evaluate(SIDEWAYS)
        if wide:
            problems.append(f"{url}: {wide['scroll']} px wide; {', '.join(wide['names'])}")

    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    for url in [*patient_pages, reverse("staff:sign_in")]:
        check(page, url, page.goto(url))

    # The booking flow to its confirmation, as a phone user types it.
    details = first_free_details_page()
    check(page, details, page.goto(details))
    page.get_by_label("First name").fill("Maximilianus-Alexandros")
    page.get_by_label("Last name").fill("Papadopoulos-Vanderbilt")
    page.get_by_label("E-mail").fill("maximilianus.alexandros.papadopoulos@example.com")
    page.get_by_label("Mobile phone").fill("+971 50 123 4567")
    page.get_by_label("Day", exact=True).fill("7")
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_label("Year", exact=True).fill("1985")
    page.locator("#id_consent_care").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/review/")
    check(page, page.url)
    page.get_by_role("button", name="Confirm").first.click()
    page.wait_for_url("**/done/")
    check(page, page.url)
    context.close()

    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    for url in staff:
        check(page, url, page.goto(url))
    context.close()

    assert visited >= 50, visited
    assert not problems, "Pages wider than a 375-px phone:\n" + "\n".join(problems)
