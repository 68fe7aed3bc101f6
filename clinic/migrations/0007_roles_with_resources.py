"""Apply the role matrix again once procedures hold rooms and equipment: clinic admins configure
them, and every role sees them."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_roles_with_second_factors"),
        ("bookings", "0012_resources"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
