"""An assessment's draft may leave parts for later; signed off, its coded findings are whole.

On SQLite, adding the constraint rebuilds the assessment table (Django copies it to a new one):
the triggers on it (the recommendation counts, migration 0016; whether a booking is assessed,
bookings' migration 0025) would be lost with the old table, and the one on the booking table
that reads it stops the rename. They are dropped first and made again after, as bookings' 0025
does for the booking table. PostgreSQL adds the constraint in place.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

RECOMMENDATION_COUNTS = importlib.import_module("patients.migrations.0016_recommendation_day")
ASSESSED = importlib.import_module("bookings.migrations.0025_booking_assessed")


def before_rebuild(apps, schema_editor):
    """On SQLite, drop the triggers that name the assessment table."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*ASSESSED.SQLITE_DROP, *RECOMMENDATION_COUNTS.SQLITE_DROP]:
            schema_editor.execute(statement)


def after_rebuild(apps, schema_editor):
    """On SQLite, make them again once the table is rebuilt (their counts are unchanged)."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*ASSESSED.SQLITE, *RECOMMENDATION_COUNTS.SQLITE]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0029_procedure_asks_no_intake"),
        ("patients", "0016_recommendation_day"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="assessment",
            name="likely_cause",
            field=models.CharField(
                blank=True,
                choices=[
                    ("androgenetic", "Androgenetic alopecia"),
                    ("telogen_effluvium", "Telogen effluvium"),
                    ("alopecia_areata", "Alopecia areata"),
                    ("traction", "Traction alopecia"),
                    ("scarring", "Scarring alopecia: refer"),
                    ("other", "Other"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="assessment",
            name="patient_summary",
            field=models.TextField(blank=True, help_text="Plain words, for the patient."),
        ),
        migrations.AlterField(
            model_name="assessment",
            name="pattern",
            field=models.CharField(
                blank=True,
                choices=[
                    ("male_pattern", "Male pattern (Norwood–Hamilton)"),
                    ("female_pattern", "Female pattern (Ludwig)"),
                    ("diffuse", "Diffuse thinning"),
                    ("patchy", "Patchy loss"),
                    ("frontal_fibrosing", "Frontal hairline recession with scalp changes"),
                    ("other", "Other"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="assessment",
            name="rationale",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="assessment",
            name="recommendations",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="assessment",
            name="stage",
            field=models.CharField(
                blank=True,
                choices=[
                    (
                        "nh1",
                        "Norwood–Hamilton I: no real loss, the hairline is where it always was",
                    ),
                    ("nh2", "Norwood–Hamilton II: slight recession at the temples"),
                    (
                        "nh3",
                        "Norwood–Hamilton III: clear recession at the temples, an M-shaped hairline",
                    ),
                    (
                        "nh4",
                        "Norwood–Hamilton IV: receded front and a thinning crown, with hair between",
                    ),
                    (
                        "nh5",
                        "Norwood–Hamilton V: front and crown loss joined by only a thin band of hair",
                    ),
                    (
                        "nh6",
                        "Norwood–Hamilton VI: the band is gone; the top is bald from front to crown",
                    ),
                    ("nh7", "Norwood–Hamilton VII: only a band of hair around the sides and back"),
                    ("l1", "Ludwig I: a widening parting, thinning on top that is easy to hide"),
                    ("l2", "Ludwig II: a clearly wider parting and noticeable thinning on top"),
                    ("l3", "Ludwig III: the scalp shows through on top"),
                    ("not_sure", "Not sure"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="historicalassessment",
            name="likely_cause",
            field=models.CharField(
                blank=True,
                choices=[
                    ("androgenetic", "Androgenetic alopecia"),
                    ("telogen_effluvium", "Telogen effluvium"),
                    ("alopecia_areata", "Alopecia areata"),
                    ("traction", "Traction alopecia"),
                    ("scarring", "Scarring alopecia: refer"),
                    ("other", "Other"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="historicalassessment",
            name="patient_summary",
            field=models.TextField(blank=True, help_text="Plain words, for the patient."),
        ),
        migrations.AlterField(
            model_name="historicalassessment",
            name="pattern",
            field=models.CharField(
                blank=True,
                choices=[
                    ("male_pattern", "Male pattern (Norwood–Hamilton)"),
                    ("female_pattern", "Female pattern (Ludwig)"),
                    ("diffuse", "Diffuse thinning"),
                    ("patchy", "Patchy loss"),
                    ("frontal_fibrosing", "Frontal hairline recession with scalp changes"),
                    ("other", "Other"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="historicalassessment",
            name="rationale",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="historicalassessment",
            name="recommendations",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="historicalassessment",
            name="stage",
            field=models.CharField(
                blank=True,
                choices=[
                    (
                        "nh1",
                        "Norwood–Hamilton I: no real loss, the hairline is where it always was",
                    ),
                    ("nh2", "Norwood–Hamilton II: slight recession at the temples"),
                    (
                        "nh3",
                        "Norwood–Hamilton III: clear recession at the temples, an M-shaped hairline",
                    ),
                    (
                        "nh4",
                        "Norwood–Hamilton IV: receded front and a thinning crown, with hair between",
                    ),
                    (
                        "nh5",
                        "Norwood–Hamilton V: front and crown loss joined by only a thin band of hair",
                    ),
                    (
                        "nh6",
                        "Norwood–Hamilton VI: the band is gone; the top is bald from front to crown",
                    ),
                    ("nh7", "Norwood–Hamilton VII: only a band of hair around the sides and back"),
                    ("l1", "Ludwig I: a widening parting, thinning on top that is easy to hide"),
                    ("l2", "Ludwig II: a clearly wider parting and noticeable thinning on top"),
                    ("l3", "Ludwig III: the scalp shows through on top"),
                    ("not_sure", "Not sure"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(before_rebuild, after_rebuild),
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("signed_off_at__isnull", True),
                    models.Q(
                        models.Q(("pattern", ""), _negated=True),
                        models.Q(("stage", ""), _negated=True),
                        models.Q(("likely_cause", ""), _negated=True),
                        models.Q(("recommendations", []), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="assessment_signed_off_complete",
            ),
        ),
        migrations.RunPython(after_rebuild, before_rebuild),
    ]
