import pytest
from django.test import Client, override_settings
from django.urls import reverse

from clinic.treatments import TREATMENTS


@pytest.mark.django_db
def test_home_page_links_to_treatments_and_booking(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("treatments") in html
    assert reverse("bookings:start") in html
    assert "not medical advice" in html
    # Bootstrap is served from this site, never a CDN.
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_treatments_page_explains_every_treatment(client):
    html = client.get(reverse("treatments")).content.decode()
    for treatment in TREATMENTS:
        assert f'id="{treatment.slug}"' in html
        assert treatment.recovery[:40] in html
    for words in ("adipose", "bone marrow", "minoxidil", "finasteride", "consultation comes first"):
        assert words in html.lower()


@pytest.mark.django_db
def test_unknown_page_gets_the_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_gets_the_friendly_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("staff:sign_in"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "This form expired" in response.content.decode()


@pytest.mark.django_db
def test_server_error_gets_the_friendly_500(client, settings):
    settings.ROOT_URLCONF = "tests.clinic.broken_urls"
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        ("bad_request", 400, "could not be understood"),
        ("permission_denied", 403, "do not have access"),
    ],
)
def test_error_handlers_render_in_the_clinic_look(rf, handler, status, text):
    from clinic import views

    response = getattr(views, handler)(rf.get("/"), Exception())
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_pages_send_security_headers(client):
    response = client.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_health_check_answers_with_one_query_and_sets_no_cookie(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/health/")
    assert response.status_code == 200 and response.content == b"ok"
    assert not response.cookies
    assert client.post("/health/").status_code == 405


def test_favicon_ico_leads_to_the_clinic_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_an_action_s_address_opened_as_a_link_explains_itself(client):
    """A POST-only address opened in the browser: the clinic's page, with its Allow header,
    instead of a blank one."""
    response = client.post("/health/")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    page = response.content.decode()
    assert "This address is a button" in page and "Go to the home page" in page


def test_a_staff_page_refused_leads_back_to_the_staff_pages(reception):
    """Reception refused the outcomes page: the way back is their own pages, not the clinic's
    website; a refusal outside the staff pages still leads home."""
    page = reception.get(reverse("staff:outcomes"))
    assert page.status_code == 403
    html = page.content.decode()
    assert f'href="{reverse("staff:home")}">Back to the staff pages' in html
    assert "Go to the home page" not in html
    assert "Go to the home page" in reception.get("/no-such-page/").content.decode()
