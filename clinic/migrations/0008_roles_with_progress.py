"""Apply the role matrix again once practitioners record measures and take clinic photos."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_roles_with_resources"),
        ("patients", "0010_progress"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
