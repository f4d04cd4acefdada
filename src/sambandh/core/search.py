"""Global search: one interface, two backends.

SQLite keeps an FTS5 table with the trigram tokenizer (substrings and Devanagari match);
PostgreSQL keeps a plain table with a pg_trgm GIN index and matches with ILIKE. Both index
one text document per record, keyed by ``object_id * 16 + type code``. Table names in the SQL below are
module constants (hence the S608 waivers); every value is a bound parameter; services refresh a
record's document in the same transaction as the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TYPE_CODES = {"account": 1, "contact": 2}
_SHIFT = 4
MAX_TERMS = 6
MAX_TERM_LENGTH = 64

SQLITE_TABLE = "core_search_fts"
PG_TABLE = "core_search_document"


def create_search_tables(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(body, tokenize='trigram')"
        )
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE TABLE IF NOT EXISTS {PG_TABLE} ("
            "key bigint PRIMARY KEY, object_type smallint NOT NULL, object_id bigint NOT NULL, "
            "body text NOT NULL)"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS core_search_document_trgm ON {PG_TABLE} "
            "USING gin (body gin_trgm_ops)"
        )
        create_minor_type_index(schema_editor)
    else:  # pragma: no cover - the settings allow only these two
        raise RuntimeError(f"search is not supported on {vendor}")


def create_minor_type_index(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """PostgreSQL: a trigram index over every type but contacts, which are most of the table.

    A company search through the one big index rechecks every contact matching the word
    before the type filter drops them (25 ms for a common name at 200,000 contacts); this
    partial index holds only the others. SQLite's FTS5 table needs nothing.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS core_search_document_trgm_minor ON {PG_TABLE} "
        f"USING gin (body gin_trgm_ops) WHERE object_type <> {TYPE_CODES['contact']}"
    )


def drop_minor_type_index(schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS core_search_document_trgm_minor")


def drop_search_tables(schema_editor: BaseDatabaseSchemaEditor) -> None:
    table = SQLITE_TABLE if schema_editor.connection.vendor == "sqlite" else PG_TABLE
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


def _key(object_type: str, object_id: int) -> int:
    return (object_id << _SHIFT) | TYPE_CODES[object_type]


def document(*parts: object) -> str:
    return " ".join(str(part) for part in parts if part not in (None, ""))


class Documents:
    """Search documents to write, of any types, gathered and then written in key order.

    FTS5 writes its pending changes out as a new segment whenever it takes a row id at or
    below the last one, and at every savepoint. Written in ascending keys, a batch costs one
    segment, not one per record (200 re-indexed contacts in the order an import file names
    them made 200 segments: 0.4 ms a contact in a table of a million). An import gathers a
    whole transaction's documents, outside its savepoints, in one batch.
    """

    def __init__(self) -> None:
        self._rows: dict[int, tuple[int, int, str]] = {}  # key -> (type code, id, body)
        self._new: set[int] = set()  # keys of records that have no document yet

    def add(self, object_type: str, rows: Iterable[tuple[int, str]], *, new: bool) -> None:
        """``new``: the records were made in this transaction and have no document yet
        (a plain insert, COPY on PostgreSQL). A later document for a key replaces an
        earlier one; a record made here stays new."""
        code = TYPE_CODES[object_type]
        for pk, body in rows:
            key = _key(object_type, pk)
            self._rows[key] = (code, pk, body)
            if new:
                self._new.add(key)

    def write(self) -> None:
        """Write the documents in the caller's transaction and empty the batch."""
        from sambandh.core.bulk import insert_rows

        rows = sorted((key, *row) for key, row in self._rows.items())
        new, self._rows, self._new = self._new, {}, set()
        changed = [row for row in rows if row[0] not in new]
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                if changed:
                    cursor.executemany(
                        f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s",  # noqa: S608
                        [(key,) for key, _c, _pk, _b in changed],
                    )
                insert_rows(SQLITE_TABLE, ["rowid", "body"], [(k, b) for k, _c, _pk, b in rows])
                return
            if changed:
                # One statement over arrays, not a statement a row (the keys are unique here).
                key, code, pk, body = (list(column) for column in zip(*changed, strict=True))
                cursor.execute(
                    f"INSERT INTO {PG_TABLE} (key, object_type, object_id, body) "  # noqa: S608
                    "SELECT * FROM unnest(%s::bigint[], %s::smallint[], %s::bigint[], %s::text[]) "
                    "ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body",
                    [key, code, pk, body],
                )
            if len(changed) < len(rows):
                fresh = [row for row in rows if row[0] in new]
                insert_rows(PG_TABLE, ["key", "object_type", "object_id", "body"], fresh)


def search_index_bulk(object_type: str, rows: Iterable[tuple[int, str]]) -> None:
    """Index (or re-index) many records, inside the caller's transaction: a delete and an
    insert on SQLite, one upsert on PostgreSQL."""
    batch = Documents()
    batch.add(object_type, rows, new=False)
    batch.write()


def search_index_new(object_type: str, rows: Iterable[tuple[int, str]]) -> None:
    """Index records that have no document yet (just created in this transaction): a plain
    bulk insert (COPY on PostgreSQL), without the delete or upsert a re-index needs."""
    batch = Documents()
    batch.add(object_type, rows, new=True)
    batch.write()


def search_index(object_type: str, object_id: int, body: str) -> None:
    search_index_bulk(object_type, [(object_id, body)])


def search_unindex(object_type: str, object_ids: Sequence[int]) -> None:
    keys = [(_key(object_type, pk),) for pk in object_ids]
    if not keys:
        return
    table = SQLITE_TABLE if connection.vendor == "sqlite" else PG_TABLE
    column = "rowid" if connection.vendor == "sqlite" else "key"
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {table} WHERE {column} = %s", keys)  # noqa: S608


def search_terms(query: str) -> list[str]:
    """Words of the query, at most MAX_TERMS of at most MAX_TERM_LENGTH characters."""
    words = [w for w in re.split(r"\s+", query.strip()) if w]
    return [w[:MAX_TERM_LENGTH] for w in words[:MAX_TERMS]]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_ids_sql(object_type: str, query: str) -> tuple[str, list[object]] | None:
    """SQL selecting the ids of ``object_type`` records matching every word of ``query``.

    Used as ``pk__in=RawSQL(...)`` so the database joins it with the permission filter.
    None when the query has no words.
    """
    terms = search_terms(query)
    if not terms:
        return None
    code = TYPE_CODES[object_type]
    params: list[object] = []
    if connection.vendor == "sqlite":
        long_terms = [t for t in terms if len(t) >= 3]
        clauses = [f"(rowid & {(1 << _SHIFT) - 1}) = %s"]
        params.append(code)
        if long_terms:
            clauses.append(f"{SQLITE_TABLE} MATCH %s")
            params.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms))
        for term in terms:
            if len(term) < 3:
                clauses.append("body LIKE %s ESCAPE '\\'")
                params.append(f"%{_like_escape(term)}%")
        sql = f"SELECT rowid >> {_SHIFT} FROM {SQLITE_TABLE} WHERE " + " AND ".join(clauses)  # noqa: S608
        return sql, params
    clauses = ["object_type = %s"]
    params.append(code)
    for term in terms:
        clauses.append("body ILIKE %s")
        params.append(f"%{_like_escape(term)}%")
    return f"SELECT object_id FROM {PG_TABLE} WHERE " + " AND ".join(clauses), params  # noqa: S608


def matching_ids(object_type: str, query: str, *, limit: int) -> list[int] | None:
    """Up to ``limit`` ids of ``object_type`` records matching every word of ``query``, in the
    order the index yields them (FTS5: by id). None when the query has no words.

    For a top-N search: the database stops after ``limit`` matches (a sequential walk for a
    common word, the trigram index for a rare one), where joining the whole match set with
    the permission filter first collects every match of a common word.
    """
    found = matching_ids_sql(object_type, query)
    if found is None:
        return None
    sql, params = found
    args: list[Any] = [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", args)
        return [row[0] for row in cursor.fetchall()]
