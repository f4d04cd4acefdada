"""Every role against every API operation and every HTML view.

The expectations are written out, one line per route, in role order: Administrator,
Sales manager, Sales rep, Support agent, Marketer, Read-only, in one ``MatrixPart`` per app
(``tests/matrix_base.py`` for core and contacts, ``tests/<app>/matrix.py`` for the others).
The target records belong to an administrator outside every team, so only an ``all`` scope
reaches them: a role that cannot read them gets 404, one that can read but not act gets 403.
Any denied request must leave the database as it was (every write leaves an audit entry, so
the audit count is the witness, together with the row counts). A route missing from these
tables fails the suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sambandh.core import services as core_services
from sambandh.core.models import ApiToken, AuditEntry, OutboxEvent, User
from tests.api.routes import api_operations
from tests.conftest import shared_records
from tests.factories import make_user
from tests.matrix import ROLES, MatrixPart, Targets, html_url_names, parts

PARTS = parts()
API_PART: dict[tuple[str, str], MatrixPart] = {op: p for p in PARTS for op in p.api}
HTML_PART: dict[str, MatrixPart] = {name: p for p in PARTS for name in p.html_get}
HTML_VIEWS: list[tuple[str, str]] = [view for p in PARTS for view in p.html_views()]
PUBLIC_API = {op for p in PARTS for op in p.public_api}
ANONYMOUS_OPEN = {name for p in PARTS for name in p.anonymous_open}


@pytest.fixture(scope="module")
def targets(django_db_setup: None, django_db_blocker: Any) -> Iterator[Targets]:
    # Made once for the module's ~2,700 tests; each test's writes are rolled back to a
    # savepoint, so every test still starts from these records as made.
    with shared_records(django_db_blocker):
        t = Targets(make_user("target-admin", "Administrator"))
        for part in PARTS:
            part.make_targets(t)
        yield t


def _id_for(path: str, t: Targets) -> int:
    prefixes = sorted(
        ((prefix, name) for p in PARTS for prefix, name in p.api_ids),
        key=lambda pair: -len(pair[0]),
    )
    for prefix, name in prefixes:
        if path.startswith(prefix):
            return int(getattr(t, name).pk)
    raise AssertionError(f"no target for {path}")


def _api_url(method: str, path: str, t: Targets) -> str:
    url = path.replace("{id}", str(_id_for(path, t))) if "{id}" in path else path
    return url + API_PART[(method, path)].api_query.get((method, path), "")


def _state() -> tuple[int, ...]:
    tables: dict[str, Any] = {}
    models: list[Any] = [AuditEntry, OutboxEvent, *(m for p in PARTS for m in p.state_models)]
    for model in models:
        tables[model._meta.label] = model
    revoked = ApiToken.objects.filter(revoked_at__isnull=False).count()
    return (*(m._default_manager.count() for m in tables.values()), revoked)


def test_parts_do_not_overlap() -> None:
    assert sum(len(p.api) for p in PARTS) == len(API_PART)
    assert sum(len(p.html_get) for p in PARTS) == len(HTML_PART)


def test_every_api_operation_is_in_the_matrix() -> None:
    assert sorted(set(api_operations())) == sorted(API_PART)


@pytest.mark.parametrize(("method", "path"), sorted(API_PART))
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_api_permission_matrix(method, path, role_index, targets, client, north) -> None:
    part = API_PART[(method, path)]
    actor = make_user(f"actor-{role_index}", ROLES[role_index], [north])
    _token, raw = core_services.api_token_create(actor=actor, name="matrix")
    expected = int(part.api[(method, path)].split()[role_index])
    body = (
        part.api_body(method, path, targets, actor) if method in {"POST", "PATCH", "PUT"} else None
    )
    url = _api_url(method, path, targets)
    before = _state()
    response = client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert _state() == before
        assert response.json()["code"] in {"permission_denied", "not_found"}


def test_list_apis_show_the_targets_only_to_roles_with_an_all_scope(targets, client, north) -> None:
    for role_index, role in enumerate(ROLES):
        actor = make_user(f"lister-{role_index}", role, [north])
        _token, raw = core_services.api_token_create(actor=actor, name="matrix")
        headers = {"Authorization": f"Bearer {raw}"}
        sees_all = role != "Sales rep"
        for path, target in (
            ("/api/v1/contacts", targets.contact),
            ("/api/v1/accounts", targets.account),
        ):
            ids = [item["id"] for item in client.get(path, headers=headers).json()["items"]]
            assert (target.pk in ids) is sees_all, (role, path)
        hits = client.get("/api/v1/search?q=Target", headers=headers).json()
        assert bool(hits) is sees_all, role


@pytest.mark.parametrize(("method", "path"), sorted(set(API_PART) - PUBLIC_API))
def test_api_refuses_anonymous_callers(method, path, targets, client) -> None:
    url = _api_url(method, path, targets)
    before = _state()
    response = client.generic(method, url, data="{}", content_type="application/json")
    assert response.status_code == 401
    assert _state() == before


def test_every_html_view_is_in_the_matrix() -> None:
    assert sorted(name for name, _path in HTML_VIEWS) == sorted(HTML_PART)
    assert sorted(HTML_PART) == sorted(html_url_names())
    for part in PARTS:
        assert set(part.html_post) <= set(part.html_get), part.name


@pytest.mark.parametrize(("name", "path"), HTML_VIEWS, ids=[n for n, _p in HTML_VIEWS])
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_html_get_matrix(name, path, role_index, targets, client, north) -> None:
    part = HTML_PART[name]
    actor = make_user(f"viewer-{role_index}", ROLES[role_index], [north])
    client.force_login(actor)
    before = _state()
    response = client.get(part.html_url(name, path, targets))
    assert response.status_code == int(part.html_get[name].split()[role_index])
    # Reading never writes (a GET that changed data would be a CSRF hole).
    assert _state() == before


HTML_POSTS = sorted(name for p in PARTS for name in p.html_post)


@pytest.mark.parametrize("name", HTML_POSTS)
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_html_post_matrix(name, role_index, targets, client, north) -> None:
    part = HTML_PART[name]
    actor: User = make_user(f"writer-{role_index}", ROLES[role_index], [north])
    client.force_login(actor)
    path = dict(HTML_VIEWS)[name]
    expected = int(part.html_post[name].split()[role_index])
    before = _state()
    response = client.post(part.html_url(name, path, targets), part.html_form(name, targets))
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert _state() == before
    else:
        assert AuditEntry.objects.count() > before[0]


@pytest.mark.parametrize(("name", "path"), HTML_VIEWS, ids=[n for n, _p in HTML_VIEWS])
def test_html_views_send_anonymous_users_to_log_in(name, path, targets, client) -> None:
    response = client.get(HTML_PART[name].html_url(name, path, targets))
    if name in ANONYMOUS_OPEN:
        assert response.status_code in {200, 405}
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
