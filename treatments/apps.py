from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatment plans"

    def ready(self):
        # Plans join the patient's export and erasure (bookings.privacy's signals), and their
        # home (bookings.home's).
        from treatments import home, privacy  # noqa: F401
