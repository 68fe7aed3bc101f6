"""Apply the role matrix again now that the waitlist exists: reception and practitioners read
the day's waitlist."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0009_roles_with_plans_and_progress"),
        ("bookings", "0019_waitlist"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
