"""Every staff page, under /staff/ and the ``staff:`` namespace."""

from django.contrib.auth import views as auth_views
from django.urls import path

from staff import auth
from staff.views import (
    outcomes,
    phone,
    plan_visits,
    plans,
    profile,
    progress,
    records,
    reschedule,
    reviews,
    today,
    waitlist,
)

app_name = "staff"

urlpatterns = [
    path("", today.StaffHomeView.as_view(), name="home"),
    path("week/", today.WeekView.as_view(), name="week"),
    path("month/", today.MonthView.as_view(), name="month"),
    path("waitlist/", waitlist.WaitlistView.as_view(), name="waitlist"),
    path(
        "waitlist/<int:pk>/remove/",
        waitlist.WaitlistRemoveView.as_view(),
        name="waitlist_remove",
    ),
    path("book/", phone.PhoneBookingView.as_view(), name="phone_booking"),
    path("bookings/<int:pk>/move/", reschedule.StaffRescheduleView.as_view(), name="reschedule"),
    path(
        "bookings/<int:pk>/<slug:action>/",
        today.BookingActionView.as_view(),
        name="booking_action",
    ),
    path("patients/", records.PatientSearchView.as_view(), name="patient_search"),
    path("patients/<int:pk>/", records.PatientView.as_view(), name="patient"),
    path("patients/<int:pk>/export/", records.PatientExportView.as_view(), name="patient_export"),
    path("patients/<int:pk>/erase/", records.PatientEraseView.as_view(), name="patient_erase"),
    path("patients/<int:pk>/progress/", progress.TimelineView.as_view(), name="timeline"),
    path("patients/<int:pk>/progress/compare/", progress.CompareView.as_view(), name="compare"),
    path("visits/<int:pk>/measures/", progress.VisitMeasuresView.as_view(), name="visit_measures"),
    path("visits/<int:pk>/photos/", progress.VisitPhotosView.as_view(), name="visit_photos"),
    path("clinic-photos/<int:pk>/", progress.ClinicPhotoFileView.as_view(), name="clinic_photo"),
    path("outcomes/", outcomes.OutcomesView.as_view(), name="outcomes"),
    path("reviews/", reviews.ReviewQueueView.as_view(), name="review_queue"),
    path("reviews/<int:pk>/", reviews.ReviewView.as_view(), name="review"),
    path("reviews/<int:pk>/assessment/", reviews.AssessmentView.as_view(), name="assessment"),
    path("reviews/<int:pk>/plan/", plans.PlanCreateView.as_view(), name="plan_new"),
    path("plans/", plans.PlansView.as_view(), name="plans"),
    path("plans/sessions/<int:pk>/", plans.SessionRecordView.as_view(), name="session_record"),
    path(
        "plans/sessions/<int:pk>/clear/",
        plans.RescreenClearView.as_view(),
        name="rescreen_clear",
    ),
    path("plans/<int:pk>/", plans.PlanView.as_view(), name="plan"),
    path("plans/<int:pk>/plan.pdf", plans.PlanPdfView.as_view(), name="plan_pdf"),
    path("plans/<int:pk>/visits/", plan_visits.PlanVisitsView.as_view(), name="plan_visits"),
    path(
        "plans/<int:pk>/visits/<int:order>/",
        plan_visits.PlanVisitsView.as_view(),
        name="plan_visit",
    ),
    path("plans/<int:pk>/<slug:action>/", plans.PlanActionView.as_view(), name="plan_action"),
    path("photos/<int:pk>/", reviews.StaffPhotoView.as_view(), name="photo"),
    path("me/", profile.ProfileView.as_view(), name="profile"),
    path("me/password/", profile.PasswordChangeView.as_view(), name="password_change"),
    path(
        "me/diary-feed/<slug:action>/",
        profile.CalendarFeedChangeView.as_view(),
        name="calendar_feed_change",
    ),
    path("diary/<str:token>.ics", profile.CalendarFeedView.as_view(), name="calendar_feed"),
    path("sign-in/", auth.StaffSignInView.as_view(), name="sign_in"),
    path("sign-in/code/", auth.VerifyView.as_view(), name="verify"),
    path("sign-in/set-up/", auth.EnrolView.as_view(), name="enrol"),
    path("backup-codes/", auth.BackupCodesView.as_view(), name="backup_codes"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign_out"),
]
