"""Create the staff roles (Reception, Practitioner, Clinic admin) from clinic.roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from clinic.roles import sync_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("bookings", "0005_consultation_type_position"),
        ("patients", "0003_screening_rules"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
