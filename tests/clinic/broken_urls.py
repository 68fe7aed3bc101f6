"""A URLconf with one failing view, to prove the friendly 500 page renders."""

from django.urls import path

from clinic.urls import handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("deliberate failure for the 500 page test")


urlpatterns = [*urlpatterns, path("boom/", boom)]
