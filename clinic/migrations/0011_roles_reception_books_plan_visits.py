"""Apply the role matrix again: reception now reads a plan's visits and windows, to book them
one by one with the patient on the phone."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [("clinic", "0010_roles_with_waitlist")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
