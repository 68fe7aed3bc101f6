"""The types a plan books (sessions and treatment reviews) are procedures: staff and plans book
them, never the public booking pages, and they ask for no hair-loss intake (a health check
before each procedure does that job)."""

from django.db import migrations

from treatments.seed import TYPES


def forwards(apps, schema_editor):
    ConsultationType = apps.get_model("bookings", "ConsultationType")
    ConsultationType.objects.filter(slug__in=list(TYPES)).update(
        kind="procedure", intake_required=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0007_rescreens"),
        ("bookings", "0017_location_country_code"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
