import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import (
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    weekly_hours,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def screening_rules(db):
    """The screening rules the data migration seeds.

    Tests that run with real transactions empty every table afterwards, migration data
    included, so tests that need the seeded rules ask for them here.
    """
    import importlib

    from patients.models import ScreeningRule

    if not ScreeningRule.objects.exists():
        seeded = importlib.import_module("patients.migrations.0003_screening_rules")
        for question, answer, treatment, severity, reason in seeded.RULES:
            ScreeningRule.objects.create(
                question=question,
                answer=answer,
                treatment=treatment,
                severity=severity,
                reason=reason,
            )
    return ScreeningRule.objects.all()


@pytest.fixture
def roles(db):
    """The staff role groups; tests with real transactions empty them, so ask for them here."""
    from django.contrib.auth.models import Group, Permission

    from clinic.roles import sync_roles

    sync_roles(Group, Permission)
    return {group.name: group for group in Group.objects.all()}


def sign_in_with_second_factor(client, user):
    """Sign a staff user in as the sign-in pages do, with a one-time backup code."""
    from django.urls import reverse
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Test codes")
    StaticToken.objects.create(device=device, token="testcode1")
    client.force_login(user)
    response = client.post(reverse("staff:verify"), {"code": "testcode1"})
    assert response.status_code == 302, response
    return client


@pytest.fixture
def clinic_setup(db):
    """One London location, two practitioners working 09:00–17:00 every day, one 30-min type."""
    location = LocationFactory(name="Test clinic", time_zone="Europe/London")
    first = PractitionerFactory(locations=[location])
    second = PractitionerFactory(locations=[location])
    for practitioner in (first, second):
        weekly_hours(practitioner, location)
    consultation_type = ConsultationTypeFactory(practitioners=[first, second])
    return {
        "location": location,
        "practitioners": [first, second],
        "type": consultation_type,
    }


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def monday_morning():
    """A fixed "now": Monday 2 March 2026, 06:00 UTC (06:00 in London, before opening)."""
    return datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's build) driven by Playwright, shared by the browser tests."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield WatchedBrowser(chromium)
        chromium.close()


# Recorded from the first script of every page, so that `tests.browser.look` can fail a step
# whose page broke its own Content-Security-Policy (an inline script or style, a foreign host).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


class WatchedBrowser:
    """The Playwright browser, with every new context watching for CSP violations."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(CSP_WATCH)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def page(browser, live_server, request):
    """A fresh page on the live test server; console errors fail the test."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert not errors, f"Browser console errors: {errors}"


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} ({database['NAME']})"


# Redis for the tests of the shared cache. DB 15 and a key prefix of each test's own keep them
# apart from a development Redis and from other test runs on the same server; keys are deleted
# by prefix, never by flushing a database someone else may use.
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_server():
    """The URL of a running Redis: started here when down, and a clear failure if it cannot be.

    Never a skip: a test of the shared cache that quietly did not run would prove nothing.
    """
    import subprocess
    import time
    from urllib.parse import urlsplit

    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
        return REDIS_TEST_URL
    except redis.ConnectionError:
        pass
    address = urlsplit(REDIS_TEST_URL)
    if address.hostname not in ("127.0.0.1", "localhost") or not shutil.which("redis-server"):
        pytest.fail(
            f"Redis is not answering at {REDIS_TEST_URL} and cannot be started here: "
            "apt-get install -y redis-server, or set TEST_REDIS_URL."
        )
    # As on the project's machines: loopback only, and nothing kept on disk.
    port = str(address.port or 6379)
    subprocess.run(
        [
            *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port),
            *("--save", "", "--appendonly", "no"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return REDIS_TEST_URL
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server was started but does not answer at {REDIS_TEST_URL}")
            time.sleep(0.1)


@pytest.fixture
def redis_key_prefix(redis_server):
    """A cache key prefix of this test's own; its keys are deleted afterwards."""
    import uuid

    import redis

    prefix = f"clinic-test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)
