from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """PostgreSQL's ``unaccent``, for the patient search (``clinic.plain_text``); nothing on
    SQLite, whose connections are given a function of the same name."""

    dependencies = [("patients", "0014_patient_self_rating")]

    operations = [UnaccentExtension()]
