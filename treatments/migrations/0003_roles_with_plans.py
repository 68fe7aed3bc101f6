"""Apply the role matrix again now that practitioners and clinic admins work with plans."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_roles_with_second_factors"),
        ("treatments", "0002_seed_protocols"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
