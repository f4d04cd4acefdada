"""The core and contacts share of the permission matrix (see ``tests/matrix.py``)."""

from __future__ import annotations

from typing import Any

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
from tests.factories import make_account, make_contact, make_note, make_user
from tests.matrix import MatrixPart, Targets
from tests.web.routes import html_views

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
    ("GET", "/api/v1/contacts/export"): "200 200 200 403 200 403",
    ("POST", "/api/v1/contacts/duplicates"): "200 200 200 200 200 200",
    ("POST", "/api/v1/contacts/batch"): "200 200 200 200 200 200",
    ("POST", "/api/v1/accounts/batch"): "200 200 200 200 200 200",
    # Merging needs update on the survivor and delete on the others (dedup.merge).
    ("POST", "/api/v1/contacts/merge"): "200 200 404 403 403 403",
    ("POST", "/api/v1/accounts/merge"): "200 200 404 403 403 403",
    ("POST", "/api/v1/accounts/duplicates"): "200 200 200 200 200 200",
    ("GET", "/api/v1/accounts/export"): "200 200 200 403 200 403",
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


def _make_targets(t: Targets) -> None:
    from sambandh.contacts.services import tag_create

    owner_admin = t.admin
    contact = make_contact(owner_admin, first_name="Target", email="target@example.com")
    token, _raw = core_services.api_token_create(actor=owner_admin, name="target token")
    t.objects.update(
        contact=contact,
        account=make_account(owner_admin, name="Target Ltd"),
        duplicate_contact=make_contact(owner_admin, first_name="Target", last_name="Twin"),
        duplicate_account=make_account(owner_admin, name="Target Twin Ltd"),
        note=make_note(owner_admin, contact=contact, body="Target note"),
        tag=tag_create(actor=owner_admin, name="target-tag"),
        team=core_services.team_create(actor=owner_admin, name="Target team"),
        user=make_user("target-user", "Read-only"),
        token=token,
        custom_field=core_services.custom_field_create(
            actor=owner_admin,
            data={"object_type": "contact", "key": "target", "label_en": "T", "field_type": "text"},
        ),
    )


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
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
        ("POST", "/api/v1/contacts/duplicates"): {"first_name": "New", "email": "x@example.com"},
        ("POST", "/api/v1/contacts/batch"): {"records": [{"first_name": "Batch"}]},
        ("POST", "/api/v1/accounts/batch"): {"records": [{"name": "Batch Ltd"}]},
        ("POST", "/api/v1/contacts/merge"): {
            "survivor_id": t.contact.pk,
            "loser_ids": [t.duplicate_contact.pk],
            "values": {"last_name": "Twin"},
        },
        ("POST", "/api/v1/accounts/merge"): {
            "survivor_id": t.account.pk,
            "loser_ids": [t.duplicate_account.pk],
        },
        ("POST", "/api/v1/accounts/duplicates"): {"name": "New Ltd", "domain": "new.example"},
        ("PATCH", "/api/v1/accounts/{id}"): {"city": "Pune", "version": t.account.version},
        ("POST", "/api/v1/accounts/{id}/notes"): {"body": "New note"},
        ("PATCH", "/api/v1/notes/{id}"): {"body": "Changed note", "version": t.note.version},
        ("POST", "/api/v1/tags"): {"name": "new-tag"},
        ("PATCH", "/api/v1/tags/{id}"): {"name": "renamed-tag"},
    }
    return bodies[(method, path)]


# url name: expected GET status per role (ROLES order); anonymous users are sent to log in.
HTML_GET_MATRIX: dict[str, str] = {
    "web:home": "302 302 302 302 302 302",
    "web:login": "302 302 302 302 302 302",
    "web:logout": "405 405 405 405 405 405",
    "web:language": "405 405 405 405 405 405",
    "web:settings": "200 200 200 200 200 200",
    "web:search": "200 200 200 200 200 200",
    "web:note_delete": "405 405 405 405 405 405",
    "web:duplicates": "200 200 200 200 200 200",
    # Org-wide figures: administrators and roles that export every record (dedup.quality).
    "web:data_quality": "200 200 403 403 200 403",
    "web:contact_list": "200 200 200 200 200 200",
    "web:contact_merge": "200 200 404 403 403 403",
    "web:account_merge": "200 200 404 403 403 403",
    "web:contact_export": "405 405 405 405 405 405",
    "web:account_export": "405 405 405 405 405 405",
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
    "web:contact_export": "200 200 200 403 200 403",
    "web:account_export": "200 200 200 403 200 403",
    "web:note_delete": "302 302 404 403 403 403",
    "web:contact_merge": "302 302 404 403 403 403",
    "web:account_merge": "302 302 404 403 403 403",
    "web:data_quality": "302 302 403 403 302 403",
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


def _html_url(name: str, path: str, t: Targets) -> str:
    if name == "web:note_delete":
        return path.replace("/1/", f"/{t.note.pk}/")
    pk = t.contact.pk if "contact" in name else t.account.pk
    if name.endswith("_merge"):
        twin = t.duplicate_contact.pk if "contact" in name else t.duplicate_account.pk
        return path.replace("ids=1,2", f"ids={pk},{twin}")
    return path.replace("/1/", f"/{pk}/")


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    if name == "web:data_quality":
        return {"object": "contact"}
    kind = "contact" if "contact" in name else "account"
    record: Any = t.contact if kind == "contact" else t.account
    version = str(record.version)
    if name.endswith("_notes"):
        return {"body": "A matrix note"}
    if name.endswith("_field"):
        return {"phone": "+919812345678", "version": version}
    if name.endswith("_delete"):
        return {}
    if name.endswith("_merge"):
        twin = t.duplicate_contact if kind == "contact" else t.duplicate_account
        return {"ids": f"{record.pk},{twin.pk}", "survivor": str(record.pk)}
    data: dict[str, Any] = (
        {"first_name": "Matrix", "last_name": "Person", "email": "matrix@example.com"}
        if kind == "contact"
        else {"name": "Matrix Ltd"}
    )
    if name.endswith("_edit"):
        data["version"] = version
    return data


PART = MatrixPart(
    name="core and contacts",
    api=API_MATRIX,
    api_ids=[
        ("/api/v1/users/", "user"),
        ("/api/v1/teams/", "team"),
        ("/api/v1/tokens/", "token"),
        ("/api/v1/custom-fields/", "custom_field"),
        ("/api/v1/contacts/", "contact"),
        ("/api/v1/accounts/", "account"),
        ("/api/v1/notes/", "note"),
        ("/api/v1/tags/", "tag"),
    ],
    api_body=_api_body,
    api_query={("GET", "/api/v1/search"): "?q=Target"},
    public_api={("GET", "/api/v1/health")},
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=html_views,
    html_url=_html_url,
    html_form=_html_form,
    anonymous_open={"web:login", "web:logout", "web:language"},
    make_targets=_make_targets,
    state_models=[
        AuditEntry,
        OutboxEvent,
        Contact,
        Account,
        Note,
        Tag,
        Team,
        User,
        CustomFieldDefinition,
        ApiToken,
    ],  # fmt: skip
)
