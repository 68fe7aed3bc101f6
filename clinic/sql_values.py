"""Values read by written-out SQL, turned into what the ORM would have given.

The hot pages read their rows with written-out queries (the picker's key, "first available",
the staff day, the review queue, the health checks). Their columns come back as the database
driver gives them: on SQLite, instants and times as text, JSON as text, booleans as integers;
on PostgreSQL mostly as the ORM's values already. ``reader`` applies the conversions the ORM
would, found once per field and database.
"""

import functools

from django.db import connection


def unchanged(value):
    """The reader of a field whose values the ORM takes as the driver gives them."""
    return value


def reader(field):
    """Return a function turning a raw value of ``field`` (a model field) into the ORM's value:
    ``unchanged`` itself when there is nothing to do, so that a caller may skip it."""
    return _reader(field, connection.vendor)


@functools.cache
def _reader(field, vendor: str):
    column = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    if not converters:
        return unchanged

    def read(value):
        if value is not None:
            for convert in converters:
                value = convert(value, column, connection)
        return value

    return read


def instance(model, values, using: str = "default"):
    """Return the instance of ``model`` whose concrete fields' raw values (in the model's field
    order, as ``columns`` lists them) are ``values``, as the ORM would have loaded it; None
    when its primary key is NULL (the unmatched side of an outer join)."""
    names, readers, pk_index = _model_readers(model, connection.vendor)
    if values[pk_index] is None:
        return None
    return model.from_db(
        using, names, [read(value) for read, value in zip(readers, values, strict=True)]
    )


@functools.cache
def _model_readers(model, vendor: str):
    fields = model._meta.concrete_fields
    return (
        [field.attname for field in fields],
        [_reader(field, vendor) for field in fields],
        fields.index(model._meta.pk),
    )


def columns(model, alias: str) -> str:
    """The concrete columns of ``model`` under the table alias ``alias``, quoted, for a SELECT
    read back by ``instance``."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def instance_by_pk(model, pk):
    """``model.objects.filter(pk=pk).first()``, read with a written-out query: building the
    ORM's query cost three times what running it does, on reads made on every request."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(model, table)} FROM {table} WHERE {table}.{column} = %s",  # noqa: S608 - names from the model, the value a parameter
            [pk],
        )
        row = cursor.fetchone()
    return None if row is None else instance(model, row)
