"""Every staff URL against every role, a staff member with no role, an anonymous visitor, a
patient's private link and a patient signed in to their home; reads (GET) and changes (POST).
And the patient's home against every staff role."""

import pytest
from django.db.models import F
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from bookings.diary_feed import calendar_feed_renew
from bookings.models import Booking, CalendarFeed, WaitlistEntry
from bookings.waitlist import waitlist_join
from clinic import roles as role_names
from patients.models import Assessment, ClinicPhoto, Patient, VisitMeasures
from tests.factories import (
    UserFactory,
    assessment_values,
    booking_with_intake,
    clinic_photo,
    completed_consultation,
    jpeg_upload,
    plan_session,
    proposed_plan,
    same_patient,
    sign_in_with_second_factor,
)
from treatments.models import Plan, Rescreen

pytestmark = pytest.mark.django_db

# (url name, needs a booking id, what each role gets: 200 allowed, 403 refused)
STAFF_PAGES = [
    ("staff:home", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:review_queue", False, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:review", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:assessment", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:photo", "photo", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:patient_search", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:timeline", "patient", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:compare", "patient", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:visit_measures", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:visit_photos", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:clinic_photo", "clinic photo", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:phone_booking", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:week", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:profile", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:password_change", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:month", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:waitlist", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:reschedule", True, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:patient", "patient", {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:patient_erase", "patient", {"reception": 403, "practitioner": 403, "admin": 200}),
    # Export is a POST (a download that is recorded); a GET is refused by method.
    ("staff:patient_export", "patient", {"reception": 403, "practitioner": 403, "admin": 405}),
    ("staff:plan_new", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:plans", False, {"reception": 403, "practitioner": 200, "admin": 200}),
    # The clinic's outcome figures: clinic admins only, though they name no patient.
    ("staff:outcomes", False, {"reception": 403, "practitioner": 403, "admin": 200}),
    ("staff:plan", "plan", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:plan_pdf", "plan", {"reception": 403, "practitioner": 200, "admin": 200}),
    # A plan's visits and windows, to book them one by one (reception on the phone too).
    ("staff:plan_visits", "plan", {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:plan_visit", "plan-visit", {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff:session_record", "session", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff:rescreen_clear", "session", {"reception": 403, "practitioner": 200, "admin": 200}),
    # Stopping or completing a plan is a POST only.
    ("staff:plan_action", "plan-stop", {"reception": 403, "practitioner": 405, "admin": 405}),
    ("admin:index", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    (
        "admin:bookings_consultationtype_changelist",
        False,
        {"reception": 200, "practitioner": 200, "admin": 200},
    ),
    (
        "admin:bookings_consultationtype_add",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:patients_screeningrule_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:bookings_historicalbooking_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:patients_historicalassessment_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:treatments_protocol_changelist",
        False,
        {"reception": 403, "practitioner": 200, "admin": 200},
    ),
    (
        "admin:treatments_protocol_add",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:treatments_historicalplan_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:otp_static_staticdevice_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:clinic_clinicalread_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
]


@pytest.fixture
def world(roles, screening_rules):
    from tests.factories import bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    clinic_photo(booking, "front")
    # An earlier, completed and assessed consultation of the same patient, with a plan.
    earlier = completed_consultation(location, practitioner, consultation_type)
    same_patient(earlier, booking)
    session = plan_session(proposed_plan(earlier))
    # Its first session held by a "yes" in the health check.
    Rescreen.objects.create(
        booking=session, answers={"illness": "yes"}, submitted_at=timezone.now()
    )
    reception = UserFactory(username="rosa")
    reception.groups.add(roles[role_names.RECEPTION])
    admin = UserFactory(username="chief")
    admin.groups.add(roles[role_names.CLINIC_ADMIN])
    # Staff (is_staff) with a second factor but in no role group: may open nothing.
    nobody = UserFactory(username="newcomer")
    users = {
        "reception": reception,
        "practitioner": practitioner.user,
        "admin": admin,
        "none": nobody,
    }
    return booking, users


def url_for(name, needs, booking):
    if needs == "photo":
        return reverse(name, args=[booking.intake.photos.get().pk])
    if needs == "patient":
        return reverse(name, args=[booking.patient_id])
    if needs == "clinic photo":
        return reverse(name, args=[ClinicPhoto.objects.get(booking=booking).pk])
    if needs == "plan":
        return reverse(name, args=[Plan.objects.get().pk])
    if needs == "session":
        return reverse(name, args=[Plan.objects.get().steps.get(order=1).booking_id])
    if needs == "plan-stop":
        return reverse(name, args=[Plan.objects.get().pk, "stop"])
    if needs == "plan-visit":
        return reverse(name, args=[Plan.objects.get().pk, 2])
    return reverse(name, args=[booking.pk]) if needs else reverse(name)


@pytest.mark.parametrize(
    ("name", "needs", "expected"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES]
)
def test_each_role_gets_what_the_matrix_says(world, name, needs, expected):
    booking, users = world
    address = url_for(name, needs, booking)
    # Django's admin shows staff without any permission an empty index; every other page
    # refuses them.
    expected = {**expected, "none": 200 if name == "admin:index" else 403}
    for role, user in users.items():
        client = sign_in_with_second_factor(Client(), user)
        assert client.get(address).status_code == expected[role], (role, name)


def test_every_staff_url_is_in_the_matrix():
    """A new staff page must be added to the matrix above (the admin's own pages excepted)."""
    covered = (
        {page[0] for page in STAFF_PAGES}
        | {change[0] for change in STAFF_CHANGES}
        | set(TOKEN_PAGES)
    )
    sign_in_steps = {
        "staff:sign_in",
        "staff:verify",
        "staff:enrol",
        "staff:backup_codes",
        "staff:sign_out",
    }
    found = set()
    for entry in get_resolver().url_patterns:
        # Every staff page sits in the staff app's namespace; bookings' public pages and the
        # admin are other resolvers, and the site's own pages are not staff pages.
        if isinstance(entry, URLResolver) and entry.namespace == "staff":
            found |= {f"staff:{p.name}" for p in entry.url_patterns if isinstance(p, URLPattern)}
    assert {
        "staff:home",
        "staff:review",
        "staff:patient_erase",
    } <= found  # the walk found the staff URLs
    assert found - sign_in_steps <= covered, sorted(found - sign_in_steps - covered)


# Changes: (url name, what the URL needs, the form, what each role gets). 302 is "done, and
# sent on"; 400 is "let in, the form refused" (the permission check comes first); 403 refused.
STAFF_CHANGES = [
    ("staff:booking_action", "check-in", {}, {"reception": 302, "practitioner": 302, "admin": 302}),
    ("staff:assessment", True, "assessment", {"reception": 403, "practitioner": 302, "admin": 302}),
    (
        "staff:patient_erase",
        "patient",
        "erase",
        {"reception": 403, "practitioner": 403, "admin": 302},
    ),
    ("staff:patient_export", "patient", {}, {"reception": 403, "practitioner": 403, "admin": 200}),
    ("staff:reschedule", True, {}, {"reception": 400, "practitioner": 400, "admin": 400}),
    ("staff:phone_booking", False, {}, {"reception": 400, "practitioner": 400, "admin": 400}),
    # Only a practitioner has a diary to feed; the clinic admin here sees no patients.
    (
        "staff:calendar_feed_change",
        "feed-new",
        {},
        {"reception": 403, "practitioner": 302, "admin": 403},
    ),
    (
        "staff:visit_measures",
        True,
        "measures",
        {"reception": 403, "practitioner": 302, "admin": 302},
    ),
    ("staff:visit_photos", True, "photo", {"reception": 403, "practitioner": 302, "admin": 302}),
    ("staff:plan_new", True, {}, {"reception": 403, "practitioner": 400, "admin": 400}),
    ("staff:session_record", "session", {}, {"reception": 403, "practitioner": 400, "admin": 400}),
    # Clearing a health check needs a note.
    ("staff:rescreen_clear", "session", {}, {"reception": 403, "practitioner": 400, "admin": 400}),
    # The plan is only proposed: let in, then told its visits wait for the patient's consent.
    ("staff:plan_visit", "plan-visit", {}, {"reception": 409, "practitioner": 409, "admin": 409}),
    # Reception takes a patient who phones off the waitlist; a practitioner only reads it.
    ("staff:waitlist_remove", "waitlist", {}, {"reception": 302, "admin": 302}),
    (
        "staff:plan_action",
        "plan-stop",
        {"reason": "Moved abroad."},
        {"reception": 403, "practitioner": 302, "admin": 302},
    ),
]
ASSESSMENT_FORM = assessment_values("Early androgenetic loss.", "The common inherited kind.")


def change_url(name, needs, booking):
    if needs == "check-in":
        return reverse(name, args=[booking.pk, "check-in"])
    if needs == "feed-new":
        return reverse(name, args=["new"])
    if needs == "waitlist":
        return reverse(name, args=[waiting_for(booking).pk])
    return url_for(name, needs, booking)


def waiting_for(booking):
    """Someone on the waitlist for the booking's day."""
    day = booking.starts_at.date()
    return waitlist_join(
        consultation_type=booking.consultation_type,
        location=booking.location,
        practitioner=None,
        first_day=day,
        last_day=day,
        first_name="Wendy",
        last_name="Waits",
        email="wendy@example.com",
    )


def change_form(form, booking):
    if form == "assessment":
        return ASSESSMENT_FORM
    if form == "erase":
        return {"confirm": "yes"}
    if form == "measures":
        return {"stage": "nw3", "crown_density": "140"}
    if form == "photo":
        return {"view": "top", "photo": jpeg_upload("top.jpg", size=(400, 300))}
    return form


def what_changed(booking):
    """The rows a change could touch, as they stand."""
    booking.refresh_from_db()
    return (
        CalendarFeed.objects.count(),
        booking.checked_in_at,
        list(Plan.objects.values_list("status", flat=True)),
        Assessment.objects.filter(booking=booking).exists(),
        Patient.objects.filter(pk=booking.patient_id, erased_at__isnull=True).exists(),
        VisitMeasures.objects.filter(booking=booking).exists(),
        ClinicPhoto.objects.filter(booking=booking).count(),
        list(Rescreen.objects.values_list("cleared_at", flat=True)),
        WaitlistEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("name", "needs", "form", "expected"), STAFF_CHANGES, ids=[c[0] for c in STAFF_CHANGES]
)
def test_each_role_may_change_only_what_the_matrix_says(world, name, needs, form, expected):
    booking, users = world
    # On the day of the consultation, so that check-in is allowed.
    shift = timezone.now() - booking.starts_at
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=F("starts_at") + shift,
        ends_at=F("ends_at") + shift,
        blocked_from=F("blocked_from") + shift,
        blocked_until=F("blocked_until") + shift,
    )
    address = change_url(name, needs, booking)
    # Refused roles first: their attempts must leave everything as it was.
    order = sorted(users, key=lambda role: expected.get(role, 403) != 403)
    for role in order:
        wanted = expected.get(role, 403)
        before = what_changed(booking)
        client = sign_in_with_second_factor(Client(), users[role])
        response = client.post(address, change_form(form, booking))
        assert response.status_code == wanted, (role, name, response.status_code)
        if wanted == 403:
            assert what_changed(booking) == before, (role, name)


@pytest.mark.parametrize(
    ("name", "needs", "expected"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES]
)
def test_anonymous_visitors_and_private_links_open_no_staff_page(world, name, needs, expected):
    booking, _ = world
    address = url_for(name, needs, booking)
    visitor = Client()
    visitor.get(reverse("bookings:manage", args=[booking.token]))  # holding a private link
    response = visitor.get(address, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain and response.request["PATH_INFO"] == reverse("staff:sign_in")


# Pages opened by a token in the address alone, with no sign-in (a calendar app fetches them):
# the token opens one practitioner's feed to anyone holding it, and nothing opens without it.
TOKEN_PAGES = ["staff:calendar_feed"]


def test_the_diary_feed_opens_by_its_token_alone_whoever_asks(world):
    booking, users = world
    token = calendar_feed_renew(practitioner=booking.practitioner, now=timezone.now())
    feed = reverse("staff:calendar_feed", args=[token])
    wrong = reverse("staff:calendar_feed", args=[token[:-1] + ("A" if token[-1] != "A" else "B")])
    clients = {"anonymous": Client()}
    clients |= {role: sign_in_with_second_factor(Client(), user) for role, user in users.items()}
    for role, client in clients.items():
        assert client.get(feed).status_code == 200, role
        assert client.get(wrong).status_code == 404, role


# The patient's home: open to the patient signed in through a link e-mailed to them, and to no
# one else (staff of any role included, who work on patients through their own pages). Its
# pages that open without a session are the ones that sign in: asking for a link, opening it,
# signing out, and the e-mail change link, each by its own token.
PATIENT_HOME_PAGES = ["bookings:home", "bookings:home_details", "bookings:home_erase"]
PATIENT_HOME_CHANGES = [
    "bookings:home_details",
    "bookings:home_photos",
    "bookings:home_export",
    "bookings:home_erase",
]
PATIENT_HOME_SIGN_IN_STEPS = [
    "bookings:home_sign_in",
    "bookings:home_link_sent",
    "bookings:home_open",
    "bookings:home_sign_out",
    "bookings:home_email",
]


def patient_home_client(patient):
    from patients.home import sign_in_token

    client = Client()
    response = client.post(reverse("bookings:home_open", args=[sign_in_token(patient)]))
    assert response["Location"] == reverse("bookings:home")
    return client


def test_every_patient_home_url_is_in_the_matrix():
    found = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "bookings":
            found |= {
                f"bookings:{p.name}"
                for p in entry.url_patterns
                if isinstance(p, URLPattern) and p.name.startswith("home")
            }
    covered = set(PATIENT_HOME_PAGES) | set(PATIENT_HOME_CHANGES) | set(PATIENT_HOME_SIGN_IN_STEPS)
    assert "bookings:home" in found and found <= covered, sorted(found - covered)


def test_staff_of_every_role_open_no_patient_home(world):
    booking, users = world
    sign_in = reverse("bookings:home_sign_in")
    for role, user in users.items():
        client = sign_in_with_second_factor(Client(), user)
        for name in PATIENT_HOME_PAGES:
            assert client.get(reverse(name))["Location"] == sign_in, (role, name)
        for name in PATIENT_HOME_CHANGES:
            response = client.post(reverse(name), {"photo_consent": "give"})
            assert response["Location"] == sign_in, (role, name)
    assert not booking.patient.consents.filter(kind="photos_beyond_care").exists()
    assert not hasattr(Patient.objects.get(pk=booking.patient_id), "erasure_request")


@pytest.mark.parametrize(
    ("name", "needs", "expected"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES]
)
def test_a_patient_signed_in_to_their_home_opens_no_staff_page(world, name, needs, expected):
    booking, _ = world
    client = patient_home_client(booking.patient)
    assert client.get(reverse("bookings:home")).status_code == 200
    response = client.get(url_for(name, needs, booking), follow=True)
    assert response.redirect_chain and response.request["PATH_INFO"] == reverse("staff:sign_in")


def test_a_patient_home_shows_that_patient_alone(world):
    """The world's patient has two consultations; a booking of someone else, with the same
    practitioner, is never on their home."""
    booking, _ = world
    other = booking_with_intake(
        booking.location, booking.consultation_type, booking.practitioner, 4
    )
    Patient.objects.filter(pk=other.patient_id).update(last_name="Quillfeather")
    html = patient_home_client(booking.patient).get(reverse("bookings:home")).content.decode()
    assert reverse("bookings:manage", args=[booking.token]) in html
    assert other.token not in html and "Quillfeather" not in html
