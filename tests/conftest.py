import fcntl
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from clinic import roles as role_names
from tests.factories import (
    STAFF_PASSWORD,
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    sign_in_with_second_factor,
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

# How many examples every Hypothesis property runs is chosen here, for the whole suite, never in a
# test: `dev` keeps the everyday `make test` fast, CI's PostgreSQL pass runs `ci`, and `make fuzz`
# runs `deep`. The examples are the same on every run (derandomize), so that a failure in CI is
# reproduced by running the test again with the same profile. An example through Django's test
# client can take longer than Hypothesis expects, so neither deadlines nor slowness fail a test.
HYPOTHESIS_EXAMPLES = {"dev": 50, "ci": 200, "deep": 1000}
for _name, _examples in HYPOTHESIS_EXAMPLES.items():
    hypothesis_settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# The race tests run one at a time, whichever xdist worker has them: two races at once would
# share two cores among a hundred threads, and two of fifty live-server connections each exhaust
# PostgreSQL's limit of 100 ("too many clients"), which failed a CI run. Grouping them on one
# worker (``xdist_group`` with ``--dist loadgroup``) no longer does it: pytest-xdist 3.8 names
# the group by rewriting an item's ``_nodeid``, which pytest 9 no longer reads, so the tests
# are spread as with ``--dist load``. A lock file shared by the run's workers does it instead.
@pytest.fixture(autouse=True)
def _one_race_at_a_time(request, tmp_path_factory):
    if request.node.get_closest_marker("race") is None:
        yield
        return
    # Under xdist each worker's base directory is a child of the run's own.
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    with open(shared / "race.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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


@pytest.fixture
def reception(client, roles):
    """The test client, signed in as Rosa from reception, with both factors."""
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    return sign_in_with_second_factor(client, rosa)


@pytest.fixture
def clinic_admin(client, roles):
    """The test client, signed in as the clinic admin "chief", with both factors."""
    chief = UserFactory(username="chief")
    chief.groups.add(roles[role_names.CLINIC_ADMIN])
    return sign_in_with_second_factor(client, chief)


@pytest.fixture
def practitioner_client(client, roles):
    """The test client, signed in as a practitioner (``client.practitioner``) with both
    factors; they work at no location until a test gives them one."""
    practitioner = PractitionerFactory()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    sign_in_with_second_factor(client, practitioner.user)
    client.practitioner = practitioner
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
def treatments_setup(db):
    """A clinic ready for plans (``factories.treatment_clinic``) and a completed consultation
    there, assessed with PRP recommended, with its first practitioner."""
    from tests.factories import completed_consultation, treatment_clinic

    location, staff, consultation_type = treatment_clinic()
    consultation = completed_consultation(location, staff[0], consultation_type)
    return {
        "location": location,
        "practitioners": staff,
        "type": consultation_type,
        "consultation": consultation,
    }


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def monday_morning():
    """A fixed "now": Monday 2 March 2026, 06:00 UTC (06:00 in London, before opening)."""
    return datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


# A Wednesday in January at noon: Greenwich time in London (no summer hour), mid-week, mid-month,
# twelve hours from either midnight.
WINTER_NOON = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def winter_noon():
    """Run the test at WINTER_NOON, with the clock ticking on from there.

    For tests whose outcome would otherwise depend on the real date or time of day. Ask for it
    with ``@pytest.mark.usefixtures("winter_noon")`` so that it starts before the test's other
    fixtures, and the sessions and rows they make are dated by the same clock.
    """
    with time_machine.travel(WINTER_NOON, tick=True):
        yield WINTER_NOON


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


# Recorded from the first script of every page, so that the `look` fixture can fail a step
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
        # Bootstrap's fades and slides stop under reduced motion, so that a screenshot or an
        # axe check never catches an element half-way through a transition on a busy machine.
        options.setdefault("reduced_motion", "reduce")
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


def pytest_sessionfinish(session):
    """Remove the throwaway photo folder that this process's test settings made.

    Under xdist every worker, and the process that leads them, loads the settings and so has a
    folder of its own: each removes only its own.
    """
    from django.conf import settings

    if settings.configured and getattr(settings, "TEST_PHOTOS_ROOT", None):
        shutil.rmtree(settings.TEST_PHOTOS_ROOT, ignore_errors=True)


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} ({database['NAME']})"


@pytest.fixture
def look():
    """Screenshot a page and check it with axe-core: no serious or critical violation, and no
    Content-Security-Policy violation. Call it as ``look(page, "step-name")``."""
    from axe_playwright_python.sync_playwright import Axe

    def check(page, step):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=SCREENSHOTS / f"{step}-{width}.png", full_page=True)
        violations = page.evaluate("window.__cspViolations || []")
        assert not violations, f"{step}: Content-Security-Policy violations {violations}"
        results = Axe().run(page)
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{step}: {serious}"

    return check


@pytest.fixture
def staff_sign_in():
    """Sign a staff user in through the browser's sign-in pages: ``staff_sign_in(page, user,
    code)``, the user made with ``tests.factories.staff_user``."""

    def sign_in(page, user, code):
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Continue").click()

    return sign_in


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
