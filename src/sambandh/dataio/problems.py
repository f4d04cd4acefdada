"""What can be wrong with an imported file, a row or a cell: one small type for all of them.

A problem carries a stable ``code`` (for programs, saved reports and tests), the parameters of
its message, and the message itself as a lazy translation: it is rendered in whatever language
is active when it is shown, not when the file was read (a worker reads the file; a person in
Hindi or English reads the report).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from django.utils.functional import lazy
from django_stubs_ext import StrOrPromise

from sambandh.core.errors import ValidationError


class Level(enum.StrEnum):
    ERROR = "error"  # the value (or row) cannot be used as it is
    WARNING = "warning"  # usable, but the user should know (padded row, formula-like text)


def _render(template: StrOrPromise, params: Mapping[str, Any]) -> str:
    return str(template) % dict(params) if params else str(template)


# ``lazy`` defers both the translation and the %-formatting to the moment of display.
lazy_format = lazy(_render, str)


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong. ``row`` is the number the user sees (a CSV or XLSX file's header is row
    1, its first record row 2; a vCard file's first card is 1), ``None`` for the whole file.
    ``field`` is the column's header (or our field name once mapped), ``""`` for a whole row."""

    code: str
    message: StrOrPromise
    row: int | None = None
    field: str = ""
    level: Level = Level.ERROR
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def make(
        cls,
        code: str,
        template: StrOrPromise,
        *,
        row: int | None = None,
        field: str = "",
        level: Level = Level.ERROR,
        **params: Any,
    ) -> Problem:
        """A problem whose message is ``template % params``, translated when shown."""
        return cls(
            code=code,
            message=lazy_format(template, params),
            row=row,
            field=field,
            level=level,
            params=params,
        )

    def at(self, *, row: int | None = None, field: str | None = None) -> Problem:
        """This problem placed in a file: normalisers know neither the row nor the column."""
        return dataclasses.replace(
            self,
            row=self.row if row is None else row,
            field=self.field if field is None else field,
        )

    @property
    def is_error(self) -> bool:
        return self.level == Level.ERROR

    def as_dict(self) -> dict[str, Any]:
        """A plain form for a stored or downloaded report; the message in the active language."""
        return {
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "level": str(self.level),
            "message": str(self.message),
            "params": dict(self.params),
        }


class FileError(ValidationError):
    """A file that cannot be read as a table at all (empty, binary, corrupt, wrong format).

    A ``ValidationError``, so the API and views answer 400 with the message; ``code`` says
    which case, ``params`` fill the message. The message stays lazy until shown."""

    code = "file_error"

    def __init__(self, code: str, template: StrOrPromise, **params: Any) -> None:
        self.params = params
        super().__init__(
            {"file": [lazy_format(template, params)]}, lazy_format(template, params), code=code
        )
