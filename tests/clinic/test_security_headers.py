"""Every page carries the security headers, in production settings.

The list of pages is checked against the URLconf, so that a new page cannot be added without
being checked here.
"""

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from bookings.diary_feed import calendar_feed_renew
from bookings.models import WaitlistOffer, WaitlistOpening
from bookings.waitlist import waitlist_join
from clinic import roles as role_names
from patients.home import email_change_token, sign_in_token
from patients.models import Patient
from tests.factories import (
    UserFactory,
    bookable_clinic,
    booking_with_intake,
    clinic_photo,
    completed_consultation,
    details_url,
    next_slot,
    plan_session,
    proposed_plan,
    same_patient,
    sign_in_with_second_factor,
    valid_form,
)

pytestmark = pytest.mark.django_db

PRODUCTION = {"SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True}
PRODUCTION |= {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True}


def project_url_names():
    """Every named page of the project's own apps (the admin is Django's and checked apart)."""
    names = set()

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(namespace + entry.name)

    walk(get_resolver().url_patterns)
    return names


@pytest.fixture
def pages(roles, screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    photo = booking.intake.photos.get()
    clinic_photo_taken = clinic_photo(booking, "front")
    patient = Client()
    started = patient.post(
        details_url(consultation_type, location, next_slot(days=5)), valid_form(), secure=True
    )
    draft = started["Location"].split("/")[3]
    token = booking.token
    feed = calendar_feed_renew(practitioner=practitioner, now=timezone.now())
    # An earlier, assessed consultation of the same patient, with a plan and a session.
    earlier = same_patient(
        completed_consultation(location, practitioner, consultation_type), booking
    )
    plan = proposed_plan(earlier)
    session = plan_session(plan)
    plan_token = earlier.token
    entry = waitlist_join(
        consultation_type=consultation_type,
        location=location,
        practitioner=None,
        first_day=booking.starts_at.date(),
        last_day=booking.starts_at.date(),
        first_name="Ada",
        last_name="Waiting",
        email="ada@example.com",
    )
    opening = WaitlistOpening.objects.create(
        freed_by=booking,
        freed_sequence=0,
        practitioner=practitioner,
        location=location,
        starts_at=booking.starts_at,
    )
    offer = WaitlistOffer.objects.create(opening=opening, entry=entry)
    patient.post(reverse("bookings:home_open", args=[sign_in_token(booking.patient)]), secure=True)
    Patient.objects.filter(pk=booking.patient_id).update(pending_email="new@example.com")
    booking.patient.refresh_from_db()
    email_change = email_change_token(booking.patient)
    addresses = {
        "home": reverse("home"),
        "treatments": reverse("treatments"),
        "health": reverse("health"),
        "bookings:start": reverse("bookings:start"),
        "bookings:times": reverse("bookings:times", args=[consultation_type.slug]),
        "bookings:details": details_url(consultation_type, location, next_slot(days=6)),
        "bookings:draft_details": reverse("bookings:draft_details", args=[draft]),
        "bookings:review": reverse("bookings:review", args=[draft]),
        "bookings:draft_time": reverse("bookings:draft_time", args=[draft]),
        "bookings:done": reverse("bookings:done", args=[draft]),
        "bookings:waitlist": reverse("bookings:waitlist", args=[consultation_type.slug]),
        "bookings:waitlist_entry": reverse("bookings:waitlist_entry", args=[entry.token]),
        "bookings:waitlist_leave": reverse("bookings:waitlist_leave", args=[entry.token]),
        "bookings:waitlist_claim": reverse("bookings:waitlist_claim", args=[offer.token]),
        "bookings:manage": reverse("bookings:manage", args=[token]),
        "bookings:calendar": reverse("bookings:calendar", args=[token]),
        "bookings:cancel": reverse("bookings:cancel", args=[token]),
        "bookings:reschedule": reverse("bookings:reschedule", args=[token]),
        "bookings:intake": reverse("bookings:intake", args=[token]),
        "bookings:photo": reverse("bookings:photo", args=[token, photo.pk]),
        "bookings:progress": reverse("bookings:progress", args=[token]),
        "bookings:progress_photo": reverse(
            "bookings:progress_photo", args=[token, clinic_photo_taken.pk]
        ),
        # The patient's home, this browser signed in to it through an e-mailed link.
        "bookings:home": reverse("bookings:home"),
        "bookings:home_sign_in": reverse("bookings:home_sign_in"),
        "bookings:home_link_sent": reverse("bookings:home_link_sent"),
        "bookings:home_open": reverse("bookings:home_open", args=[sign_in_token(booking.patient)]),
        "bookings:home_sign_out": reverse("bookings:home_sign_out"),
        "bookings:home_details": reverse("bookings:home_details"),
        "bookings:home_email": reverse("bookings:home_email", args=[email_change]),
        "bookings:home_photos": reverse("bookings:home_photos"),
        "bookings:home_export": reverse("bookings:home_export"),
        "bookings:home_erase": reverse("bookings:home_erase"),
        "treatments:plan": reverse("treatments:plan", args=[plan_token]),
        "treatments:accept": reverse("treatments:accept", args=[plan_token]),
        "treatments:decline": reverse("treatments:decline", args=[plan_token]),
        "treatments:talk": reverse("treatments:talk", args=[plan_token]),
        "treatments:book_course": reverse("treatments:book_course", args=[plan_token]),
        "treatments:move": reverse("treatments:move", args=[plan_token, 1]),
        "treatments:rescreen": reverse("treatments:rescreen", args=[plan_token, 1]),
        "treatments:plan_pdf": reverse("treatments:plan_pdf", args=[plan_token]),
        "treatments:pick": reverse("treatments:pick", args=[plan_token, 1]),
        "treatments:rating": reverse("treatments:rating", args=[token]),
        "staff:sign_in": reverse("staff:sign_in"),
        "staff:verify": reverse("staff:verify"),
        "staff:enrol": reverse("staff:enrol"),
        "staff:sign_out": reverse("staff:sign_out"),
        # A calendar app's: the token in the address is the whole of its access.
        "staff:calendar_feed": reverse("staff:calendar_feed", args=[feed]),
    }
    staff = {
        "staff:home": reverse("staff:home"),
        "staff:week": reverse("staff:week"),
        "staff:month": reverse("staff:month"),
        "staff:waitlist": reverse("staff:waitlist"),
        "staff:waitlist_remove": reverse("staff:waitlist_remove", args=[entry.pk]),
        "staff:phone_booking": reverse("staff:phone_booking"),
        "staff:review_queue": reverse("staff:review_queue"),
        "staff:review": reverse("staff:review", args=[booking.pk]),
        "staff:assessment": reverse("staff:assessment", args=[booking.pk]),
        "staff:photo": reverse("staff:photo", args=[photo.pk]),
        "staff:patient_search": reverse("staff:patient_search"),
        "staff:patient": reverse("staff:patient", args=[booking.patient_id]),
        "staff:patient_export": reverse("staff:patient_export", args=[booking.patient_id]),
        "staff:patient_erase": reverse("staff:patient_erase", args=[booking.patient_id]),
        "staff:reschedule": reverse("staff:reschedule", args=[booking.pk]),
        "staff:booking_action": reverse("staff:booking_action", args=[booking.pk, "check-in"]),
        "staff:backup_codes": reverse("staff:backup_codes"),
        "staff:profile": reverse("staff:profile"),
        "staff:password_change": reverse("staff:password_change"),
        "staff:calendar_feed_change": reverse("staff:calendar_feed_change", args=["new"]),
        "staff:timeline": reverse("staff:timeline", args=[booking.patient_id]),
        "staff:compare": reverse("staff:compare", args=[booking.patient_id]),
        "staff:visit_measures": reverse("staff:visit_measures", args=[booking.pk]),
        "staff:visit_photos": reverse("staff:visit_photos", args=[booking.pk]),
        "staff:clinic_photo": reverse("staff:clinic_photo", args=[clinic_photo_taken.pk]),
        "staff:plans": reverse("staff:plans"),
        "staff:outcomes": reverse("staff:outcomes"),
        "staff:plan": reverse("staff:plan", args=[plan.pk]),
        "staff:plan_pdf": reverse("staff:plan_pdf", args=[plan.pk]),
        "staff:plan_visits": reverse("staff:plan_visits", args=[plan.pk]),
        "staff:plan_visit": reverse("staff:plan_visit", args=[plan.pk, 1]),
        "staff:plan_new": reverse("staff:plan_new", args=[earlier.pk]),
        "staff:plan_action": reverse("staff:plan_action", args=[plan.pk, "stop"]),
        "staff:session_record": reverse("staff:session_record", args=[session.pk]),
        "staff:rescreen_clear": reverse("staff:rescreen_clear", args=[session.pk]),
    }
    chief = UserFactory(username="chief")
    chief.groups.add(roles[role_names.CLINIC_ADMIN])
    return patient, addresses, sign_in_with_second_factor(Client(), chief), staff


def assert_secure_headers(response, address):
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, address
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, address
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), address
    assert response.headers["X-Frame-Options"] == "DENY", address
    assert response.headers["Referrer-Policy"] == "same-origin", address
    assert response.headers["X-Content-Type-Options"] == "nosniff", address
    assert "camera=()" in response.headers["Permissions-Policy"], address
    for cookie in response.cookies.values():
        assert cookie["secure"] and cookie["httponly"], (address, cookie.key)


def test_the_list_covers_every_page_of_the_project(pages):
    _, addresses, _, staff = pages
    assert set(addresses) | set(staff) == project_url_names()


def same_browser(client):
    """A new client with the same cookies: the security middleware reads its settings when a
    client first loads it, so the production settings need a client that starts under them."""
    fresh = Client()
    fresh.cookies = client.cookies
    return fresh


def test_every_page_sends_the_security_headers(pages):
    patient, addresses, chief, staff = pages
    with override_settings(**PRODUCTION):
        patient, chief = same_browser(patient), same_browser(chief)
        for name, address in addresses.items():
            assert_secure_headers(patient.get(address, secure=True), name)
        for name, address in staff.items():
            assert_secure_headers(chief.get(address, secure=True), name)
        for address in ("/no-such-page/", reverse("admin:index"), reverse("admin:login")):
            assert_secure_headers(chief.get(address, secure=True), address)
        # Signing in sets the session and CSRF cookies: both Secure and HttpOnly.
        visitor = Client()
        page = visitor.get(reverse("staff:sign_in"), secure=True)
        assert_secure_headers(page, "login")
        assert page.cookies["csrftoken"]["secure"] and page.cookies["csrftoken"]["httponly"]


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_sent_to_https():
    response = Client().get(reverse("home"))
    assert response.status_code == 301 and response["Location"].startswith("https://")


# The pages anyone may see: they show nothing of any patient, so browsers may keep them.
PUBLIC_PAGES = {"home", "treatments", "health", "bookings:start", "bookings:times"}


def test_pages_with_personal_data_tell_browsers_to_keep_no_copy(pages):
    """Every staff page, and the patient's private-link and booking-in-progress pages, send
    ``Cache-Control: private, no-store``, so that neither a shared computer's browser cache
    nor a proxy keeps a patient's answers."""
    patient, addresses, chief, staff = pages
    personal = {name: address for name, address in addresses.items() if name not in PUBLIC_PAGES}
    assert {"bookings:manage", "bookings:review", "bookings:done", "staff:sign_in"} <= set(personal)
    checked = [(patient, name, address) for name, address in personal.items()]
    checked += [(chief, name, address) for name, address in staff.items()]
    checked += [(chief, "admin", reverse("admin:index"))]
    for client, name, address in checked:
        response = client.get(address)
        directives = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= directives, (name, response.status_code)
    # (The health check is never cached either way: it must say how the app is now.)
    for name in PUBLIC_PAGES - {"health"}:
        response = patient.get(addresses[name])
        assert "no-store" not in response.headers.get("Cache-Control", ""), name
