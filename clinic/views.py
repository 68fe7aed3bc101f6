from django.db import connection
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from clinic.treatments import TREATMENTS


class HomeView(TemplateView):
    template_name = "clinic/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(treatments=TREATMENTS, **kwargs)


class TreatmentsView(TemplateView):
    template_name = "clinic/treatments.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(treatments=TREATMENTS, **kwargs)


@never_cache
@require_safe
def health(request):
    """For a load balancer's health check: the app answers and reaches its database, with one
    query that reads no table. The load benchmark also uses it as its floor."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (the admin's). Resolved per
    request, so that the static manifest is read only once it exists."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


# Error pages in the clinic's own look. Each renders a plain template with no database access,
# so that it still works when the database is the thing that failed.


def error_page(request, status, title, message):
    """Render the clinic's error page with a title and a message for a person, and a way
    back: to the staff pages from one of them, else to the clinic's home page."""
    context = {"status": status, "title": title, "message": message}
    staff_home = reverse("staff:home")
    if request.path.startswith(staff_home):
        context["back"] = (staff_home, "Back to the staff pages")
    return render(request, "clinic/error.html", context, status=status)


def bad_request(request, exception=None):
    return error_page(
        request, 400, "That request could not be understood", "Please go back and try again."
    )


def permission_denied(request, exception=None):
    return error_page(
        request,
        403,
        "You do not have access to this page",
        "If you work at the clinic, sign in with an account whose role allows it.",
    )


def page_not_found(request, exception=None):
    return error_page(
        request,
        404,
        "We could not find that page",
        "The link may be old or mistyped. You can start again from the home page.",
    )


def server_error(request):
    return error_page(
        request,
        500,
        "Something went wrong on our side",
        "Nothing you sent has been lost on purpose, but please try again in a few minutes. "
        "If it keeps happening, call the clinic.",
    )


def csrf_failure(request, reason=""):
    return error_page(
        request,
        403,
        "This form expired",
        "For your security, forms stop working after a while or when cookies are blocked. "
        "Please go back, reload the page and send it again.",
    )
