"""Seed the default protocols, the consultation types they book, prices and consent texts."""

from django.db import migrations

from treatments.seed import seed


def forwards(apps, schema_editor):
    seed(
        ConsultationType=apps.get_model("bookings", "ConsultationType"),
        Practitioner=apps.get_model("bookings", "Practitioner"),
        Location=apps.get_model("bookings", "Location"),
        Protocol=apps.get_model("treatments", "Protocol"),
        ProtocolStep=apps.get_model("treatments", "ProtocolStep"),
        StepPrice=apps.get_model("treatments", "StepPrice"),
        ConsentText=apps.get_model("treatments", "ConsentText"),
    )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
