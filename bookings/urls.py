from django.urls import path

from bookings import views

app_name = "bookings"

urlpatterns = [
    path("", views.ConsultationTypeListView.as_view(), name="start"),
    path("<slug:slug>/", views.ConsultationTimesView.as_view(), name="times"),
]
