"""Apply the role matrix again once every model of this wave exists: clinic admins read the
anonymous outcome records."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0011_roles_reception_books_plan_visits"),
        ("treatments", "0010_rating_invitations_and_outcomes"),
        ("patients", "0014_patient_self_rating"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
