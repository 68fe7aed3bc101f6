"""Apply the role matrix again once assessments exist (practitioners record them)."""

from django.db import migrations

from clinic.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [("clinic", "0003_clinical_reads"), ("patients", "0005_assessment")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
