"""Apply the role matrix again: clinic admins read the anonymous outcome records."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0009_rating_invitations_and_outcomes"),
        ("patients", "0013_patient_self_rating"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
