"""Shared by the role migrations: create permissions, then apply clinic.roles' matrix."""

from django.contrib.auth.management import create_permissions

from clinic.roles import sync_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
