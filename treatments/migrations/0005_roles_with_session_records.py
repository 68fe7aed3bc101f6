"""Apply the role matrix again: practitioners record procedure sessions."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_session_records")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
