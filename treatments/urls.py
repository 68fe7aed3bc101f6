from django.urls import path

from treatments import rating_views, views

app_name = "treatments"

# Under the private link of the consultation the plan came from.
urlpatterns = [
    path("my-plan/<str:token>/", views.PlanView.as_view(), name="plan"),
    path("my-plan/<str:token>/plan.pdf", views.PlanPdfView.as_view(), name="plan_pdf"),
    path("my-plan/<str:token>/accept/", views.AcceptView.as_view(), name="accept"),
    path("my-plan/<str:token>/decline/", views.DeclineView.as_view(), name="decline"),
    path("my-plan/<str:token>/talk/", views.TalkView.as_view(), name="talk"),
    path("my-plan/<str:token>/book/", views.BookCourseView.as_view(), name="book_course"),
    path(
        "my-plan/<str:token>/visits/<int:order>/move/",
        views.MoveSessionView.as_view(),
        name="move",
    ),
    path(
        "my-plan/<str:token>/visits/<int:order>/pick/",
        views.PickSessionView.as_view(),
        name="pick",
    ),
    path(
        "my-plan/<str:token>/visits/<int:order>/check/",
        views.RescreenView.as_view(),
        name="rescreen",
    ),
    # Under the review's own private link: the patient rates their hair before it.
    path("my-booking/<str:token>/rating/", rating_views.RatingView.as_view(), name="rating"),
]
