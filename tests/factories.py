"""Shared test setup: factories for the models, and builders of the states tests start from
(a bookable clinic, a booking with answers and a photo, an assessment, a signed-in client).

Tests import what they need from here; fixtures that wrap these live in conftest.py. No test
module imports another.
"""

import http.client
import io
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time as clock
import zlib
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode as form_encode
from urllib.parse import urlsplit

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from PIL import Image

from bookings.drafts import format_start
from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    Resource,
    ResourceHours,
    WorkingHours,
)
from bookings.services import booking_create
from devtools.sample_answers import booking_form
from patients.forms import IntakeForm
from patients.models import Assessment, HairLossIntake, Patient, SelfRating, VisitMeasures
from patients.photo_files import PHOTO_FOLDER
from patients.photos import clean_photo
from patients.progress import clinic_photo_store
from patients.services import intake_update, recommendation_record
from patients.storage import private_storage
from treatments.models import ConsentText, Plan, Protocol, ProtocolStep, StepPrice
from treatments.seed import TYPES as TREATMENT_TYPES
from treatments.seed import seed as seed_protocols
from treatments.selectors import course_proposal
from treatments.services import StepChoice, course_book, plan_accept, plan_propose

# The password every staff user made here signs in with, in the browser tests too.
STAFF_PASSWORD = "a-long-staff-password-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    is_staff = True
    password = factory.django.Password(STAFF_PASSWORD)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Clinic {n}")
    address = "1 Test Street"
    time_zone = "Europe/London"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    title = "Trichologist"

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.add(*extracted)


class ConsultationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationType
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Consultation {n}")
    slug = factory.Sequence(lambda n: f"consultation-{n}")
    description = "A consultation."
    duration_minutes = 30
    slot_interval_minutes = 15
    min_notice_hours = 0
    horizon_days = 60
    late_cancel_hours = 24

    @factory.post_generation
    def practitioners(self, create, extracted, **kwargs):
        if create and extracted:
            self.practitioners.add(*extracted)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    weekday = 0
    start_time = time(9)
    end_time = time(17)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    date_of_birth = date(1985, 6, 1)


def weekly_hours(practitioner, location, start=time(9), end=time(17), weekdays=range(7)):
    """Give a practitioner the same hours every listed weekday at a location."""
    for weekday in weekdays:
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=start,
            end_time=end,
        )


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    name = factory.Sequence(lambda n: f"Room {n}")
    kind = Resource.Kind.ROOM
    location = factory.SubFactory(LocationFactory)


def resource_hours(resource, start=time(9), end=time(17), weekdays=range(7)):
    """Give a room or piece of equipment the same hours every listed weekday."""
    ResourceHours.objects.bulk_create(
        ResourceHours(resource=resource, weekday=day, start_time=start, end_time=end)
        for day in weekdays
    )


def procedure_clinic(
    practitioners=2, resources=("Procedure room",), duration=60, buffer_after=15, **type_fields
):
    """A London location; practitioners working 09:00–17:00 every day; rooms and equipment
    there, named ``resources``, open 08:00–18:00 every day; and a procedure type offered by every
    practitioner that needs all of them. Return (location, practitioners, resources, type)."""
    location = LocationFactory(time_zone="Europe/London")
    staff = PractitionerFactory.create_batch(practitioners, locations=[location])
    for practitioner in staff:
        weekly_hours(practitioner, location)
    held = [ResourceFactory(name=name, location=location) for name in resources]
    for resource in held:
        resource_hours(resource, start=time(8), end=time(18))
    procedure = ConsultationTypeFactory(
        kind=ConsultationType.Kind.PROCEDURE,
        intake_required=False,
        practitioners=staff,
        duration_minutes=duration,
        buffer_after_minutes=buffer_after,
        **type_fields,
    )
    procedure.resources.add(*held)
    return location, staff, held, procedure


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking written straight to the table, without the booking rules: for tests that need
    a booking in a state the services would refuse to make now (in the past, say). Tests of the
    rules themselves book through ``booking_create``."""

    class Meta:
        model = Booking

    patient = factory.SubFactory(PatientFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    consultation_type = factory.SubFactory(ConsultationTypeFactory)
    location = factory.SubFactory(LocationFactory)
    starts_at = factory.LazyFunction(lambda: next_slot(days=3))
    ends_at = factory.LazyAttribute(
        lambda b: b.starts_at + timedelta(minutes=b.consultation_type.duration_minutes)
    )
    blocked_from = factory.SelfAttribute("starts_at")
    blocked_until = factory.SelfAttribute("ends_at")


class AssessmentFactory(factory.django.DjangoModelFactory):
    """A practitioner's assessment of a consultation, as the assessment form would save it."""

    class Meta:
        model = Assessment

    booking = factory.SubFactory(BookingFactory)
    author = factory.LazyAttribute(lambda a: a.booking.practitioner.user)
    pattern = "male_pattern"
    stage = "nh3"
    likely_cause = "androgenetic"
    recommendations = factory.LazyFunction(lambda: ["prp", "stem_cell_adipose"])
    rationale = "Early loss."
    patient_summary = "The common kind."


class VisitMeasuresFactory(factory.django.DjangoModelFactory):
    """A visit's measures, as the measures form would save them (figures overridable)."""

    class Meta:
        model = VisitMeasures

    booking = factory.SubFactory(BookingFactory)
    recorded_by = factory.LazyAttribute(lambda m: m.booking.practitioner.user)
    stage = "nw3"
    frontal_density = 120
    crown_density = 110


def past_visit(patient, practitioner, location, consultation_type, days_ago, **measures):
    """A completed visit of ``patient`` ``days_ago`` days back, with measures when given."""
    start = next_slot(days=-days_ago)
    booking = BookingFactory(
        patient=patient,
        practitioner=practitioner,
        location=location,
        consultation_type=consultation_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=Booking.Status.COMPLETED,
    )
    if measures:
        VisitMeasuresFactory(booking=booking, **measures)
    return booking


def clinic_photo(booking, view="front", colour=(150, 120, 100)):
    """A standard photo of ``booking`` taken by its practitioner, through the service."""
    image = Image.new("RGB", (280, 210), colour)  # a standard view is 200 px a side at least
    out = io.BytesIO()
    image.save(out, format="JPEG")
    upload = SimpleUploadedFile(f"{view}.jpg", out.getvalue(), content_type="image/jpeg")
    content, width, height = clean_photo(upload)
    return clinic_photo_store(
        booking=booking,
        view=view,
        content=content,
        width=width,
        height=height,
        author=booking.practitioner.user,
        now=booking.starts_at,
    )


def valid_form(**overrides):
    """A complete, valid booking form: details, consents and the hair-loss answers."""
    return booking_form(**overrides)


def jpeg_upload(name="hairline.jpg", size=(64, 48), gps=True, fmt="JPEG"):
    """A small photo upload; a JPEG carries a camera make and a GPS position to be removed."""
    image = Image.new("RGB", size, (180, 140, 120))
    out = io.BytesIO()
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # camera make
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS info
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    content_type = "image/jpeg" if fmt == "JPEG" else "image/png"
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


def png_bomb(width, height):
    """A tiny PNG whose header claims an enormous image (a decompression bomb)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def crafted_png(width, height, grey=0x80):
    """Return a flat grey RGB PNG, built without Pillow.

    Its rows compress to almost nothing, so even a 49-megapixel one is made in a moment and sent
    in a few hundred kilobytes, as an attacker's would be.
    """

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes([grey]) * (width * 3)  # filter byte, then the pixels
    per_block = max(1, (1 << 20) // len(row))
    block = row * per_block
    full, rest = divmod(height, per_block)
    # After a full flush the compressor starts afresh, so one compressed block can be repeated.
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block_deflated = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(row * rest) + deflate.flush()
    checksum = 1
    for _ in range(full):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(row * rest, checksum)
    pixels = b"\x78\xda" + block_deflated * full + tail + struct.pack(">I", checksum)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def bookable_clinic(practitioners=1):
    """Hampstead (London time), practitioners working 09:00–17:00 every day, one type."""
    location = LocationFactory(name="Hampstead", time_zone="Europe/London")
    staff = PractitionerFactory.create_batch(practitioners, locations=[location])
    for practitioner in staff:
        weekly_hours(practitioner, location, start=time(9), end=time(17))
    consultation_type = ConsultationTypeFactory(
        practitioners=staff, slug="initial", min_notice_hours=2, late_cancel_hours=24
    )
    return location, staff, consultation_type


def next_slot(days=3, hour=10):
    """``hour`` o'clock UTC, ``days`` from today."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def details_url(consultation_type, location, start, practitioner="any"):
    """The booking form's address for one time, as the slot picker links to it."""
    query = {"location": location.pk, "practitioner": practitioner, "start": format_start(start)}
    return reverse("bookings:details", args=[consultation_type.slug]) + "?" + urlencode(query)


def upcoming_booking(days=4, clinic=None, practitioner=None):
    """A new patient's consultation ``days`` ahead at ``clinic`` (``bookable_clinic``'s three),
    booked through the service, with ``practitioner`` or the first available."""
    location, _, consultation_type = clinic or bookable_clinic()
    return booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=days),
        practitioner=practitioner,
        notify=False,
    )


def intake_page(clinic=None, days=3, **patient):
    """The questions page of a new booking's private link: where the patient sends the intake
    and its photos, after the time is held."""
    location, _, consultation_type = clinic or bookable_clinic()
    booking = booking_create(
        patient=PatientFactory(**patient),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=days),
        notify=False,
    )
    return reverse("bookings:intake", args=[booking.token])


def make_booking(setup, start, status="confirmed"):
    """A 30-minute booking of a new patient with the first practitioner of ``clinic_setup``,
    rules bypassed."""
    return BookingFactory(
        practitioner=setup["practitioners"][0],
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=status,
    )


def empty_intake():
    """A consultation booked through the service, with an intake that holds no answers yet:
    somewhere to store photos."""
    location, _, consultation_type = bookable_clinic()
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(),
        notify=False,
    )
    return HairLossIntake.objects.create(booking=booking, submitted_at=timezone.now())


def booking_with_intake(location, consultation_type, practitioner, days, **answers):
    """A consultation booked through the service, ``days`` ahead, with the patient's answers
    (the valid ones, changed by ``answers``) and a crown photo, as the booking flow saves them."""
    booking = upcoming_booking(days, (location, None, consultation_type), practitioner)
    photo = [("crown", *clean_photo(jpeg_upload()))]
    return give_answers(booking, photos=photo, **answers)


def give_answers(booking, photos=(), **answers):
    """Save the patient's answers to ``booking`` (the valid ones, changed by ``answers``), as
    the booking flow does: screening flags included."""
    form = IntakeForm(valid_form(**answers))
    assert form.is_valid(), form.errors
    intake_update(
        booking=booking, values=form.intake_values(), photos=list(photos), now=timezone.now()
    )
    return booking


def assessed(booking, author, recommendations=("prp", "stem_cell_adipose")):
    """An assessment of ``booking`` by ``author``, not signed off."""
    return AssessmentFactory(booking=booking, author=author, recommendations=list(recommendations))


def assessment_values(
    rationale="Early loss.", summary="The common kind.", recommendations=("prp",)
) -> dict:
    """An assessment's answers as the review form sends them and the service takes them."""
    return {
        "pattern": "male_pattern",
        "stage": "nh3",
        "likely_cause": "androgenetic",
        "recommendations": list(recommendations),
        "rationale": rationale,
        "patient_summary": summary,
    }


def signed_off_recommendation(booking, author, rationale, summary):
    """Record a signed-off assessment recommending PRP, through the service, any screening
    flag against PRP acknowledged."""
    return recommendation_record(
        booking=booking,
        author=author,
        values=assessment_values(rationale, summary),
        sign_off=True,
        now=timezone.now(),
        acknowledged=True,
    )


def same_patient(booking, as_booking):
    """Make ``booking`` belong to ``as_booking``'s patient: one patient's second visit."""
    Booking.objects.filter(pk=booking.pk).update(patient=as_booking.patient)
    booking.refresh_from_db()
    return booking


def sign_in_with_second_factor(client, user):
    """Sign a staff user in as the sign-in pages do, with a one-time backup code."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Test codes")
    StaticToken.objects.create(device=device, token="testcode1")
    client.force_login(user)
    response = client.post(reverse("staff:verify"), {"code": "testcode1"})
    assert response.status_code == 302, response
    # Then, as a browser does, the page it lands on, which shows (and so removes) the
    # sign-in's "backup code used" message: the next request is the person's first real one.
    client.get(response.url)
    return client


def staff_session(user, role):
    """A session of ``user`` in ``role``, signed in with both factors: its cookie's value."""
    user.groups.add(Group.objects.get(name=role))
    return sign_in_with_second_factor(Client(), user).cookies["sessionid"].value


def staff_user(user, roles, role, code):
    """Give ``user`` the staff password, a role and one backup code, for a browser sign-in."""
    user.set_password(STAFF_PASSWORD)
    user.save()
    user.groups.add(roles[role])
    StaticToken.objects.create(device=StaticDevice.objects.create(user=user), token=code)
    return user


def run_worker():
    """Run the real task worker over what is due, as `manage.py db_worker` does."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def home_link_asked(client, email):
    """Ask for a sign-in link to the patient's home as the page does, and run the worker that
    sends it. Return the page's answer."""
    response = client.post(reverse("bookings:home_sign_in"), {"email": email})
    run_worker()
    return response


def link_in_outbox(outbox, url_name, to=None):
    """The path of the newest link of ``url_name`` (a home sign-in or e-mail confirmation
    link) e-mailed, to ``to`` if given."""
    prefix = reverse(url_name, args=["TOKEN"]).removesuffix("TOKEN/")
    for message in reversed(outbox):
        if to is not None and to not in message.to:
            continue
        found = re.search(re.escape(prefix) + r"[A-Za-z0-9_-]+/", message.body)
        if found:
            return found.group(0)
    raise AssertionError(f"no {url_name} link was e-mailed")


def home_signed_in(client, patient):
    """Sign ``patient`` in to their home through an e-mailed link, as they would."""
    from django.core import mail

    home_link_asked(client, patient.email)
    link = link_in_outbox(mail.outbox, "bookings:home_open", to=patient.email)
    assert client.post(link).status_code == 302
    return client


def all_at_once(count, fire, *, prepare=None, timeout=120):
    """Run ``fire(index, prepared)`` in ``count`` threads released at the same instant, each
    after its own ``prepare(index)`` (opening a connection, say), so that the calls really
    race. Each thread closes its database connections. Return what each call returned, or the
    exception it raised, in order; a thread that hangs fails the test."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            prepared = prepare(index) if prepare else None
            barrier.wait(timeout=timeout)
            outcomes[index] = fire(index, prepared)
        except Exception as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    # Daemon threads: one that hangs fails this test and cannot keep the test process alive.
    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing call hung"
    return outcomes


def database_url():
    """The URL of the database this test runs against (the test database, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def start_django_process(script, args, log):
    """Start ``python -c script *args`` set up like an app server: the real settings, this
    test's database and photo folder. It prints progress on stdout; errors go to ``log``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "crash-test-only",
        "DATABASE_URL": database_url(),
        "PRIVATE_STORAGE_ROOT": private_storage().location,
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )


def kill_mid_way(worker, rounds, log_path):
    """Let a worker started by ``start_django_process`` report ``rounds`` rounds done, then
    SIGKILL it at an unplanned moment."""
    deadline = clock.monotonic() + 60
    seen = 0
    while seen < rounds:
        # Wait for the next line with a deadline: a worker that stalls must fail the test, not
        # hang it.
        ready, _, _ = select.select([worker.stdout], [], [], max(0, deadline - clock.monotonic()))
        assert ready, f"the worker is far too slow:\n{log_path.read_text()[-3000:]}"
        line = worker.stdout.readline()
        assert line, f"the worker stopped early:\n{log_path.read_text()[-3000:]}"
        seen = int(line)
    clock.sleep(random.uniform(0, 0.05))  # any moment will do; none is chosen
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL


def stored_photo_files():
    """The names of every photo file in the private storage (none before the first is saved)."""
    storage = private_storage()
    if not storage.exists(PHOTO_FOLDER):
        return set()
    return {f"{PHOTO_FOLDER}/{name}" for name in storage.listdir(PHOTO_FOLDER)[1]}


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVIEW_PATH = re.compile(r"^/book/in-progress/[^/]+/review/$")


class HttpBrowser:
    """One person's browser over real HTTP to a server on this machine: its own cookie jar, one
    connection per request, the CSRF token of the last form page it read sent with each form.

    ``headers`` go with every request (a proxy's, say) and ``origin`` with every form; ``to``
    names another server (anything with a ``port``, or a port) for one request.
    """

    def __init__(self, port, *, headers=None, origin=None):
        self.port = port
        self.headers = headers or {}
        self.origin = origin
        self.cookies = {}
        self.csrf_token = None

    def connect(self, to=None):
        port = self.port if to is None else getattr(to, "port", to)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        return connection

    def send(self, connection, method, path, fields=None):
        """Send a request on an open connection; return (status, location, body)."""
        headers = {**self.headers, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = form_encode({**fields, "csrfmiddlewaretoken": self.csrf_token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.origin:
                headers["Origin"] = self.origin
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        if match := CSRF_INPUT.search(content):
            self.csrf_token = match.group(1)
        return response.status, response.getheader("Location", ""), content

    def request(self, method, path, fields=None, to=None):
        return self.send(self.connect(to), method, path, fields)

    def reach_review(self, path, form, to=None):
        """Open the details page, send the filled-in form; return the review page's path."""
        status, _, page = self.request("GET", path, to=to)
        assert status == 200, (status, page[:500])
        status, location, page = self.request("POST", path, form, to=to)
        assert status == 302, (status, page[:500])
        review = urlsplit(location).path
        assert REVIEW_PATH.match(review), location
        return review


def treatment_clinic(practitioners=2):
    """A London clinic whose practitioners work 09:00–17:00 every day and offer the seeded
    treatment types, with the seeded protocols priced there (in GBP)."""
    location = LocationFactory(name="Treatment clinic", time_zone="Europe/London")
    staff = PractitionerFactory.create_batch(practitioners, locations=[location])
    for practitioner in staff:
        weekly_hours(practitioner, location)
    seed_protocols(
        ConsultationType=ConsultationType,
        Practitioner=Practitioner,
        Location=Location,
        Protocol=Protocol,
        ProtocolStep=ProtocolStep,
        StepPrice=StepPrice,
        ConsentText=ConsentText,
    )
    for consultation_type in ConsultationType.objects.filter(slug__in=list(TREATMENT_TYPES)):
        consultation_type.practitioners.add(*staff)
    consultation_type = ConsultationTypeFactory(practitioners=staff)
    return location, staff, consultation_type


def completed_consultation(
    location, practitioner, consultation_type, recommendations=("prp",), days_ago=2
):
    """A consultation ``days_ago`` days ago, marked completed, with an assessment recommending
    ``recommendations``."""
    start = next_slot(days=-days_ago)
    booking = BookingFactory(
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        status=Booking.Status.COMPLETED,
    )
    assessed(booking, practitioner.user, recommendations)
    return booking


def protocol_steps(*names, spacing=None):
    """The default steps of the protocols named, as a practitioner would leave them; with
    ``spacing`` (order -> (min, max)) some spacings changed."""
    choices = []
    for protocol in Protocol.objects.filter(name__in=names).order_by("position"):
        for step in protocol.steps.all():
            low, high = (spacing or {}).get(step.order, (step.min_days_after, step.max_days_after))
            choices.append(StepChoice(step, low, high))
    return choices


def proposed_plan(consultation, *names, spacing=None, note="", starts_on=None):
    """A plan proposed from ``consultation`` through the service (PRP course by default)."""
    return plan_propose(
        consultation=consultation,
        practitioner=consultation.practitioner,
        steps=protocol_steps(*(names or ("PRP course",)), spacing=spacing),
        starts_on=starts_on or (timezone.now() + timedelta(days=1)).date(),
        patient_note=note,
    )


def accepted_plan(consultation, *names, spacing=None):
    """A plan proposed and accepted: signed with the patient's own name."""
    plan = proposed_plan(consultation, *names, spacing=spacing)
    return plan_accept(plan=plan, signed_name=plan.patient.full_name, ip_address="127.0.0.1")


def booked_course(consultation):
    """An accepted plan with every visit booked at the first free time its window offers."""
    plan = accepted_plan(consultation)
    proposal = course_proposal(plan)
    course_book(plan=plan, choices={s.order: (o.start, who) for s, o, who in proposal.choices})
    plan.refresh_from_db()
    return plan


def plan_session(plan, order=1, hours_ago=1):
    """Step ``order`` of ``plan`` booked ``hours_ago`` hours ago (rules bypassed): a session
    under way or done, to record."""
    step = plan.steps.get(order=order)
    booking = BookingFactory(
        patient=plan.patient,
        practitioner=plan.practitioner,
        consultation_type=step.consultation_type,
        location=plan.location,
        starts_at=timezone.now().replace(microsecond=0) - timedelta(hours=hours_ago),
    )
    step.booking = booking
    step.status = "booked"
    step.save()
    return booking


class _ChoiceReader(HTMLParser):
    """Collect the inputs of one name in a page, each with what surrounds it (see choices_in)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self, name):
        super().__init__()
        self.name, self.stack, self.found, self.labels = name, [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == self.name:
            classes = {c for _, a in self.stack for c in (a.get("class") or "").split()}
            choice = {
                "value": attrs.get("value"),
                "checked": "checked" in attrs,
                "id": attrs.get("id"),
                "within": classes,
                "label": "",
                "drawn": False,
            }
            self.found.append(choice)
            if self.labels:
                self.labels[-1]["choices"].append(choice)
        if tag == "label":
            self.labels.append({"choices": [], "text": [], "drawn": False})
        if tag == "svg" and self.labels:
            self.labels[-1]["drawn"] = attrs.get("aria-hidden") == "true"
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        pass  # an SVG shape: nothing to read

    def handle_endtag(self, tag):
        if tag == "label" and self.labels:
            label = self.labels.pop()
            for choice in label["choices"]:
                choice["label"] = " ".join("".join(label["text"]).split())
                choice["drawn"] = label["drawn"]
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.labels:
            self.labels[-1]["text"].append(data)


def choices_in(html, name):
    """The inputs named ``name`` in a page, in order: each a dict of its value, whether it is
    checked, the classes of the elements around it ("within"), the words of the label around it
    and whether that label holds a decorative drawing ("drawn")."""
    reader = _ChoiceReader(name)
    reader.feed(html)
    return reader.found


def course_started(consultation, days_ago, *names):
    """A plan (PRP course by default) accepted from ``consultation``, moved back in time so that
    the consultation and the plan's start were ``days_ago`` days ago, and under way."""
    plan = accepted_plan(consultation, *names)
    shift = (timezone.now() - timedelta(days=days_ago)) - consultation.starts_at
    Booking.objects.filter(pk=consultation.pk).update(
        starts_at=F("starts_at") + shift,
        ends_at=F("ends_at") + shift,
        blocked_from=F("blocked_from") + shift,
        blocked_until=F("blocked_until") + shift,
    )
    consultation.refresh_from_db()
    day = consultation.starts_at.astimezone(consultation.location.zone).date()
    Plan.objects.filter(pk=plan.pk).update(starts_on=day, status=Plan.Status.IN_PROGRESS)
    plan.refresh_from_db()
    return plan


def self_rating(booking, hair_now, satisfaction=4):
    """The patient's own rating of ``booking``, as the rating page keeps it."""
    return SelfRating.objects.create(
        booking=booking,
        hair_now=hair_now,
        satisfaction=satisfaction,
        submitted_at=booking.starts_at - timedelta(days=2),
    )


def booking_row_writes(booking):
    """A mark of the booking's row that changes whenever the row is written: on PostgreSQL, the
    place of its current version (``ctid``: every write makes a new version, in the test's own
    transaction too); on SQLite, the writes a temporary trigger counted since it was first asked
    for."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT ctid::text FROM bookings_booking WHERE id = %s", [booking.pk])
            return cursor.fetchone()[0]
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS booking_writes (booking_id INTEGER)")
        cursor.execute(
            "CREATE TEMP TRIGGER IF NOT EXISTS booking_writes_count "
            "AFTER UPDATE ON bookings_booking BEGIN INSERT INTO booking_writes VALUES (NEW.id); END"
        )
        cursor.execute("SELECT COUNT(*) FROM booking_writes WHERE booking_id = %s", [booking.pk])
        return cursor.fetchone()[0]
