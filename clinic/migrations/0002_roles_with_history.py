"""Re-apply the role matrix once the audit trail's history tables exist."""

from django.db import migrations

from clinic.migrations import _roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_roles"),
        ("bookings", "0006_history"),
        ("patients", "0004_history"),
    ]

    operations = [migrations.RunPython(_roles.create_roles, migrations.RunPython.noop)]
