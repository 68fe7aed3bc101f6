"""A schedule version per practitioner, for the slot picker's shared cache; one row each."""

import django.db.models.deletion
from django.db import migrations, models


def create_versions(apps, schema_editor):
    Practitioner = apps.get_model("bookings", "Practitioner")
    ScheduleVersion = apps.get_model("bookings", "ScheduleVersion")
    ScheduleVersion.objects.bulk_create(
        [
            ScheduleVersion(practitioner_id=pk)
            for pk in Practitioner.objects.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0008_booking_token_digest"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScheduleVersion",
            fields=[
                (
                    "practitioner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="schedule",
                        serialize=False,
                        to="bookings.practitioner",
                    ),
                ),
                ("version", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_versions, migrations.RunPython.noop),
    ]
