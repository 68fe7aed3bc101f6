from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from bookings import staff_views as booking_staff_views
from clinic import staff_auth, staff_views, views
from patients import privacy_views
from patients import staff_views as patient_staff_views

admin.site.site_header = f"{settings.CLINIC['name']} administration"
admin.site.site_title = settings.CLINIC["name"]
admin.site.index_title = "Clinic configuration"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("treatments/", views.TreatmentsView.as_view(), name="treatments"),
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's).
    path("favicon.ico", views.favicon),
    path("staff/", staff_views.StaffHomeView.as_view(), name="staff_home"),
    path("staff/book/", booking_staff_views.PhoneBookingView.as_view(), name="phone_booking"),
    path("staff/week/", staff_views.WeekView.as_view(), name="staff_week"),
    path("staff/reviews/", patient_staff_views.ReviewQueueView.as_view(), name="review_queue"),
    path("staff/patients/", patient_staff_views.PatientSearchView.as_view(), name="patient_search"),
    path("staff/patients/<int:pk>/", patient_staff_views.PatientView.as_view(), name="patient"),
    path(
        "staff/patients/<int:pk>/export/",
        privacy_views.PatientExportView.as_view(),
        name="patient_export",
    ),
    path(
        "staff/patients/<int:pk>/erase/",
        privacy_views.PatientEraseView.as_view(),
        name="patient_erase",
    ),
    path("staff/reviews/<int:pk>/", patient_staff_views.ReviewView.as_view(), name="review"),
    path(
        "staff/reviews/<int:pk>/assessment/",
        patient_staff_views.AssessmentView.as_view(),
        name="assessment",
    ),
    path(
        "staff/photos/<int:pk>/", patient_staff_views.StaffPhotoView.as_view(), name="staff_photo"
    ),
    path(
        "staff/bookings/<int:pk>/move/",
        booking_staff_views.StaffRescheduleView.as_view(),
        name="staff_reschedule",
    ),
    path(
        "staff/bookings/<int:pk>/<slug:action>/",
        staff_views.BookingActionView.as_view(),
        name="staff_booking_action",
    ),
    path("staff/sign-in/", staff_auth.StaffSignInView.as_view(), name="login"),
    path("staff/sign-in/code/", staff_auth.VerifyView.as_view(), name="staff_verify"),
    path("staff/sign-in/set-up/", staff_auth.EnrolView.as_view(), name="staff_enrol"),
    path("staff/backup-codes/", staff_auth.BackupCodesView.as_view(), name="staff_backup_codes"),
    path("staff/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("bookings.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "clinic.views.bad_request"
handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"
