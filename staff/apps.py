from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Every page the clinic's team uses: sign-in, the diary, patients, reviews, privacy."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "staff"
    verbose_name = "Staff pages"
