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


def columns_of(model) -> tuple[str, list[str], list]:
    """The select list of ``model``'s concrete fields as the ORM reads them (quoted, qualified by
    the table), their attribute names and their readers: what ``model.from_db`` takes."""
    return _columns_of(model, connection.vendor)


@functools.cache
def _columns_of(model, vendor: str):
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = model._meta.concrete_fields
    select = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    return select, [field.attname for field in fields], [reader(field) for field in fields]


def built(model, attnames, readers, values):
    """The ``model`` instance the ORM would have built from a row read by ``columns_of``."""
    return model.from_db(
        connection.alias,
        attnames,
        [read(value) for read, value in zip(readers, values, strict=True)],
    )


def instance_by_pk(model, pk):
    """``model.objects.filter(pk=pk).first()``, read with a written-out query: building the
    ORM's query cost three times what running it does, on reads made on every request."""
    select, attnames, readers = columns_of(model)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {table} WHERE {table}.{column} = %s", [pk])  # noqa: S608 - names from the model, the value a parameter
        row = cursor.fetchone()
    return None if row is None else built(model, attnames, readers, row)
