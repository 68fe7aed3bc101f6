from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatment plans"

    def ready(self):
        # Plans join the patient's export and erasure (bookings.privacy's signals) and their
        # home (bookings.home's); each course's anonymous outcome follows the measures and
        # ratings as they are saved; a review's booking page offers the patient's rating; a
        # consultation a plan was made from stays completed.
        from treatments import arrivals, home, outcomes, privacy, rating_views  # noqa: F401
