"""Two app servers, really: two gunicorn servers sharing PostgreSQL and Redis, as behind a load
balancer.

Each server runs the production settings (``clinic.settings``, DEBUG off, HTTPS behind one
trusted proxy) on a loopback port of its own. The test plays the load balancer: every request
carries the public host name, ``X-Forwarded-Proto: https`` and the client's address in
``X-Forwarded-For``, and a browser's requests go to either server. What one server learns (a
rate-limit count, a signed-in session, a booking) the other must know at once.
"""

import html
import os
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from bookings.drafts import format_start
from bookings.models import Booking, BookingDraft
from bookings.refusals import TAKEN_MESSAGE
from tests.factories import (
    HttpBrowser,
    UserFactory,
    all_at_once,
    bookable_clinic,
    database_url,
    details_url,
    valid_form,
)

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="two servers share the database the way production shares PostgreSQL; an "
        "SQLite file cannot be shared by two servers like that",
    ),
    pytest.mark.race,
    pytest.mark.django_db(transaction=True),
]

HOST = "127.0.0.1"
PUBLIC_HOST = "book.clinic.test"
SIGN_IN_LIMIT = 4
PATIENTS = 50
PASSWORD = "a-long-staff-password-2026"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class AppServer:
    """gunicorn serving the app with the production settings, on a loopback port of its own."""

    def __init__(self, name, environment, log_folder):
        self.name = name
        self.port = free_port()
        self.log_path = Path(log_folder) / f"gunicorn-{name}.log"
        self.environment = environment
        self.process = None

    def start(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "clinic.wsgi", "--bind", f"{HOST}:{self.port}"]
        command += ["--workers", "2", "--threads", "4", "--no-control-socket"]
        command += ["--backlog", "2048", "--log-level", "warning"]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self, seconds=45):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server {self.name} stopped at start:\n{self.log()[-3000:]}")
            try:
                status, _, _ = proxied_browser(self, "198.51.100.1").request("GET", "/health/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"server {self.name} did not answer in {seconds} s:\n{self.log()[-3000:]}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, redis_server, tmp_path_factory):
    """Two app servers, A and B, on the test database and Redis (under a key prefix of their
    own), after collectstatic as a deployment runs it."""
    import redis

    prefix = f"clinic-two-servers-{secrets.token_hex(8)}"
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    environment = {key: value for key, value in os.environ.items() if key in keep}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_server,
        "CACHE_KEY_PREFIX": prefix,
        "TRUSTED_PROXY_COUNT": "1",
        "STAFF_SIGN_IN_ATTEMPTS_PER_HOUR": str(SIGN_IN_LIMIT),
        "PRIVATE_STORAGE_ROOT": str(tmp_path_factory.mktemp("photos")),
        "EMAIL_URL": "dummymail://",
        # A folder of their own for the collected files, empty each time: never a collectstatic
        # over an earlier run's files, or beside another.
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    logs = tmp_path_factory.mktemp("gunicorn")
    pair = [AppServer(name, environment, logs) for name in ("A", "B")]
    try:
        for server in pair:
            server.start()
        for server in pair:
            server.wait_until_ready()
        yield pair
    finally:
        for server in pair:
            server.stop()
        client = redis.Redis.from_url(redis_server)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    for server in pair:
        log = server.log()
        assert "Traceback" not in log and "Internal Server Error" not in log, log[-5000:]


@pytest.fixture
def redis_keys(servers, redis_server):
    """The keys the servers hold in Redis."""
    import redis

    prefix = servers[0].environment["CACHE_KEY_PREFIX"]
    client = redis.Redis.from_url(redis_server)
    return lambda: [key.decode() for key in client.scan_iter(match=f"{prefix}:*")]


def proxied_browser(server, address):
    """One person's browser behind the load balancer: its own address, sent to ``server``
    unless a request names another (``to=``), with the proxy's headers."""
    return HttpBrowser(
        server.port,
        headers={"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": address},
        origin=f"https://{PUBLIC_HOST}",
    )


def slot_in_three_days(location, hour=10):
    day = timezone.now().astimezone(location.zone).date() + timedelta(days=3)
    return datetime.combine(day, clock(hour), tzinfo=location.zone)


def picker_path(consultation_type, location, day):
    query = {"location": location.pk, "practitioner": "any", "day": day.isoformat()}
    return reverse("bookings:times", args=[consultation_type.slug]) + "?" + urlencode(query)


def offered(page, start):
    return f"start={format_start(start)}" in page


def test_a_rate_limit_counts_attempts_on_both_servers_together(servers):
    a, b = servers
    attacker = proxied_browser(a, "203.0.113.66")
    attacker.request("GET", reverse("staff:sign_in"))
    path = reverse("staff:sign_in")
    # A different username each time: no one account is locked; the address limit counts them.
    for number in range(SIGN_IN_LIMIT):
        server = a if number % 2 else b
        fields = {"username": f"guess{number}", "password": "not-it"}
        status, _, page = attacker.request("POST", path, fields, to=server)
        assert status == 200, (number, status, page[:300])
    # Two on A and two on B reach the limit of four: the next one is refused on either.
    for server in (a, b):
        fields = {"username": "guess-more", "password": "not-it"}
        status, _, page = attacker.request("POST", path, fields, to=server)
        assert status == 429, (server.name, status)
        assert "Sign-in paused for your connection" in page
    # Another client behind the same proxy is not affected.
    other = proxied_browser(b, "198.51.100.77")
    other.request("GET", path)
    status, _, _ = other.request("POST", path, {"username": "guess-x", "password": "not-it"})
    assert status == 200


def test_a_staff_member_signed_in_on_one_server_is_signed_in_on_the_other(servers, roles):
    from clinic import roles as role_names

    a, b = servers
    # Hashed as the servers' settings hash (the tests' own settings use a faster hasher).
    staff = UserFactory(username="rosa")
    staff.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    staff.save()
    staff.groups.add(roles[role_names.RECEPTION])
    device = StaticDevice.objects.create(user=staff, name="Backup codes")
    StaticToken.objects.create(device=device, token="code1234")

    browser = proxied_browser(a, "192.0.2.40")
    browser.request("GET", reverse("staff:sign_in"))
    fields = {"username": "rosa", "password": PASSWORD}
    status, location, _ = browser.request("POST", reverse("staff:sign_in"), fields, to=a)
    assert status == 302 and location.startswith(reverse("staff:verify")), (status, location)
    # The second step on the other server: it knows the half-signed-in session.
    browser.request("GET", reverse("staff:verify"), to=b)
    status, _, _ = browser.request("POST", reverse("staff:verify"), {"code": "code1234"}, to=b)
    assert status == 302
    for server in (a, b, a):
        status, _, page = browser.request("GET", reverse("staff:home"), to=server)
        assert status == 200, (server.name, status)
        assert "Sign out" in page
    # Signing out on one server signs out on both.
    browser.request("POST", reverse("staff:sign_out"), {}, to=b)
    for server in (a, b):
        status, location, _ = browser.request("GET", reverse("staff:home"), to=server)
        assert status == 302 and location.startswith(reverse("staff:sign_in")), server.name


def test_a_slot_booked_on_one_server_is_gone_from_the_others_picker_at_once(servers, redis_keys):
    a, b = servers
    location, _, consultation_type = bookable_clinic()
    start = slot_in_three_days(location)
    picker = picker_path(consultation_type, location, start.astimezone(location.zone).date())
    for server in (b, a, b):  # the times come from the shared cache after the first
        status, _, page = proxied_browser(server, "198.51.100.5").request("GET", picker)
        assert status == 200 and offered(page, start), server.name
    assert [key for key in redis_keys() if ":free-times:" in key], redis_keys()

    patient = proxied_browser(a, "198.51.100.6")
    review = patient.reach_review(details_url(consultation_type, location, start), valid_form())
    status, location_header, _ = patient.request("POST", review, {})
    assert status == 302 and location_header.endswith("/done/")

    status, _, page = proxied_browser(b, "198.51.100.7").request("GET", picker)
    assert status == 200
    assert not offered(page, start)
    # The next time of the same day is still there: the times were drawn again, not emptied.
    assert offered(page, start + timedelta(minutes=30))


def confirm_all_at_once(browsers, reviews, servers):
    """Send every confirm at the same instant, alternately to each server; return outcomes."""
    # Connected before the barrier, so no request waits in a listen queue.
    outcomes = all_at_once(
        len(browsers),
        lambda index, connection: browsers[index].send(connection, "POST", reviews[index], {}),
        prepare=lambda index: browsers[index].connect(servers[index % 2]),
    )
    failed = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert not failed, f"requests failed without a response: {failed!r}"
    return outcomes


def test_fifty_confirms_of_one_slot_across_both_servers_make_one_booking(servers):
    location, (practitioner,), consultation_type = bookable_clinic()
    start = slot_in_three_days(location, hour=11)
    path = details_url(consultation_type, location, start)
    # Each patient from an address of their own, filling in the form on one server and
    # confirming on the other: the booking in progress lives in the shared session.
    browsers = [
        proxied_browser(servers[(n + 1) % 2], f"10.20.{n // 200}.{n % 200 + 1}")
        for n in range(PATIENTS)
    ]

    def fill_in(n):
        form = valid_form(first_name=f"Patient{n}", email=f"patient{n}@example.com")
        return browsers[n].reach_review(path, form)

    with ThreadPoolExecutor(max_workers=8) as pool:
        reviews = list(pool.map(fill_in, range(PATIENTS)))
    assert BookingDraft.objects.filter(booking__isnull=True).count() == PATIENTS

    outcomes = confirm_all_at_once(browsers, reviews, servers)

    statuses = sorted(status for status, _, _ in outcomes)
    assert not [status for status in statuses if status >= 500], statuses
    winners = [outcome for outcome in outcomes if outcome[0] == 302]
    assert len(winners) == 1, statuses
    assert winners[0][1].endswith("/done/")
    refused = [outcome for outcome in outcomes if outcome[0] != 302]
    assert {status for status, _, _ in refused} == {409}, statuses
    for _, _, page in refused:
        assert html.escape(TAKEN_MESSAGE) in page
    # Both servers took part in the race.
    by_server = {index % 2 for index, outcome in enumerate(outcomes) if outcome[0] == 409}
    assert by_server == {0, 1}

    booking = Booking.objects.get()
    assert booking.starts_at == start and booking.practitioner == practitioner
    assert BookingDraft.objects.filter(booking__isnull=True).count() == PATIENTS - 1
