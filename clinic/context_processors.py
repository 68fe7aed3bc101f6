from django.conf import settings


def clinic(request):
    """Expose the clinic's name and contact details to every template."""
    return {"clinic": settings.CLINIC}
