"""Apply the role matrix once more after every app's models exist: plans, session records,
measures and clinic photos came in on separate branches, each with a role migration that could
run before the other's tables."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0008_roles_with_progress"),
        ("treatments", "0008_treatment_types_booked_from_plans"),
        ("patients", "0012_phone_international"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
