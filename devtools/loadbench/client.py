"""A small HTTP client for the benchmark: one virtual browser per person, cookies kept by hand.

The benchmark talks to gunicorn as the TLS-terminating proxy of a real deployment does: plain
HTTP on loopback with ``X-Forwarded-Proto: https``. The app then runs exactly its production
settings (HTTPS redirect, HSTS, Secure cookies, Origin-checked CSRF). Python's cookie jar rightly
never sends a Secure cookie over plain HTTP, so each ``Browser`` keeps its cookies itself: they
stand for the browser's side of the TLS connection that the proxy would terminate.
"""

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import CommandError

# What the proxy in front of the app adds to every request it forwards.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    location: str
    body: str


class Browser:
    """One person's browser: their own cookies, so their own session and booking draft."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"https://{self.host}:{self.port}"

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in sorted(self.cookies.items()))

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", **PROXY_HEADERS}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Over HTTPS, Django's CSRF check wants the POST's Origin to be the site itself.
            headers["Origin"] = self.origin
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
            set_cookies = answer.headers.get_all("Set-Cookie") or []
            location = answer.headers.get("Location", "")
        finally:
            connection.close()
        for value in set_cookies:
            self.keep_cookie(value)
        return Response(answer.status, location, content.decode("utf-8", "replace"))

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def keep_cookie(self, header: str) -> None:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel.value and morsel["max-age"] != "0":
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)


def csrf_token(response: Response, what: str) -> str:
    found = CSRF_FIELD.search(response.body)
    if response.status != 200 or not found:
        raise CommandError(f"The {what} did not come back as a form (HTTP {response.status}).")
    return found.group(1)


def wait_until_serving(host: str, port: int, seconds: float = 60) -> None:
    """Wait for the app to answer its health check, as a load balancer would."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if Browser(host, port).get("/health/").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise CommandError(f"The app did not answer on {host}:{port} within {seconds:.0f} s.")
        time.sleep(0.2)


def wait_until_idle(host: str, port: int, seconds: float = 120) -> None:
    """Wait for requests queued by the previous scenario to drain.

    wrk stops at its duration with up to one request per connection still queued; a sync
    worker serves each of them anyway, and they would slow the next scenario's first seconds.
    The listening socket hands connections out in order, so a quick health check answered
    twice running means the queue has drained.
    """
    deadline = time.monotonic() + seconds
    quick = 0
    while quick < 2:
        started = time.monotonic()
        Browser(host, port).get("/health/")
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0
        if time.monotonic() > deadline:
            raise CommandError("The app did not settle between scenarios.")


def sign_in_staff(host: str, port: int, username: str, password: str, code: str) -> Browser:
    """Sign a member of staff in through both steps, as a person does: password, then code."""
    browser = Browser(host, port)
    form = csrf_token(browser.get("/staff/sign-in/"), "sign-in page")
    step = browser.post(
        "/staff/sign-in/",
        {"username": username, "password": password, "csrfmiddlewaretoken": form},
    )
    if step.status != 302 or "/staff/sign-in/code/" not in step.location:
        raise CommandError(f"The staff password step failed (HTTP {step.status}).")
    # Signing in rotates the CSRF token, so the code page's form carries a new one.
    form = csrf_token(browser.get(step.location), "code page")
    done = browser.post(step.location, {"code": code, "csrfmiddlewaretoken": form})
    if done.status != 302 or "/sign-in/" in done.location:
        raise CommandError(f"The staff code step failed (HTTP {done.status}).")
    return browser


@dataclass
class PreparedPatient:
    """A virtual patient waiting on the review page: what their confirm POST sends."""

    review_path: str
    cookie: str
    body: str
    details_ms: float
    session_key: str

    def line(self) -> str:
        """Return this patient's line for the wrk script: path, cookie, body, tab-separated."""
        return f"{self.review_path}\t{self.cookie}\t{self.body}\n"


def prepare_patient(host: str, port: int, details_path: str, form: dict) -> PreparedPatient:
    """Open the details page for a slot in a new browser and send the patient's answers.

    The app keeps them in a draft tied to this browser's session and sends it to the review
    page; the confirm POST from there is what the benchmark then times under load.
    """
    browser = Browser(host, port)
    token = csrf_token(browser.get(details_path), "details page")
    started = time.perf_counter()
    answer = browser.post(details_path, {**form, "csrfmiddlewaretoken": token})
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status != 302 or not answer.location.endswith("/review/"):
        raise CommandError(
            f"A virtual patient's details were not accepted (HTTP {answer.status}, "
            f"to {answer.location or 'nowhere'})."
        )
    body = urlencode({"csrfmiddlewaretoken": token})
    session = browser.cookies.get(settings.SESSION_COOKIE_NAME, "")
    return PreparedPatient(answer.location, browser.cookie_header(), body, elapsed, session)
