"""Hostile form data for the fuzz tests, and the test case they run in.

A fuzz case starts from a valid submission and mutates it: values replaced by random unicode,
very long text, HTML and script, NUL bytes, impossible dates, numbers, lists; fields dropped,
duplicated or invented; hidden fields (start, location, practitioner, type) tampered with.
Each example runs in its own transaction (``hypothesis.extra.django.TestCase``), so that what
one example writes never changes what the next one sees. How many examples a property runs comes
from the Hypothesis profile chosen in tests/conftest.py (``HYPOTHESIS_PROFILE``), never from a test.
"""

from http.cookies import SimpleCookie

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from patients.choices import PHOTO_VIEWS

SCRIPT_AND_MARKUP = [
    "<script>alert(1)</script>",
    '"><script>alert(document.cookie)</script>',
    "'><img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${7*7}",
    "' OR '1'='1' --",
    "'; DROP TABLE bookings_booking; --",
    "%00",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "\u202egnp.exe",
    "\ufeff",
    "\r\nSet-Cookie: sessionid=stolen",
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
]

IMPOSSIBLE_DATES = [
    "2026-02-30",
    "2026-02-29",
    "2025-13-01",
    "2026-00-10",
    "2026-04-31",
    "99999-01-01",
    "9999-12-31",
    "0000-00-00",
    "0001-01-01",
    "1899-12-31",
    "-2026-01-01",
    "2026/02/30",
    "30/02/2026",
    "31.12.9999",
    "2026-02-30T25:61:61",
    "1e309",
    "tomorrow",
]

# The same, in the compact form of a slot's start (YYYYmmddTHHMMZ) that hidden fields carry.
IMPOSSIBLE_STARTS = [
    "20260230T1000Z",
    "20261301T1000Z",
    "20260101T2500Z",
    "20260101T1061Z",
    "999990101T1000Z",
    "99991231T2359Z",
    "00010101T0000Z",
    "19700101T0000Z",
    "20260101T1000",
    "2026-01-01T10:00Z",
    "20260101T1000+01",
]

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _with_nul(text):
    middle = len(text) // 2
    return text[:middle] + "\x00" + text[middle:]


# Text a browser can send: any unicode character except lone surrogates, which cannot be
# encoded as UTF-8 at all.
UNICODE = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)

SCALARS = st.one_of(
    UNICODE,
    st.just(""),
    st.sampled_from([" ", "\t\n", "\u00a0", "\u200b"]),
    # Very long text: up to about 12,000 characters, past every max_length in the forms (the
    # longest is 5,000).
    st.tuples(st.text(min_size=1, max_size=8), st.integers(min_value=50, max_value=1_500)).map(
        lambda pair: pair[0] * pair[1]
    ),
    st.sampled_from(SCRIPT_AND_MARKUP),
    UNICODE.map(_with_nul),
    st.just("\x00"),
    st.sampled_from(IMPOSSIBLE_DATES),
    st.sampled_from(IMPOSSIBLE_STARTS),
    NUMBERS,
    st.booleans(),
)

# A list where one value is expected: the field is sent several times.
VALUES = st.one_of(SCALARS, st.lists(SCALARS, min_size=2, max_size=4))

# Names of fields no form has; some look like framework or array syntax.
INVENTED_NAMES = st.one_of(
    UNICODE.filter(bool),
    st.sampled_from(
        [
            "areas[]",
            "id",
            "pk",
            "booking",
            "patient",
            "status",
            "is_staff",
            "__proto__",
            "csrfmiddlewaretoken",
            "_method",
        ]
    ),
)


MUTATION_COUNTS = st.integers(min_value=0, max_value=8)
MUTATIONS = st.sampled_from(("replace", "replace", "drop", "duplicate", "add"))


def one_of_these(options):
    """``sampled_from`` over a tuple: Hypothesis then reuses one strategy object for the same
    options instead of building and validating a new one for every example."""
    return st.sampled_from(tuple(options))


WILD = "<anything>"
TOKENS = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)
BIG_INTEGERS = st.integers(min_value=-5, max_value=2**70)


def known_or_wild(data, known, wild, label):
    """One of the ``known`` values, or now and then a value drawn from ``wild`` (a strategy
    made once, at import): no strategy is built and validated again for every example."""
    chosen = data.draw(one_of_these((*known, WILD)), label=label)
    return data.draw(wild, label=label) if chosen == WILD else chosen


@st.composite
def mutated(draw, valid, tamper=()):
    """Return ``valid`` with up to eight mutations: replace, drop, duplicate or add a field.

    ``tamper`` names fields worth attacking even when ``valid`` lacks them (hidden fields,
    optional fields, fields of another form).
    """
    data = dict(valid)
    names = tuple(sorted({*valid, *tamper}))
    for _ in range(draw(MUTATION_COUNTS)):
        action = draw(MUTATIONS)
        if action == "add":
            data[draw(INVENTED_NAMES)] = draw(VALUES)
            continue
        name = draw(one_of_these(names))
        if action == "replace":
            data[name] = draw(VALUES)
        elif action == "drop":
            data.pop(name, None)
        else:
            current = data.get(name, "")
            current = current if isinstance(current, list) else [current]
            data[name] = [*current, draw(SCALARS)]
    return data


def garbage_upload(content, name):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


# Files that claim to be photos and are not: random bytes, a truncated JPEG header, empty.
GARBAGE_FILES = st.one_of(
    st.binary(max_size=2000),
    st.just(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    st.just(b""),
    st.just(b"GIF89a" + b"\x00" * 20),
).map(lambda content: garbage_upload(content, "scalp.jpg"))


# The photo fields of the intake forms, and up to two files in them that claim to be scalp
# photos and are not.
PHOTO_FIELDS = [f"photo_{key}" for key, _ in PHOTO_VIEWS]
PHOTO_UPLOADS = st.dictionaries(st.sampled_from(PHOTO_FIELDS), GARBAGE_FILES, max_size=2)


def encodable(data):
    """Drop nothing, but turn every value into something the test client can send."""
    out = {}
    for name, value in data.items():
        if isinstance(value, list):
            out[name] = [v if hasattr(v, "read") else str(v) for v in value]
        else:
            out[name] = value if hasattr(value, "read") else str(value)
    return out


class FuzzTestCase(TestCase):
    """Each Hypothesis example in its own transaction, rolled back after it.

    One test client serves every example, with its cookies emptied each time: a new client
    would build Django's middleware chain again, and WhiteNoise then indexes every static
    file, which costs more than most of the requests under test. The cache (rate-limit
    counters, failed-code counters) is emptied too, so that every example is a first request.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Django's test environment wraps every template render to record its context for
        # ``response.context``; a crispy form page renders hundreds of small templates, and
        # the recording costs about a fifth of the request. These tests read no context, so
        # the pages are rendered as in production, by the same templates.
        cls._instrumented_render = Template._render
        Template._render = _TestState.saved_data.template_render

    @classmethod
    def tearDownClass(cls):
        Template._render = cls._instrumented_render
        super().tearDownClass()

    @classmethod
    def _pre_setup(cls):
        super()._pre_setup()
        if "_shared_client" not in cls.__dict__:
            cls._shared_client = Client()
        cls._shared_client.cookies = SimpleCookie()
        cls.client = cls._shared_client
        cache.clear()

    def send(self, method, path, data=None, *, urlencoded=False, **extra):
        """Send a request; a server error is a failure however it shows itself.

        The test client re-raises an exception from a view, which fails the example; a 5xx
        returned without one fails it here.
        """
        data = encodable(data or {})
        if method == "get":
            response = self.client.get(path, data, **extra)
        elif urlencoded:
            from urllib.parse import urlencode

            body = urlencode(data, doseq=True)
            response = self.client.generic(
                method.upper(), path, body, "application/x-www-form-urlencoded", **extra
            )
        else:
            response = getattr(self.client, method)(path, data, **extra)
        assert response.status_code < 500, (response.status_code, method, path, data)
        assert_no_markup_reflected(response, path, data)
        event(f"{method.upper()} answered {response.status_code}")
        return response

    def use_session(self, session_key):
        from django.conf import settings as django_settings

        self.client.cookies[django_settings.SESSION_COOKIE_NAME] = session_key


# Payloads that would be live markup if a page repeated them without escaping.
MARKUP = [payload for payload in SCRIPT_AND_MARKUP if "<" in payload]


def _sent_strings(path, data):
    from urllib.parse import unquote

    yield unquote(path)
    for value in data.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                yield item


def assert_no_markup_reflected(response, path, data):
    """No script or markup sent in the request comes back unescaped in an HTML page."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    sent = [payload for payload in MARKUP if any(payload in s for s in _sent_strings(path, data))]
    if sent:
        page = response.content.decode(errors="replace")
        for payload in sent:
            assert payload not in page, f"{payload!r} reflected unescaped by {path}"


def row_counts(*models):
    """Count the rows of each model's table, in one query (it runs twice per example)."""
    from django.db import connection

    # The table names come from the models' metadata, quoted: nothing from a request.
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    counts = [f"(SELECT COUNT(*) FROM {table})" for table in tables]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts))
        return dict(zip([model.__name__ for model in models], cursor.fetchone(), strict=True))


def local_slot(location, days, hour, minute=0):
    """A start ``days`` ahead at ``hour:minute`` clinic time (daylight saving cannot move it
    out of the 09:00-17:00 hours of ``bookable_clinic``)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    day = timezone.now().astimezone(location.zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=location.zone)


def query_string(data):
    from urllib.parse import urlencode

    return urlencode(encodable(data), doseq=True)
