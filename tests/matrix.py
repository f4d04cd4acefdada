"""The permission matrix, in parts: each app's tests contribute one ``MatrixPart``.

``tests/test_permission_matrix.py`` runs every part: each API operation and each HTML view
for each built-in role, against records that belong to an administrator outside every team.
An app adds ``tests/<app>/matrix.py`` (or several, ``matrix_<area>.py``) defining ``PART``;
``parts()`` finds them. A route
that no part lists fails the suite (API operations come from the OpenAPI schema, HTML views
from the URL resolver).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from sambandh.core.models import User

ROLES = ["Administrator", "Sales manager", "Sales rep", "Support agent", "Marketer", "Read-only"]


class Targets:
    """Named records every part can use (``targets.contact``, ``targets.deal``, ...)."""

    def __init__(self, admin: User) -> None:
        self.admin = admin
        self.objects: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _none(*_args: Any) -> Any:
    return None


def _empty(*_args: Any) -> Any:
    return {}


@dataclass
class MatrixPart:
    """One app's rows of the matrix and how to build requests for them.

    - ``api``: ``(method, path) -> "s s s s s s"`` expected status per role (ROLES order).
    - ``api_ids``: ``(path prefix, target name)`` to fill ``{id}`` in paths.
    - ``api_body(method, path, targets, actor)``: the JSON body of a POST/PATCH/PUT, else None.
    - ``api_query``: ``(method, path) -> "?q=..."`` query strings some GETs need.
    - ``html_get`` / ``html_post``: ``url name -> statuses``; ``html_views()``: (name, path)
      with record id 1 in paths; ``html_url(name, path, targets)`` substitutes real ids;
      ``html_form(name, targets)`` is the body of a valid POST.
    - ``make_targets(targets)``: adds this part's records to ``targets.objects``.
    - ``state_models``: tables whose row counts must not change on a denied request.
    """

    name: str
    api: dict[tuple[str, str], str] = field(default_factory=dict)
    api_ids: list[tuple[str, str]] = field(default_factory=list)
    api_body: Callable[[str, str, Targets, User], dict[str, Any] | None] = _none
    api_query: dict[tuple[str, str], str] = field(default_factory=dict)
    public_api: set[tuple[str, str]] = field(default_factory=set)
    html_get: dict[str, str] = field(default_factory=dict)
    html_post: dict[str, str] = field(default_factory=dict)
    html_views: Callable[[], list[tuple[str, str]]] = list
    html_url: Callable[[str, str, Targets], str] = lambda _name, path, _t: path
    html_form: Callable[[str, Targets], dict[str, Any]] = _empty
    anonymous_open: set[str] = field(default_factory=set)
    make_targets: Callable[[Targets], None] = _none
    state_models: list[type[models.Model]] = field(default_factory=list)


def parts() -> list[MatrixPart]:
    """The base part plus every ``tests/<package>/matrix*.py`` that defines ``PART``."""
    from tests.matrix_base import PART as BASE

    found = [BASE]
    root = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(root)]), key=lambda i: i.name):
        if not info.ispkg:
            continue
        for path in sorted((root / info.name).glob("matrix*.py")):
            module = importlib.import_module(f"tests.{info.name}.{path.stem}")
            found.append(module.PART)
    return found


def html_url_names() -> set[str]:
    """Every named URL of the HTML UI (all namespaces except the admin and the API)."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if ns in {"admin", "api"}:
                    continue
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names
