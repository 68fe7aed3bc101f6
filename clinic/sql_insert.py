"""New rows written out in one INSERT, as the ORM's ``bulk_create`` writes them.

``bulk_create`` compiles its statement anew on every call, and outside a transaction wraps even
one statement in BEGIN and COMMIT (two more round trips). The few writes every booking confirm
makes (its consents, its queued tasks) go through here instead: one statement, all or nothing
by itself, its text made once per model and number of rows.
"""

import functools

from django.db import connection

from clinic import sql_batch


def insert_rows(rows: list) -> None:
    """Insert ``rows`` (new instances of one model) in one statement, each value as a save
    would send it (defaults, creation times set on the instance, JSON as the database takes
    it). Their automatic primary keys are not read back: for rows nobody reads again in the
    request, or whose key is set before (a UUID)."""
    if not rows:
        return
    model = type(rows[0])
    fields = written_fields(model)
    values = [prepared(field, row) for row in rows for field in fields]
    # Inside ``sql_batch.together()``, sent with the block's other writes.
    sql_batch.execute(_insert(model, connection.vendor, len(rows)), values)
    for row in rows:
        row._state.adding, row._state.db = False, "default"


@functools.cache
def written_fields(model) -> list:
    """The fields a save writes in a new row (as Django's: not an automatic primary key)."""
    meta = model._meta
    return [
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not field.generated
    ]


def prepared(field, instance):
    """The value a save would send for ``field`` of a new ``instance`` (setting it where the
    field sets its own, as a creation time does)."""
    return field.get_db_prep_save(field.pre_save(instance, True), connection)


def insert_statement(model, fields, count: int = 1, first: tuple[str, str] | None = None) -> str:
    """The INSERT of ``count`` rows of ``model``'s ``fields``, their values parameters; with
    ``first`` (a quoted column and its value's SQL), that column before them in every row."""
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    values = ["%s"] * len(fields)
    if first:
        columns, values = [first[0], *columns], [first[1], *values]
    row = f"({', '.join(values)})"
    return "INSERT INTO {} ({}) VALUES {}".format(  # noqa: S608 - the models' own names
        quote(model._meta.db_table), ", ".join(columns), ", ".join([row] * count)
    )


@functools.cache
def _insert(model, vendor: str, count: int) -> str:
    return insert_statement(model, written_fields(model), count)
