from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from clinic import views

admin.site.site_header = f"{settings.CLINIC['name']} administration"
admin.site.site_title = settings.CLINIC["name"]
admin.site.index_title = "Clinic configuration"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("treatments/", views.TreatmentsView.as_view(), name="treatments"),
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's).
    path("favicon.ico", views.favicon),
    path("staff/", include("staff.urls")),
    path("", include("bookings.urls")),
    path("", include("treatments.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "clinic.views.bad_request"
handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"
