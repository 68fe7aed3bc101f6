"""Apply the role matrix again: reception takes a patient off the waitlist at their request."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0012_roles_with_outcomes"),
        ("bookings", "0028_booking_fewer_indexes"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
