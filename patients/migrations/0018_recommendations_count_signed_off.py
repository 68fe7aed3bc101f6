"""The clinic's recommendation counts (``RecommendationDay``, migration 0016) count signed-off
assessments only.

Since a draft may be saved half-written (0017), a draft's options counted as recommendations
made: a draft left unfinished, or options tried and changed, showed on the dashboard as advice
given. The triggers now count an assessment's options from when it is signed off (on the day it
was made, as before) and take them back if it were ever deleted; the counts are made again from
the signed-off assessments alone.

On SQLite, a later migration that rebuilds the assessment table drops these triggers (as 0017
did 0016's): tests/patients/test_recommendation_days.py then fails, and that migration must make
``SQLITE`` of this module again.
"""

import importlib

from django.db import migrations

BEFORE = importlib.import_module("patients.migrations.0016_recommendation_day")

FILL = {
    "postgresql": """
        INSERT INTO patients_recommendationday (day, option, count)
        SELECT (a.created_at AT TIME ZONE 'UTC')::date, o, COUNT(*)
        FROM patients_assessment a, assessment_recommendations_options(a.recommendations) o
        WHERE a.signed_off_at IS NOT NULL
        GROUP BY 1, 2
    """,
    "sqlite": """
        INSERT INTO patients_recommendationday (day, option, count)
        SELECT date(a.created_at), j.value, COUNT(*)
        FROM patients_assessment a, json_each(a.recommendations) j
        WHERE json_type(a.recommendations) = 'array' AND j.type = 'text' AND a.signed_off_at IS NOT NULL
        GROUP BY 1, 2
    """,
}
EMPTY = "DELETE FROM patients_recommendationday"

# As 0016's, each side of a change counted only when that side is signed off.
POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION assessment_recommendations_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        change RECORD;
    BEGIN
        FOR change IN
            SELECT c.day, c.option, SUM(c.delta) AS delta FROM (
                SELECT (OLD.created_at AT TIME ZONE 'UTC')::date AS day, o AS option, -1 AS delta
                FROM assessment_recommendations_options(OLD.recommendations) o
                WHERE TG_OP IN ('UPDATE', 'DELETE') AND OLD.signed_off_at IS NOT NULL
                UNION ALL
                SELECT (NEW.created_at AT TIME ZONE 'UTC')::date, o, 1
                FROM assessment_recommendations_options(NEW.recommendations) o
                WHERE TG_OP IN ('UPDATE', 'INSERT') AND NEW.signed_off_at IS NOT NULL
            ) c
            GROUP BY c.day, c.option
            HAVING SUM(c.delta) <> 0
            ORDER BY c.day, c.option
        LOOP
            INSERT INTO patients_recommendationday (day, option, count)
            VALUES (change.day, change.option, change.delta)
            ON CONFLICT (day, option)
            DO UPDATE SET count = patients_recommendationday.count + EXCLUDED.count;
        END LOOP;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER recommendations_recount ON patients_assessment",
    # Only when the options, the time or whether it is signed off really change.
    """
    CREATE TRIGGER recommendations_recount
    AFTER UPDATE OF recommendations, created_at, signed_off_at ON patients_assessment
    FOR EACH ROW WHEN (
        OLD.recommendations IS DISTINCT FROM NEW.recommendations
        OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR (OLD.signed_off_at IS NULL) <> (NEW.signed_off_at IS NULL)
    )
    EXECUTE FUNCTION assessment_recommendations_count()
    """,
]

_SQLITE_ADD = """
    INSERT INTO patients_recommendationday (day, option, count)
    SELECT date({row}.created_at), j.value, {sign} COUNT(*)
    FROM json_each(CASE WHEN json_type({row}.recommendations) = 'array'
                        THEN {row}.recommendations ELSE '[]' END) j
    WHERE j.type = 'text' AND {row}.signed_off_at IS NOT NULL
    GROUP BY j.value
    ON CONFLICT (day, option) DO UPDATE SET count = count + excluded.count;
"""
SQLITE = [
    f"""
    CREATE TRIGGER recommendations_count_insert AFTER INSERT ON patients_assessment
    BEGIN {_SQLITE_ADD.format(row="NEW", sign="")} END
    """,
    f"""
    CREATE TRIGGER recommendations_count_delete AFTER DELETE ON patients_assessment
    BEGIN {_SQLITE_ADD.format(row="OLD", sign="-")} END
    """,
    f"""
    CREATE TRIGGER recommendations_count_update
    AFTER UPDATE OF recommendations, created_at, signed_off_at ON patients_assessment
    WHEN OLD.recommendations IS NOT NEW.recommendations OR OLD.created_at IS NOT NEW.created_at
        OR (OLD.signed_off_at IS NULL) <> (NEW.signed_off_at IS NULL)
    BEGIN
        {_SQLITE_ADD.format(row="OLD", sign="-")}
        {_SQLITE_ADD.format(row="NEW", sign="")}
    END
    """,
]
SQLITE_DROP = BEFORE.SQLITE_DROP


def count_signed_off(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    # 0016 names the databases its triggers are written for.
    statements = BEFORE.statements(schema_editor, POSTGRESQL, [*BEFORE.SQLITE_DROP, *SQLITE])
    for statement in [*statements, EMPTY, FILL[vendor]]:
        schema_editor.execute(statement)


def count_every_assessment(apps, schema_editor):
    """Back to 0016's triggers, and its counts of every assessment."""
    vendor = schema_editor.connection.vendor
    statements = BEFORE.statements(
        schema_editor,
        [*BEFORE.POSTGRESQL_DROP, *BEFORE.POSTGRESQL],
        [*SQLITE_DROP, *BEFORE.SQLITE],
    )
    for statement in [*statements, EMPTY, BEFORE.FILL[vendor]]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0017_assessment_drafts_may_be_partial"),
    ]

    operations = [migrations.RunPython(count_signed_off, count_every_assessment)]
