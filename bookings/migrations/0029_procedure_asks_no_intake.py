"""A procedure never asks the hair-loss questions: procedure types made with the box ticked are
set to not ask (their patients were reminded of questions their booking page no longer shows),
then the database keeps it so."""

from django.db import migrations, models


def procedures_ask_no_intake(apps, schema_editor):
    ConsultationType = apps.get_model("bookings", "ConsultationType")
    ConsultationType.objects.filter(kind="procedure").update(intake_required=False)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0028_booking_fewer_indexes")]

    operations = [
        migrations.RunPython(procedures_ask_no_intake, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="consultationtype",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind", "consultation"), ("intake_required", False), _connector="OR"
                ),
                name="consultation_type_procedure_asks_no_intake",
                violation_error_message="A procedure does not ask the hair-loss questions (its "
                "patients answer a health check before each session): untick “Intake required”.",
            ),
        ),
    ]
