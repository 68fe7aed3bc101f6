"""Apply the role matrix again once patients can be exported and erased (clinic admins)."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_roles_with_assessments"),
        ("patients", "0006_patient_erasure"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
