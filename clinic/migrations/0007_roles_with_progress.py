"""Apply the role matrix again once practitioners record measures and take clinic photos."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_roles_with_second_factors"),
        ("patients", "0009_progress"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
