"""Create the staff roles (Reception, Practitioner, Clinic admin) from clinic.roles."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("bookings", "0005_consultation_type_position"),
        ("patients", "0003_screening_rules"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
