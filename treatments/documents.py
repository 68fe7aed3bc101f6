"""The plan and its signed consent as a PDF, for the patient to keep and for the record.

The PDF is drawn from a Django template (so every text is escaped as on a page) by WeasyPrint,
which needs Pango from the system. Where Pango is missing the rest of the app still runs: only
the PDF is refused, with a message that says what to install.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import ImageFile

from treatments import selectors
from treatments.models import Plan

PANGO_MISSING = (
    "The PDF cannot be made on this server: WeasyPrint needs Pango "
    "(on Debian or Ubuntu: apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 "
    "fonts-dejavu-core). Everything else about the plan works."
)


class PdfUnavailable(Exception):
    """WeasyPrint cannot run here (no Pango); ``message`` says what to install."""

    def __init__(self, message: str = PANGO_MISSING):
        super().__init__(message)
        self.message = message


def _weasyprint():
    accept_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        # Loaded on first use: it needs Pango, which may be absent.
        import weasyprint
    except OSError:  # WeasyPrint raises OSError when it cannot load the Pango library
        raise PdfUnavailable() from None
    finally:
        # Importing WeasyPrint tells Pillow, for the whole process, to accept truncated images;
        # the patients' photo checks must go on refusing them (the PDFs load no image at all).
        ImageFile.LOAD_TRUNCATED_IMAGES = accept_truncated
    return weasyprint


def plan_pdf_filename(plan: Plan) -> str:
    return f"treatment-plan-{plan.created_at:%Y-%m-%d}.pdf"


def plan_pdf(plan: Plan, now: datetime | None = None) -> bytes:
    """Return the PDF of ``plan`` (loaded with ``selectors.plan_with_steps``): its visits with
    their windows and prices, what to expect, the risks, and each consent signed with the exact
    text and version, the name typed, when and from which address."""
    weasyprint = _weasyprint()
    now = now or timezone.now()
    today = now.astimezone(plan.location.zone).date()
    html = render_to_string(
        "treatments/plan_pdf.html",
        {
            "clinic": settings.CLINIC,
            "plan": plan,
            "steps": selectors.step_views(plan, today),
            "quote": selectors.quote(plan.steps.all()),
            "judging": selectors.judge_window(plan),
            "consents": list(plan.consents.all()),
            "made_at": now,
        },
    )
    # The document is self-contained: no protocol is allowed, so nothing it holds can make the
    # server fetch a file or an address, whatever a patient or a practitioner typed.
    fetcher = weasyprint.URLFetcher(allowed_protocols=set(), fail_on_errors=False)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf()


def plan_pdf_response(plan: Plan, now: datetime | None = None) -> HttpResponse:
    """The PDF of ``plan`` as a download (raises PdfUnavailable where it cannot be made)."""
    response = HttpResponse(plan_pdf(plan, now), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{plan_pdf_filename(plan)}"'
    return response
