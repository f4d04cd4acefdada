"""The exceptions every layer raises; the API and views map them to HTTP statuses.

Each carries a stable machine ``code`` and a message already translated into the
language active when it was raised (the user's language in a request).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _


class SambandhError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message()
        if code:
            self.code = code
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("Something went wrong.")


class ValidationError(SambandhError):
    """Bad input. ``fields`` maps a field name to its messages; ``""`` is the whole record."""

    status = 400
    code = "validation_error"

    def __init__(
        self,
        fields: Mapping[str, list[str] | str] | None = None,
        message: str | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.fields: dict[str, list[str]] = {
            name: [msgs] if isinstance(msgs, str) else list(msgs)
            for name, msgs in (fields or {}).items()
        }
        super().__init__(message, code=code)

    def default_message(self) -> str:
        return _("Please correct the errors below.")


class PermissionDenied(SambandhError):
    status = 403
    code = "permission_denied"

    def default_message(self) -> str:
        return _("You do not have permission to do this.")


class NotFound(SambandhError):
    status = 404
    code = "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Conflict(SambandhError):
    """A write based on a stale version of the record."""

    status = 409
    code = "conflict"

    def default_message(self) -> str:
        return _("This record was changed by someone else. Reload it and try again.")
