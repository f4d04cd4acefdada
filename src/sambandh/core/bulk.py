"""Bulk inserts for big writes: SQLite ``executemany``, PostgreSQL ``COPY``.

Django's ``bulk_create`` compiles every value of every row through the ORM, which costs more
than the database itself for a chunk of a large import. These functions take model
instances (or plain tuples for narrow tables), convert each column once with a converter
chosen per field, and hand the rows to the driver. Ids are allocated first, so the caller
knows them: from the table's sequence on PostgreSQL (``nextval`` for the whole batch in one
query), from ``sqlite_sequence`` on SQLite (the caller holds the write lock: every writing
transaction is IMMEDIATE), never reusing an id a deleted record had.

They run inside the caller's transaction and do nothing else: no signals, no ``save()``. The
services that call them do validation, permissions, audit and events themselves.

Beside them, two helpers for PostgreSQL's planner in bulk work: ``PlannerStatistics`` for the
tables a long write grows, and ``every_row`` for a query whose every row is read.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import DatabaseError, connection, connections, models

from sambandh.core.models import same_moment

_IDENTITY = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How one column's Python value becomes what the driver takes (None: as it is)."""
    internal = field.get_internal_type()
    if internal in _IDENTITY:
        return None
    if internal == "JSONField":
        encoder = getattr(field, "encoder", None)

        def to_json(value: Any) -> Any:
            if value is None:
                return None
            if not value and isinstance(value, dict | list):
                return "{}" if isinstance(value, dict) else "[]"  # most rows: nothing to encode
            return json.dumps(value, cls=encoder)

        return to_json
    last: list[Any] = [object(), None]  # the last value and its conversion: a chunk's rows
    # mostly share one timestamp, converted once

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, field.get_db_prep_save(value, connection)
        return last[1]

    return convert


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys for ``model``, in increasing order."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        cursor.execute(f'SELECT max("{pk_column}") FROM "{table}"')  # noqa: S608 - model metadata
        highest = max(found[0] if found else 0, cursor.fetchone()[0] or 0)
    return list(range(highest + 1, highest + 1 + count))


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows (values already in the driver's types) into ``table``."""
    batch = rows if isinstance(rows, list) else list(rows)
    if not batch:
        return 0
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)  # noqa: S608
    return len(batch)


def defaults(model: type[models.Model]) -> dict[str, Any]:
    """Every concrete column's default by attname (for ``insert_records`` drafts)."""
    values = {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}
    same_moment(values)
    return values


def insert_records(
    model: type[models.Model], records: Sequence[Any], *, with_ids: bool = True
) -> None:
    """Insert records of ``model``: unsaved instances, or lighter drafts (any object whose
    ``__dict__`` holds every column by attname, e.g. a ``SimpleNamespace`` made from
    ``defaults(model)``). With ``with_ids`` their ``pk`` and ``id`` are set first, so the
    caller can link to them."""
    if not records:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    if with_ids:
        pk_name = meta.pk.attname  # type: ignore[union-attr]
        for record, pk in zip(records, allocate_ids(model, len(records)), strict=True):
            setattr(record, pk_name, pk)
    # Every column at C speed with one itemgetter; the few that need converting after.
    take = operator.itemgetter(*[f.attname for f in fields])
    converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f)) is not None]
    rows: list[Any] = []
    for record in records:
        row = list(take(record.__dict__))
        for index, convert in converters:
            row[index] = convert(row[index])
        rows.append(row)
    insert_rows(meta.db_table, [str(f.column) for f in fields], rows)
    for record in records:
        state = getattr(record, "_state", None)
        if state is not None:
            state.adding = False
            state.db = "default"


def update_records(
    model: type[models.Model], records: Sequence[Any], fields_of: Sequence[Sequence[str]]
) -> None:
    """Update each record's ``fields_of[i]`` columns (attnames) by primary key: one
    ``executemany`` per set of fields, where ``bulk_update``'s CASE expression grows with
    the square of the batch."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for record, fields in zip(records, fields_of, strict=True):
        groups.setdefault(tuple(sorted(fields)), []).append(record)
    meta = model._meta
    pk = meta.pk
    by_attname = {f.attname: f for f in meta.concrete_fields}
    table = meta.db_table
    for names, group in groups.items():
        if not names:
            continue
        columns = [by_attname[name] for name in names]
        converters = [_converter(f) for f in columns]
        rows = [
            [
                getattr(record, name) if convert is None else convert(getattr(record, name))
                for name, convert in zip(names, converters, strict=True)
            ]
            + [record.pk]
            for record in group
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                _update_from_values(cursor, table, [*columns, pk], rows)  # type: ignore[list-item]
                continue
            sets = ", ".join(f'"{f.column}" = %s' for f in columns)
            cursor.executemany(
                f'UPDATE "{table}" SET {sets} WHERE "{pk.column}" = %s',  # type: ignore[union-attr]  # noqa: S608
                rows,
            )


MOST_PARAMETERS = 60_000  # of one PostgreSQL statement (its protocol allows 65,535)


def _update_from_values(
    cursor: Any, table: str, columns: Sequence[models.Field[Any, Any]], rows: list[list[Any]]
) -> None:
    """PostgreSQL: ``UPDATE ... FROM (VALUES ...)``, one statement for up to a few thousand
    rows, where an ``executemany`` parses and plans every row's statement on its own (220 µs
    a row into a table of a million). ``columns``: the set columns, then the key; each row's
    values in that order. A key given twice keeps its last row, as the ``executemany`` did.
    """
    *sets, key = columns
    last = {row[-1]: row for row in rows}
    one = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in columns) + ")"
    names = ", ".join(f'"{f.column}"' for f in columns)
    assign = ", ".join(f'"{f.column}" = v."{f.column}"' for f in sets)
    batch = max(1, MOST_PARAMETERS // len(columns))
    values = list(last.values())
    for start in range(0, len(values), batch):
        part = values[start : start + batch]
        cursor.execute(
            f'UPDATE "{table}" AS t SET {assign} FROM (VALUES {", ".join([one] * len(part))}) '  # noqa: S608
            f'AS v({names}) WHERE t."{key.column}" = v."{key.column}"',
            [value for row in part for value in row],
        )


class PlannerStatistics:
    """Keeps PostgreSQL's planner statistics of the tables a long bulk write grows.

    A table never analyzed, or analyzed when it was a tenth of its size, has no statistics of
    ``lower(email)``: the planner then takes an import's ``lower(email) IN (1,000 keys)`` for
    a good part of the table and scans all of it, once a chunk, so an import into an empty
    table slowed down with every row it wrote. Autovacuum does analyze a grown table, but a
    minute late, only its committed rows, and not at all where it is turned off.

    ``grew(model, rows)`` counts the rows written to a model's table; ``refresh()``, called in
    the writing transaction before its commit, analyzes each table whose written rows since
    its last statistics reach ``SAMBANDH_ANALYZE_MIN_ROWS`` and half the rows the statistics
    counted (a doubling table is analyzed about log2 times). ANALYZE counts the rows the
    transaction itself inserted. On SQLite it does nothing: without statistics its planner
    takes an index for an equality."""

    def __init__(self) -> None:
        self.written: dict[str, int] = {}
        self.counted: dict[str, float] = {}  # table -> rows its statistics counted

    def grew(self, model: type[models.Model], rows: int) -> None:
        if connection.vendor == "postgresql" and rows > 0:
            table = model._meta.db_table
            self.written[table] = self.written.get(table, 0) + rows

    def refresh(self) -> list[str]:
        """Analyze the tables that grew enough; the tables analyzed."""
        from django.conf import settings

        least = int(settings.SAMBANDH_ANALYZE_MIN_ROWS)
        due = [table for table, rows in self.written.items() if rows >= least]
        if not due:
            return []
        analyzed: list[str] = []
        with connection.cursor() as cursor:
            for table in due:
                if table not in self.counted:
                    self.counted[table] = _reltuples(cursor, table)
                if self.written[table] < self.counted[table] / 2:
                    continue
                cursor.execute(f'ANALYZE "{table}"')
                self.counted[table] = _reltuples(cursor, table)
                self.written[table] = 0
                analyzed.append(table)
        return analyzed


def _reltuples(cursor: Any, table: str) -> float:
    """The rows PostgreSQL's statistics count in ``table`` (0 when it was never analyzed)."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [f'"{table}"'])
    return max(0.0, float(cursor.fetchone()[0]))


_END = object()


def every_row(rows: models.QuerySet[Any, Any], *, chunk_size: int) -> Iterator[Any]:
    """Every row of ``rows``, read in chunks of ``chunk_size`` (``QuerySet.iterator``), with
    the query planned for reading all of them.

    On PostgreSQL ``iterator`` reads through a server-side cursor, and the planner plans a
    cursor for its first tenth of rows (``cursor_tuple_fraction``). The exact dedup's GROUP BY
    over a million contacts then walked the lower(email) index through the whole table,
    fetching each row, instead of scanning and hashing it: 3.99 s for every group against
    2.0-2.5 s (a raw GROUP BY: 1.7-2.0 s). Here the cursor is declared with the fraction at 1;
    the setting is put back at once, for the connection's other queries."""
    stream = rows.iterator(chunk_size=chunk_size)
    link = connections[rows.db]
    if link.vendor != "postgresql":
        yield from stream
        return
    with link.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1")
    try:
        first = next(stream, _END)  # declares the cursor: its plan is made now
    except BaseException:
        # A failed statement in a transaction also undoes the SET with its rollback.
        _reset_fraction(link, quiet=True)
        raise
    _reset_fraction(link, quiet=False)
    if first is _END:
        return
    yield first
    yield from stream


def _reset_fraction(link: Any, *, quiet: bool) -> None:
    try:
        with link.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")
    except DatabaseError:
        if not quiet:
            raise
