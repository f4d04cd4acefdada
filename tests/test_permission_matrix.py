"""Every role against every API operation and every HTML view.

The expectations are written out, one line per route, in role order: Administrator,
Sales manager, Sales rep, Support agent, Marketer, Read-only. The target records belong to
an administrator outside every team, so only an ``all`` scope reaches them: a role that
cannot read them gets 404, one that can read but not act gets 403. Any denied request must
leave the database as it was (every write leaves an audit entry, so the audit count is the
witness, together with the row counts). A route missing from these tables fails the suite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.core import services as core_services
from sambandh.core.models import (
    ApiToken,
    AuditEntry,
    CustomFieldDefinition,
    OrganisationSettings,
    OutboxEvent,
    Team,
    User,
)
from tests.api.routes import api_operations
from tests.factories import make_account, make_contact, make_note, make_user
from tests.web.routes import html_views

ROLES = ["Administrator", "Sales manager", "Sales rep", "Support agent", "Marketer", "Read-only"]

# (method, path): expected status per role, in ROLES order.
API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): "200 200 200 200 200 200",
    ("GET", "/api/v1/me"): "200 200 200 200 200 200",
    ("PATCH", "/api/v1/me"): "200 200 200 200 200 200",
    ("GET", "/api/v1/users"): "200 200 200 200 200 200",
    ("POST", "/api/v1/users"): "201 403 403 403 403 403",
    ("GET", "/api/v1/users/{id}"): "200 200 200 200 200 200",
    ("PATCH", "/api/v1/users/{id}"): "200 403 403 403 403 403",
    ("GET", "/api/v1/teams"): "200 200 200 200 200 200",
    ("POST", "/api/v1/teams"): "201 403 403 403 403 403",
    ("GET", "/api/v1/teams/{id}"): "200 200 200 200 200 200",
    ("PATCH", "/api/v1/teams/{id}"): "200 403 403 403 403 403",
    ("DELETE", "/api/v1/teams/{id}"): "204 403 403 403 403 403",
    ("GET", "/api/v1/tokens"): "200 200 200 200 200 200",
    ("POST", "/api/v1/tokens"): "201 201 201 201 201 201",
    ("DELETE", "/api/v1/tokens/{id}"): "204 404 404 404 404 404",
    ("GET", "/api/v1/organisation"): "200 200 200 200 200 200",
    ("PATCH", "/api/v1/organisation"): "200 403 403 403 403 403",
    ("GET", "/api/v1/custom-fields"): "200 200 200 200 200 200",
    ("POST", "/api/v1/custom-fields"): "201 403 403 403 403 403",
    ("GET", "/api/v1/custom-fields/{id}"): "200 200 200 200 200 200",
    ("PATCH", "/api/v1/custom-fields/{id}"): "200 403 403 403 403 403",
    ("DELETE", "/api/v1/custom-fields/{id}"): "204 403 403 403 403 403",
    ("GET", "/api/v1/contacts"): "200 200 200 200 200 200",
    ("POST", "/api/v1/contacts"): "201 201 201 403 201 403",
    ("GET", "/api/v1/contacts/{id}"): "200 200 404 200 200 200",
    ("PATCH", "/api/v1/contacts/{id}"): "200 200 404 200 200 403",
    ("DELETE", "/api/v1/contacts/{id}"): "204 204 404 403 403 403",
    ("GET", "/api/v1/contacts/{id}/history"): "200 200 404 200 200 200",
    ("GET", "/api/v1/contacts/{id}/notes"): "200 200 404 200 200 200",
    ("POST", "/api/v1/contacts/{id}/notes"): "201 201 404 201 201 403",
    ("GET", "/api/v1/accounts"): "200 200 200 200 200 200",
    ("POST", "/api/v1/accounts"): "201 201 201 403 403 403",
    ("GET", "/api/v1/accounts/{id}"): "200 200 404 200 200 200",
    ("PATCH", "/api/v1/accounts/{id}"): "200 200 404 403 403 403",
    ("DELETE", "/api/v1/accounts/{id}"): "204 204 404 403 403 403",
    ("GET", "/api/v1/accounts/{id}/history"): "200 200 404 200 200 200",
    ("GET", "/api/v1/accounts/{id}/notes"): "200 200 404 200 200 200",
    ("POST", "/api/v1/accounts/{id}/notes"): "201 201 404 201 201 403",
    ("GET", "/api/v1/notes/{id}"): "200 200 404 200 200 200",
    ("PATCH", "/api/v1/notes/{id}"): "200 200 404 403 403 403",
    ("DELETE", "/api/v1/notes/{id}"): "204 204 404 403 403 403",
    ("GET", "/api/v1/tags"): "200 200 200 200 200 200",
    ("POST", "/api/v1/tags"): "201 201 201 403 201 403",
    ("GET", "/api/v1/tags/{id}"): "200 200 200 200 200 200",
    ("PATCH", "/api/v1/tags/{id}"): "200 200 403 403 200 403",
    ("DELETE", "/api/v1/tags/{id}"): "204 204 403 403 204 403",
    ("GET", "/api/v1/search"): "200 200 200 200 200 200",
}
PUBLIC_API = {("GET", "/api/v1/health")}


@dataclass
class Targets:
    """Records owned by an administrator who is in no team."""

    admin: User
    contact: Contact
    account: Account
    note: Note
    tag: Tag
    team: Team
    user: User
    token: ApiToken
    custom_field: CustomFieldDefinition

    def id_for(self, path: str) -> int:
        for prefix, obj in (
            ("/api/v1/users/", self.user),
            ("/api/v1/teams/", self.team),
            ("/api/v1/tokens/", self.token),
            ("/api/v1/custom-fields/", self.custom_field),
            ("/api/v1/contacts/", self.contact),
            ("/api/v1/accounts/", self.account),
            ("/api/v1/notes/", self.note),
            ("/api/v1/tags/", self.tag),
        ):
            if path.startswith(prefix):
                return int(obj.pk)
        raise AssertionError(f"no target for {path}")


@pytest.fixture
def targets(db: None) -> Targets:
    owner_admin = make_user("target-admin", "Administrator")
    contact = make_contact(owner_admin, first_name="Target", email="target@example.com")
    account = make_account(owner_admin, name="Target Ltd")
    token, _raw = core_services.api_token_create(actor=owner_admin, name="target token")
    return Targets(
        admin=owner_admin,
        contact=contact,
        account=account,
        note=make_note(owner_admin, contact=contact, body="Target note"),
        tag=core_tag(owner_admin),
        team=core_services.team_create(actor=owner_admin, name="Target team"),
        user=make_user("target-user", "Read-only"),
        token=token,
        custom_field=core_services.custom_field_create(
            actor=owner_admin,
            data={"object_type": "contact", "key": "target", "label_en": "T", "field_type": "text"},
        ),
    )


def core_tag(actor: User) -> Tag:
    from sambandh.contacts.services import tag_create

    return tag_create(actor=actor, name="target-tag")


def _body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    if method not in {"POST", "PATCH"}:
        return None
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("PATCH", "/api/v1/me"): {"language": "hi", "version": actor.version},
        ("POST", "/api/v1/users"): {"username": "new-user", "password": "a-long-new-password-1"},
        ("PATCH", "/api/v1/users/{id}"): {"first_name": "Changed", "version": t.user.version},
        ("POST", "/api/v1/teams"): {"name": "New team"},
        ("PATCH", "/api/v1/teams/{id}"): {"name": "Renamed team"},
        ("POST", "/api/v1/tokens"): {"name": "new token"},
        ("PATCH", "/api/v1/organisation"): {
            "name": "Renamed org",
            "version": OrganisationSettings.get().version,
        },
        ("POST", "/api/v1/custom-fields"): {
            "object_type": "account",
            "key": "new_field",
            "label_en": "New",
            "field_type": "text",
        },
        ("PATCH", "/api/v1/custom-fields/{id}"): {
            "label_hi": "नया",
            "version": t.custom_field.version,
        },
        ("POST", "/api/v1/contacts"): {"first_name": "New", "email": "new@example.com"},
        ("PATCH", "/api/v1/contacts/{id}"): {"city": "Pune", "version": t.contact.version},
        ("POST", "/api/v1/contacts/{id}/notes"): {"body": "New note"},
        ("POST", "/api/v1/accounts"): {"name": "New Ltd"},
        ("PATCH", "/api/v1/accounts/{id}"): {"city": "Pune", "version": t.account.version},
        ("POST", "/api/v1/accounts/{id}/notes"): {"body": "New note"},
        ("PATCH", "/api/v1/notes/{id}"): {"body": "Changed note", "version": t.note.version},
        ("POST", "/api/v1/tags"): {"name": "new-tag"},
        ("PATCH", "/api/v1/tags/{id}"): {"name": "renamed-tag"},
    }
    return bodies[(method, path)]


def _state() -> tuple[int, ...]:
    models: list[Any] = [
        AuditEntry, OutboxEvent, Contact, Account, Note, Tag, Team, User,
        CustomFieldDefinition, ApiToken,
    ]  # fmt: skip
    revoked = ApiToken.objects.filter(revoked_at__isnull=False).count()
    return (*(m.objects.count() for m in models), revoked)


def test_every_api_operation_is_in_the_matrix() -> None:
    assert sorted(set(api_operations())) == sorted(API_MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(API_MATRIX))
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_api_permission_matrix(method, path, role_index, targets, client, north) -> None:
    role = ROLES[role_index]
    actor = make_user(f"actor-{role_index}", role, [north])
    _token, raw = core_services.api_token_create(actor=actor, name="matrix")
    expected = int(API_MATRIX[(method, path)].split()[role_index])
    url = path.replace("{id}", str(targets.id_for(path))) if "{id}" in path else path
    if path == "/api/v1/search":
        url += "?q=Target"
    body = _body(method, path, targets, actor)
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


@pytest.mark.parametrize(("method", "path"), sorted(set(API_MATRIX) - PUBLIC_API))
def test_api_refuses_anonymous_callers(method, path, targets, client) -> None:
    url = path.replace("{id}", str(targets.id_for(path))) if "{id}" in path else path
    before = _state()
    response = client.generic(method, url, data="{}", content_type="application/json")
    assert response.status_code == 401
    assert _state() == before


# url name: expected GET status per role (ROLES order); anonymous users are sent to log in.
HTML_GET_MATRIX: dict[str, str] = {
    "web:home": "302 302 302 302 302 302",
    "web:login": "302 302 302 302 302 302",
    "web:logout": "405 405 405 405 405 405",
    "web:language": "405 405 405 405 405 405",
    "web:settings": "200 200 200 200 200 200",
    "web:search": "200 200 200 200 200 200",
    "web:contact_list": "200 200 200 200 200 200",
    "web:contact_create": "200 200 200 403 200 403",
    "web:contact_detail": "200 200 404 200 200 200",
    "web:contact_edit": "200 200 404 200 200 403",
    "web:contact_delete": "200 200 404 403 403 403",
    "web:contact_notes": "302 302 404 302 302 302",
    "web:contact_history": "200 200 404 200 200 200",
    "web:contact_field": "200 200 404 200 200 200",
    "web:contact_field_edit": "200 200 404 200 200 403",
    "web:account_list": "200 200 200 200 200 200",
    "web:account_create": "200 200 200 403 403 403",
    "web:account_detail": "200 200 404 200 200 200",
    "web:account_edit": "200 200 404 403 403 403",
    "web:account_delete": "200 200 404 403 403 403",
    "web:account_notes": "302 302 404 302 302 302",
    "web:account_history": "200 200 404 200 200 200",
    "web:account_field": "200 200 404 200 200 200",
    "web:account_field_edit": "200 200 404 403 403 403",
}
# url name: expected status of a valid POST per role; these views write.
HTML_POST_MATRIX: dict[str, str] = {
    "web:contact_create": "302 302 302 403 302 403",
    "web:contact_edit": "302 302 404 302 302 403",
    "web:contact_delete": "302 302 404 403 403 403",
    "web:contact_notes": "302 302 404 302 302 403",
    "web:contact_field": "200 200 404 200 200 403",
    "web:account_create": "302 302 302 403 403 403",
    "web:account_edit": "302 302 404 403 403 403",
    "web:account_delete": "302 302 404 403 403 403",
    "web:account_notes": "302 302 404 302 302 403",
    "web:account_field": "200 200 404 403 403 403",
}
ANONYMOUS_OPEN = {"web:login", "web:logout", "web:language"}


def _html_url(name: str, path: str, t: Targets) -> str:
    pk = t.contact.pk if "contact" in name else t.account.pk
    return path.replace("/1/", f"/{pk}/")


def _form(name: str, t: Targets) -> dict[str, Any]:
    kind = "contact" if "contact" in name else "account"
    record: Any = t.contact if kind == "contact" else t.account
    version = str(record.version)
    if name.endswith("_notes"):
        return {"body": "A matrix note"}
    if name.endswith("_field"):
        return {"phone": "+919812345678", "version": version}
    if name.endswith("_delete"):
        return {}
    data: dict[str, Any] = (
        {"first_name": "Matrix", "last_name": "Person", "email": "matrix@example.com"}
        if kind == "contact"
        else {"name": "Matrix Ltd"}
    )
    if name.endswith("_edit"):
        data["version"] = version
    return data


def test_every_html_view_is_in_the_matrix() -> None:
    assert sorted(name for name, _path in html_views()) == sorted(HTML_GET_MATRIX)
    assert set(HTML_POST_MATRIX) <= set(HTML_GET_MATRIX)


@pytest.mark.parametrize(("name", "path"), html_views(), ids=[n for n, _p in html_views()])
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_html_get_matrix(name, path, role_index, targets, client, north) -> None:
    actor = make_user(f"viewer-{role_index}", ROLES[role_index], [north])
    client.force_login(actor)
    before = _state()
    response = client.get(_html_url(name, path, targets))
    assert response.status_code == int(HTML_GET_MATRIX[name].split()[role_index])
    # Reading never writes (a GET that changed data would be a CSRF hole).
    assert _state() == before


@pytest.mark.parametrize("name", sorted(HTML_POST_MATRIX))
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_html_post_matrix(name, role_index, targets, client, north) -> None:
    actor = make_user(f"writer-{role_index}", ROLES[role_index], [north])
    client.force_login(actor)
    path = dict(html_views())[name]
    expected = int(HTML_POST_MATRIX[name].split()[role_index])
    before = _state()
    response = client.post(_html_url(name, path, targets), _form(name, targets))
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert _state() == before
    else:
        assert AuditEntry.objects.count() > before[0]


@pytest.mark.parametrize(("name", "path"), html_views(), ids=[n for n, _p in html_views()])
def test_html_views_send_anonymous_users_to_log_in(name, path, targets, client) -> None:
    response = client.get(_html_url(name, path, targets))
    if name in ANONYMOUS_OPEN:
        assert response.status_code in {200, 405}
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
