from django.urls import path

from bookings import home_views, manage_views, progress_views, views, waitlist_views

app_name = "bookings"

urlpatterns = [
    path("book/", views.ConsultationTypeListView.as_view(), name="start"),
    # A booking in progress: its draft's token, valid only in the browser session that began it.
    path(
        "book/in-progress/<str:token>/details/",
        views.DraftDetailsView.as_view(),
        name="draft_details",
    ),
    path("book/in-progress/<str:token>/review/", views.ReviewView.as_view(), name="review"),
    path("book/in-progress/<str:token>/time/", views.DraftTimeView.as_view(), name="draft_time"),
    path("book/in-progress/<str:token>/done/", views.DoneView.as_view(), name="done"),
    path("book/<slug:slug>/", views.SlotPickerView.as_view(), name="times"),
    path("book/<slug:slug>/details/", views.DetailsView.as_view(), name="details"),
    path("book/<slug:slug>/waitlist/", waitlist_views.WaitlistJoinView.as_view(), name="waitlist"),
    # A waitlist entry's link, and the link to claim one freed time offered to it.
    path(
        "waitlist/<str:token>/", waitlist_views.WaitlistEntryView.as_view(), name="waitlist_entry"
    ),
    path(
        "waitlist/<str:token>/leave/",
        waitlist_views.WaitlistLeaveView.as_view(),
        name="waitlist_leave",
    ),
    path(
        "waitlist/offer/<str:token>/",
        waitlist_views.WaitlistClaimView.as_view(),
        name="waitlist_claim",
    ),
    # The patient's private link.
    path("my-booking/<str:token>/", manage_views.ManageView.as_view(), name="manage"),
    path(
        "my-booking/<str:token>/calendar.ics", manage_views.CalendarView.as_view(), name="calendar"
    ),
    path("my-booking/<str:token>/cancel/", manage_views.CancelView.as_view(), name="cancel"),
    path("my-booking/<str:token>/move/", manage_views.RescheduleView.as_view(), name="reschedule"),
    path("my-booking/<str:token>/questions/", manage_views.IntakeEditView.as_view(), name="intake"),
    path(
        "my-booking/<str:token>/progress/",
        progress_views.PatientProgressView.as_view(),
        name="progress",
    ),
    path(
        "my-booking/<str:token>/progress/photos/<int:photo_id>/",
        progress_views.PatientProgressPhotoView.as_view(),
        name="progress_photo",
    ),
    path(
        "my-booking/<str:token>/photos/<int:photo_id>/",
        manage_views.PhotoView.as_view(),
        name="photo",
    ),
    # The patient's home: a sign-in link by e-mail, no password (bookings/home_views.py).
    path("my-home/", home_views.HomeView.as_view(), name="home"),
    path("my-home/sign-in/", home_views.SignInView.as_view(), name="home_sign_in"),
    path("my-home/sign-in/sent/", home_views.LinkSentView.as_view(), name="home_link_sent"),
    path("my-home/sign-in/<str:token>/", home_views.OpenLinkView.as_view(), name="home_open"),
    path("my-home/sign-out/", home_views.SignOutView.as_view(), name="home_sign_out"),
    path("my-home/details/", home_views.DetailsView.as_view(), name="home_details"),
    path("my-home/e-mail/<str:token>/", home_views.EmailConfirmView.as_view(), name="home_email"),
    path("my-home/photo-consent/", home_views.PhotoConsentView.as_view(), name="home_photos"),
    path("my-home/my-data/", home_views.ExportView.as_view(), name="home_export"),
    path("my-home/erase/", home_views.EraseView.as_view(), name="home_erase"),
]
