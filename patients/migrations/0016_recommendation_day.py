"""How many times each day's assessments recommend each option, kept by the database.

The dashboard's "recommendations by treatment" covers twelve weeks: it read every assessment
made since, some 10,000 in a busy clinic, and counted their options in Python (and with no index
on ``created_at``, it read every assessment ever made). ``RecommendationDay`` holds the counts by
day (UTC) and option, written by triggers on the assessment table when one is added or deleted,
or its options or time change, so that no way of writing an assessment (the review form, a bulk
load, a test's factory, a booking deleted with its assessment) can leave them wrong. The
dashboard adds up the whole days and reads the few assessments of the part-day before them
(``staff.charts``), through the new index on ``created_at``.

On PostgreSQL the counts of one assessment are written in the order of their day and option,
so that two assessments saved at once wait for each other rather than deadlock; an assessment is
saved last in its transaction (bookings.follow_up), so these rows are held until the commit only.

On SQLite, a later migration that rebuilds the assessment table drops these triggers:
tests/patients/test_recommendation_days.py then fails, and that migration must create them
again (0017 does; since 0018, which counts signed-off assessments only, its triggers are those
to make again).
"""

from django.db import migrations, models

# The options counted are an assessment's list's strings; anything else in it (no form writes
# anything else) counts for nothing, on both databases and in ``staff.charts``.
FILL = {
    "postgresql": """
        INSERT INTO patients_recommendationday (day, option, count)
        SELECT (a.created_at AT TIME ZONE 'UTC')::date, o, COUNT(*)
        FROM patients_assessment a, assessment_recommendations_options(a.recommendations) o
        GROUP BY 1, 2
    """,
    "sqlite": """
        INSERT INTO patients_recommendationday (day, option, count)
        SELECT date(a.created_at), j.value, COUNT(*)
        FROM patients_assessment a, json_each(a.recommendations) j
        WHERE json_type(a.recommendations) = 'array' AND j.type = 'text'
        GROUP BY 1, 2
    """,
}

POSTGRESQL = [
    """
    CREATE FUNCTION assessment_recommendations_options(value jsonb) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE AS $$
        SELECT e #>> '{}'
        FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(value) = 'array' THEN value ELSE '[]'::jsonb END
        ) e
        WHERE jsonb_typeof(e) = 'string'
    $$
    """,
    """
    CREATE FUNCTION assessment_recommendations_count() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        change RECORD;
    BEGIN
        FOR change IN
            SELECT c.day, c.option, SUM(c.delta) AS delta FROM (
                SELECT (OLD.created_at AT TIME ZONE 'UTC')::date AS day, o AS option, -1 AS delta
                FROM assessment_recommendations_options(OLD.recommendations) o
                WHERE TG_OP IN ('UPDATE', 'DELETE')
                UNION ALL
                SELECT (NEW.created_at AT TIME ZONE 'UTC')::date, o, 1
                FROM assessment_recommendations_options(NEW.recommendations) o
                WHERE TG_OP IN ('UPDATE', 'INSERT')
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
    """
    CREATE TRIGGER recommendations_count
    AFTER INSERT OR DELETE ON patients_assessment
    FOR EACH ROW EXECUTE FUNCTION assessment_recommendations_count()
    """,
    # Only when the options or the time really change: Django's save writes every column.
    """
    CREATE TRIGGER recommendations_recount
    AFTER UPDATE OF recommendations, created_at ON patients_assessment
    FOR EACH ROW WHEN (
        OLD.recommendations IS DISTINCT FROM NEW.recommendations
        OR OLD.created_at IS DISTINCT FROM NEW.created_at
    )
    EXECUTE FUNCTION assessment_recommendations_count()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER recommendations_recount ON patients_assessment",
    "DROP TRIGGER recommendations_count ON patients_assessment",
    "DROP FUNCTION assessment_recommendations_count()",
    "DROP FUNCTION assessment_recommendations_options(jsonb)",
]

# SQLite takes one writer at a time, so the order of the counts' writes does not matter there.
# SQLite's parser needs a WHERE before an upsert's ON CONFLICT after a SELECT (one is there).
_SQLITE_ADD = """
    INSERT INTO patients_recommendationday (day, option, count)
    SELECT date({row}.created_at), j.value, {sign} COUNT(*)
    FROM json_each(CASE WHEN json_type({row}.recommendations) = 'array'
                        THEN {row}.recommendations ELSE '[]' END) j
    WHERE j.type = 'text'
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
    AFTER UPDATE OF recommendations, created_at ON patients_assessment
    WHEN OLD.recommendations IS NOT NEW.recommendations OR OLD.created_at IS NOT NEW.created_at
    BEGIN
        {_SQLITE_ADD.format(row="OLD", sign="-")}
        {_SQLITE_ADD.format(row="NEW", sign="")}
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER recommendations_count_update",
    "DROP TRIGGER recommendations_count_delete",
    "DROP TRIGGER recommendations_count_insert",
]


def statements(schema_editor, postgresql, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        return postgresql
    if vendor == "sqlite":
        return sqlite
    raise NotImplementedError(f"No recommendation count triggers written for {vendor}.")


def add_triggers(apps, schema_editor):
    # The function the PostgreSQL fill reads the options with comes first.
    made = statements(schema_editor, POSTGRESQL, SQLITE)
    for statement in made:
        schema_editor.execute(statement)
    schema_editor.execute(FILL[schema_editor.connection.vendor])


def drop_triggers(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL_DROP, SQLITE_DROP):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0015_unaccent"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecommendationDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("option", models.TextField()),
                ("count", models.IntegerField()),
            ],
        ),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(fields=["created_at"], name="assessment_created_idx"),
        ),
        migrations.AddConstraint(
            model_name="recommendationday",
            constraint=models.UniqueConstraint(
                fields=("day", "option"), name="recommendation_day_unique"
            ),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
