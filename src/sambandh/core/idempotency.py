"""Idempotency keys on the API's POST endpoints that create things.

A client that sends ``Idempotency-Key: <key>`` may retry the request (after a timeout, a lost
connection) without doing the work twice: for 24 hours a repeat with the same key, path and
body gets the first answer again, same status and body, with ``Idempotent-Replayed: true``,
and the endpoint does not run. Keys belong to a user: two users may use the same key.

Semantics, stated:

- the key is claimed *before* the endpoint runs, by inserting a ``processing`` row under the
  unique constraint (user, key): of two requests with one key at once, one runs and the other
  gets a 409 ``idempotency_key_in_progress``, whatever the timing;
- only a success (2xx) is kept; an error (4xx, 5xx) deletes the row, so the corrected request
  may reuse the key;
- the same key with another method, path or body is a 422 ``idempotency_key_reused``;
- a key must be 1 to 255 printable ASCII characters, else a 400;
- a ``processing`` row older than ``PROCESSING_TIMEOUT`` is a request whose process died
  before it could answer; the key may then be claimed again;
- expired rows are ignored, and deleted by the daily ``idempotency_purge_task``.

Use: ``@idempotent`` under the router's decorator, with ``IDEMPOTENT_ERRORS`` in the declared
responses; the decorator documents the header and the semantics in the operation's OpenAPI.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view
from ninja.utils import contribute_operation_callback

from sambandh.core.errors import Conflict, SambandhError, ValidationError
from sambandh.core.models import IdempotencyRecord, IdempotencyState, User
from sambandh.core.schemas import ErrorOut

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
TTL = dt.timedelta(hours=24)
PROCESSING_TIMEOUT = dt.timedelta(minutes=10)
KEPT_HEADERS = ("Content-Type", "Location")
_KEY_RE = re.compile(r"[\x20-\x7e]{1,255}")
_CLAIMED = "_sambandh_idempotency_record"  # the request's claimed row, for the response side

# The error statuses of an idempotent operation: the usual ones and 422 (key reused).
IDEMPOTENT_ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 413, 422, 429}): ErrorOut}

DESCRIPTION = (
    "\n\n**Idempotency.** Send an `Idempotency-Key` header (1 to 255 printable ASCII "
    "characters, e.g. a UUID) to make a retry safe: for 24 hours a repeat with the same key "
    "and the same body gets the first answer again (same status and body, with the header "
    "`Idempotent-Replayed: true`) and does nothing more. The same key with another body or "
    "path is a 422 `idempotency_key_reused`; a repeat while the first request with the key "
    "is still running is a 409 `idempotency_key_in_progress`. Only successes are kept: after "
    "an error the key may be used again."
)

PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A key of your choice that makes a retry of this request safe (see above).",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


class IdempotencyKeyReused(SambandhError):
    status = 422
    code = "idempotency_key_reused"

    def default_message(self) -> str:
        return _(
            "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new request."
        )


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"

    def default_message(self) -> str:
        return _("A request with this Idempotency-Key is in progress. Try again when it has ended.")


# ---------------------------------------------------------------- the rows


def idempotency_claim(
    *, user: User, key: str, method: str, path: str, request_hash: str
) -> IdempotencyRecord:
    """Claim ``key`` for a request. Returns a new ``processing`` row (the caller runs the
    request, then completes or releases the row) or the ``completed`` row of the same
    request (the caller answers with it). Raises ``IdempotencyKeyReused`` for the key of
    another request and ``IdempotencyKeyInProgress`` while that request runs."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            # Autocommit outside any transaction: the claim is visible to others at once.
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=request_hash,
                    created_at=now,
                    expires_at=now + TTL,
                )
        except IntegrityError:
            pass
        found = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if found is None:
            continue  # released between our insert and our look; try again
        abandoned = (
            found.state == IdempotencyState.PROCESSING
            and found.created_at <= now - PROCESSING_TIMEOUT
        )
        if found.expires_at <= now or abandoned:
            # Only the row as we saw it: of two requests taking it over, one deletes it.
            IdempotencyRecord.objects.filter(pk=found.pk, state=found.state).delete()
            continue
        if (found.method, found.path, found.request_hash) != (method, path, request_hash):
            raise IdempotencyKeyReused()
        if found.state == IdempotencyState.PROCESSING:
            raise IdempotencyKeyInProgress()
        return found
    raise IdempotencyKeyInProgress()


def idempotency_complete(
    record: IdempotencyRecord, *, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """Keep the answer of the claimed request for ``TTL``."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyState.PROCESSING).update(
        state=IdempotencyState.COMPLETED,
        status_code=status,
        response_body=body,
        response_headers=headers,
        expires_at=timezone.now() + TTL,
    )


def idempotency_release(record: IdempotencyRecord) -> None:
    """Free the key of a request that failed, for the corrected request to use."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyState.PROCESSING).delete()


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the expired rows (the daily task); returns how many."""
    deleted, _by_model = IdempotencyRecord.objects.filter(
        expires_at__lt=now or timezone.now()
    ).delete()
    return deleted


# ---------------------------------------------------------------- the request


def request_hash(request: HttpRequest) -> str:
    """SHA-256 of what makes two requests the same request: the query string and the body
    (for a multipart upload its fields and files, since the boundary differs per retry)."""
    digest = hashlib.sha256()
    digest.update(request.META.get("QUERY_STRING", "").encode("latin-1", "replace"))
    digest.update(b"\n")
    if (request.content_type or "").lower().startswith("multipart/form-data"):
        try:
            fields = sorted((name, request.POST.getlist(name)) for name in request.POST)
            files = request.FILES
        except MultiPartParserError as exc:
            raise ValidationError({"file": [_("The upload could not be read.")]}) from exc
        digest.update(json.dumps(fields, ensure_ascii=False).encode())
        for name in sorted(files):
            for upload in files.getlist(name):
                digest.update(f"\n{name}\n{upload.name}\n{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _check_key(key: str) -> None:
    if not _KEY_RE.fullmatch(key) or not key.strip():
        raise ValidationError(
            {
                HEADER: [
                    _("An Idempotency-Key must be 1 to %(n)d printable ASCII characters.")
                    % {"n": MAX_KEY_LENGTH}
                ]
            }
        )


def _replay(record: IdempotencyRecord) -> HttpResponse:
    headers = dict(record.response_headers or {})
    response = HttpResponse(
        bytes(record.response_body),
        status=record.status_code or 200,
        content_type=headers.pop("Content-Type", "application/json; charset=utf-8"),
    )
    for name, value in headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


F = TypeVar("F", bound=Callable[..., Any])


def _claiming(view: Callable[..., Any]) -> Callable[..., Any]:
    """Around the endpoint's own function: ninja has authenticated the caller and parsed the
    request by then, so a request refused for its body or its caller never takes a key."""

    @functools.wraps(view)
    def claiming(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(request, *args, **kwargs)
        _check_key(key)
        user = request.auth  # type: ignore[attr-defined]
        record = idempotency_claim(
            user=user,
            key=key,
            method=request.method or "",
            path=request.path[:2000],
            request_hash=request_hash(request),
        )
        if record.state == IdempotencyState.COMPLETED:
            return _replay(record)
        setattr(request, _CLAIMED, record)
        return view(request, *args, **kwargs)

    return claiming


def _finishing(run: Callable[..., Any]) -> Callable[..., Any]:
    """Around ninja's whole operation: sees the final response (status and JSON), keeps a
    success and releases the key after anything else."""

    @functools.wraps(run)
    def finishing(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            record = getattr(request, _CLAIMED, None)
            if record is not None:
                idempotency_release(record)
            raise
        record = getattr(request, _CLAIMED, None)
        if record is None:
            return response
        delattr(request, _CLAIMED)
        status = int(getattr(response, "status_code", 500))
        if 200 <= status < 300 and not getattr(response, "streaming", False):
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            try:
                idempotency_complete(
                    record, status=status, body=bytes(response.content), headers=headers
                )
            except DatabaseError:
                # The work is done and answered; a retry meets the processing row (409) until
                # PROCESSING_TIMEOUT. Better than failing a request that succeeded.
                log.exception("could not keep the answer of idempotency key %s", record.pk)
        else:
            idempotency_release(record)
        return response

    return finishing


def _document(operation: Any) -> None:
    statuses = set(operation.response_models)
    if not {409, 422} <= statuses:
        raise ImproperlyConfigured(
            f"{operation.view_func.__name__}: an idempotent operation declares 409 and 422 "
            "(use IDEMPOTENT_ERRORS)."
        )
    operation.view_func = _claiming(operation.view_func)
    described = operation.description
    operation.description = described + DESCRIPTION if described else DESCRIPTION.lstrip()
    extra = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), PARAMETER]
    operation.openapi_extra = extra


def idempotent(view: F) -> F:
    """Make a POST endpoint honour ``Idempotency-Key`` (see the module's docstring). Goes
    under ``@router.post(...)``; the operation must declare ``IDEMPOTENT_ERRORS``."""
    contribute_operation_callback(view, _document)
    decorated: F = decorate_view(_finishing)(view)
    return decorated
