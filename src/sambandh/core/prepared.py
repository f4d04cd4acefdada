"""SELECTs compiled once per process: a read that every request makes skips the ORM's compiler.

Django compiles a queryset anew on every evaluation; for a one-row lookup that costs several
times the database's own work. ``PreparedValues`` builds its ``.values()`` query once per
database with marker arguments, finds where each marker landed among the compiled parameters,
and from then on binds the call's arguments into the same SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, models

from sambandh.core.pagination import MakerFactory, RowReader, compile_values

_MARK = "\x00sambandh-prepared-{}\x00"
# SQL, its constant parameters, where each parameter comes from, the row reader (None: no rows).
_Entry = tuple[str, tuple[Any, ...], tuple[int | None, ...], RowReader | None]


class PreparedValues:
    """The ``.values()`` query ``build(*args)``, compiled once per database.

    ``build`` must pass each argument, unchanged, to exactly one parameter (an exact lookup on a
    text column, or a RawSQL parameter) and must depend on nothing else that can change:
    everything but the arguments is fixed at the first call.
    """

    def __init__(self, build: Callable[..., models.QuerySet[Any, Any]], arity: int) -> None:
        self._build = build
        self._arity = arity
        self._compiled: dict[str, _Entry] = {}

    def _prepare(self, using: str) -> _Entry:
        marks = [_MARK.format(i) for i in range(self._arity)]
        compiled = compile_values(self._build(*marks).using(using))
        if compiled is None:  # a condition that matches nothing, whatever the arguments
            entry: _Entry = ("", (), (), None)
            self._compiled[using] = entry
            return entry
        sql, params, reader = compiled
        slots = tuple(marks.index(p) if p in marks else None for p in params)
        if sorted(s for s in slots if s is not None) != list(range(self._arity)):
            raise RuntimeError("each argument of a prepared query must be one parameter")
        entry = (sql, tuple(params), slots, reader)
        self._compiled[using] = entry
        return entry

    def rows(
        self, *args: Any, using: str = DEFAULT_DB_ALIAS, make: MakerFactory | None = None
    ) -> list[Any]:
        """The query's rows for these arguments (values as the database takes them), built by
        ``make`` as ``RowReader.read`` does."""
        if len(args) != self._arity:
            raise TypeError(f"this prepared query takes {self._arity} arguments")
        entry = self._compiled.get(using) or self._prepare(using)
        sql, constants, slots, reader = entry
        if reader is None:
            return []
        params = [constants[i] if slot is None else args[slot] for i, slot in enumerate(slots)]
        return reader.read(sql, params, make)


def instance(model: type[models.Model], row: dict[str, Any], prefix: str, using: str) -> Any:
    """A ``model`` instance from the ``prefix``-ed columns of a row (all its concrete fields,
    as ``values(*concrete_paths(model, prefix))`` read them), as a queryset would build it."""
    fields = model._meta.concrete_fields
    return model.from_db(using, [f.attname for f in fields], [row[prefix + f.name] for f in fields])


def concrete_paths(model: type[models.Model], prefix: str = "") -> list[str]:
    """The ``values()`` paths of all of ``model``'s concrete fields, behind ``prefix``."""
    return [prefix + f.name for f in model._meta.concrete_fields]
