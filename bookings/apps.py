from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings and schedules"

    def ready(self):
        # The receivers that keep the slot picker's cache true.
        from bookings import picker_cache  # noqa: F401
