"""Apply the role matrix again: every role sees the days a location is closed; clinic admins
set them."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0013_roles_reception_takes_off_the_waitlist"),
        ("bookings", "0030_closures"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
