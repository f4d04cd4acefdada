"""The workflow API: create, read, change with a version, delete, versions, test mode, a run
by hand, the run history, templates and the action registry; administrators only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sambandh.activities.models import Activity
from sambandh.automation.delivery import pump
from sambandh.automation.models import Workflow, WorkflowRun, WorkflowVersion
from sambandh.automation.workflows import workflow_create
from sambandh.contacts.models import Contact
from sambandh.contacts.services import contact_create
from sambandh.core.errors import ValidationError
from sambandh.core.models import AuditEntry, User
from sambandh.core.services import api_token_create

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workflows"


class Api:
    def __init__(self, user: User, language: str = "en") -> None:
        _token, raw = api_token_create(actor=user, name="workflow api test")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}", "Accept-Language": language}

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.generic(
            method,
            path,
            data=json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers,
        )

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("POST", path, body)


LEAD_WORKFLOW: dict[str, Any] = {
    "name": "Welcome new leads",
    "object_type": "contact",
    "trigger": {"type": "record_created"},
    "conditions": {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]},
    "actions": [
        {"type": "add_tag", "tag": "welcomed"},
        {"type": "create_task", "subject": "Call the new lead", "due_in_days": 2},
    ],
    "is_active": True,
}


def _tags(contact: Contact) -> list[str]:
    return sorted(contact.tags.values_list("name", flat=True))


def _manual(admin: User, **data: Any) -> Workflow:
    base: dict[str, Any] = {
        "name": "By hand",
        "object_type": "contact",
        "trigger": {"type": "manual"},
        "conditions": {"all": [{"field": "city", "op": "eq", "value": "Pune"}]},
        "actions": [{"type": "add_tag", "tag": "picked"}],
        "is_active": True,
    }
    return workflow_create(actor=admin, data={**base, **data})


def test_a_workflow_created_through_the_api_runs_for_a_matching_new_contact(admin: User) -> None:
    api = Api(admin)
    response = api.post(BASE, LEAD_WORKFLOW)
    assert response.status_code == 201, response.content
    body = response.json()
    workflow = Workflow.objects.get()
    assert body == {
        "id": workflow.pk,
        "version": 1,
        "name": "Welcome new leads",
        "description": "",
        "object_type": "contact",
        "trigger": {"type": "record_created"},
        "conditions": LEAD_WORKFLOW["conditions"],
        "actions": [
            {"type": "add_tag", "tag": "welcomed"},
            {
                "type": "create_task",
                "subject": "Call the new lead",
                "due_in_days": 2,
                "priority": "normal",
            },
        ],
        "is_active": True,
        "template_key": "",
        "owner_id": admin.pk,
        "last_run_state": None,
        "last_run_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    lead = contact_create(
        actor=admin, data={"first_name": "Ravi", "lifecycle_stage": "lead", "owner_id": admin.pk}
    )
    other = contact_create(actor=admin, data={"first_name": "Sita", "lifecycle_stage": "customer"})
    assert pump()["runs"] == 1
    assert (_tags(lead), _tags(other)) == (["welcomed"], [])
    assert list(Activity.objects.values_list("contact_id", "subject")) == [
        (lead.pk, "Call the new lead")
    ]
    listed = api.get(BASE).json()
    assert [(w["id"], w["last_run_state"]) for w in listed["items"]] == [(workflow.pk, "succeeded")]


def test_bad_parts_are_a_400_naming_each_part(admin: User) -> None:
    body = {
        **LEAD_WORKFLOW,
        "trigger": {"type": "whenever"},
        "conditions": {"all": [{"field": "shoe_size", "op": "eq", "value": 9}]},
        "actions": [{"type": "add_tag", "tag": "ok"}, {"type": "create_task"}],
    }
    response = Api(admin).post(BASE, body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "Please correct the errors below.",
        "fields": {
            "trigger": ["Choose what starts the workflow."],
            "conditions": ["“shoe_size” is not a field of this record."],
            "actions": ["Action 2: “subject” is required."],
        },
    }
    assert Workflow.objects.count() == 0


def test_errors_come_in_the_callers_language(admin: User) -> None:
    response = Api(admin, language="hi").post(BASE, {**LEAD_WORKFLOW, "actions": []})
    assert response.status_code == 400
    assert response.json()["fields"] == {"actions": ["कम से कम एक कार्रवाई जोड़ें।"]}


@pytest.mark.parametrize(
    "conditions",
    [
        # Django checks these when a query is built: saved, they would break every later query.
        {"all": [{"field": "lead_score", "op": "gt", "value": "many"}]},
        {"all": [{"field": "city", "op": {"nested": 1}, "value": "x"}]},
        {"all": [{"field": "lead_score", "op": "lt", "value": 2**70}]},
        {"all": [{"field": "city", "op": "in", "value": ["Pune", {"a": 1}]}]},
        {"all": [{"field": "city", "op": "eq", "value": "nul\x00"}]},
    ],
)
def test_a_condition_the_database_cannot_use_is_refused_on_saving(
    admin: User, conditions: dict[str, Any]
) -> None:
    response = Api(admin).post(BASE, {**LEAD_WORKFLOW, "conditions": conditions})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["conditions"]
    assert Workflow.objects.count() == 0


def test_an_email_placeholder_with_an_index_is_refused(admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        workflow_create(
            actor=admin,
            data={
                **LEAD_WORKFLOW,
                "actions": [{"type": "send_email", "subject": "Hi {name[x]}", "text": "Hello"}],
            },
        )
    assert caught.value.fields == {
        "actions": ["Action 1: “subject” has a stray brace; placeholders look like {first_name}."]
    }


def test_patch_makes_a_new_version_and_a_stale_version_is_a_409(admin: User) -> None:
    api = Api(admin)
    workflow_id = api.post(BASE, LEAD_WORKFLOW).json()["id"]
    changed = api.send(
        "PATCH",
        f"{BASE}/{workflow_id}",
        {"version": 1, "name": "Welcome leads", "actions": [{"type": "add_tag", "tag": "v2"}]},
    )
    assert changed.status_code == 200
    assert (changed.json()["version"], changed.json()["name"]) == (2, "Welcome leads")
    stale = api.send("PATCH", f"{BASE}/{workflow_id}", {"version": 1, "name": "Lost update"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert Workflow.objects.get().name == "Welcome leads"
    versions = api.get(f"{BASE}/{workflow_id}/versions").json()
    assert [
        (v["number"], v["created_by_id"], v["definition"]["name"]) for v in versions["items"]
    ] == [(2, admin.pk, "Welcome leads"), (1, admin.pk, "Welcome new leads")]
    assert versions["items"][1]["definition"]["actions"][0] == {
        "type": "add_tag",
        "tag": "welcomed",
    }


def test_the_record_type_cannot_be_patched(admin: User) -> None:
    api = Api(admin)
    workflow_id = api.post(BASE, LEAD_WORKFLOW).json()["id"]
    response = api.send("PATCH", f"{BASE}/{workflow_id}", {"version": 1, "object_type": "deal"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"object_type": ["Unknown field."]}


def test_test_mode_shows_matches_and_planned_actions_and_writes_nothing(admin: User) -> None:
    workflow = _manual(admin, is_active=False)
    pune = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    goa = contact_create(actor=admin, data={"first_name": "Gia", "city": "Goa"})
    api = Api(admin)
    audits = AuditEntry.objects.count()
    response = api.post(f"{BASE}/{workflow.pk}/test", {"ids": [pune.pk, goa.pk]})
    assert response.status_code == 200
    assert response.json() == {
        "matching": [{"id": pune.pk, "label": str(pune), "actions": ["Add the tag “picked”."]}],
        "not_matching": [str(goa.pk)],
    }
    assert (_tags(pune), WorkflowRun.objects.count(), AuditEntry.objects.count()) == (
        [],
        0,
        audits,
    )


def test_test_mode_without_ids_tries_the_first_records(admin: User) -> None:
    workflow = _manual(admin)
    pune = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    goa = contact_create(actor=admin, data={"first_name": "Gia", "city": "Goa"})
    body = Api(admin).post(f"{BASE}/{workflow.pk}/test", {}).json()
    assert [m["id"] for m in body["matching"]] == [pune.pk]
    assert body["not_matching"] == [str(goa.pk)]


def test_a_manual_run_and_its_history_with_each_actions_result(admin: User) -> None:
    workflow = _manual(
        admin,
        actions=[
            {"type": "add_tag", "tag": "picked"},
            {"type": "create_task", "subject": "Visit", "due_in_days": 1},
        ],
    )
    pune = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    goa = contact_create(actor=admin, data={"first_name": "Gia", "city": "Goa"})
    api = Api(admin)
    response = api.post(f"{BASE}/{workflow.pk}/run", {"ids": [pune.pk, goa.pk]})
    assert response.status_code == 200
    assert response.json() == {"made": 1}
    pump()
    assert (_tags(pune), _tags(goa)) == (["picked"], [])
    history = api.get(f"{BASE}/{workflow.pk}/runs").json()
    task = Activity.objects.get()
    [run] = history["items"]
    assert (run["object_id"], run["state"], run["version"], run["error"]) == (
        str(pune.pk),
        "succeeded",
        1,
        "",
    )
    assert run["results"] == [
        {"type": "add_tag", "status": "done", "message": "Tagged."},
        {"type": "create_task", "status": "done", "message": f"Task #{task.pk} created."},
    ]
    assert run["trigger_key"].startswith("manual:")
    assert api.get(f"{BASE}/{workflow.pk}/runs?state=failed").json()["items"] == []


def test_the_run_history_is_newest_first_in_keyset_pages(admin: User) -> None:
    workflow = _manual(admin, conditions={})
    people = [contact_create(actor=admin, data={"first_name": f"P{i}"}) for i in range(3)]
    for person in people:
        Api(admin).post(f"{BASE}/{workflow.pk}/run", {"ids": [person.pk]})
    pump()
    api = Api(admin)
    first = api.get(f"{BASE}/{workflow.pk}/runs?limit=2").json()
    second = api.get(f"{BASE}/{workflow.pk}/runs?limit=2&cursor={first['next_cursor']}").json()
    seen = [r["object_id"] for r in first["items"] + second["items"]]
    assert seen == [str(p.pk) for p in reversed(people)]
    assert second["next_cursor"] is None


def test_a_failed_run_shows_its_error_and_what_was_undone(admin: User) -> None:
    workflow = _manual(
        admin,
        conditions={},
        actions=[
            {"type": "add_tag", "tag": "first"},
            {"type": "update_field", "field": "email", "value": "not an email"},
        ],
    )
    contact = contact_create(actor=admin, data={"first_name": "F"})
    Api(admin).post(f"{BASE}/{workflow.pk}/run", {"ids": [contact.pk]})
    pump()
    [run] = Api(admin).get(f"{BASE}/{workflow.pk}/runs?state=failed").json()["items"]
    assert [(r["type"], r["status"]) for r in run["results"]] == [
        ("add_tag", "undone"),
        ("update_field", "failed"),
    ]
    assert "email" in run["error"]


def test_running_a_workflow_that_is_off_is_a_400(admin: User) -> None:
    workflow = _manual(admin, is_active=False)
    contact = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    response = Api(admin).post(f"{BASE}/{workflow.pk}/run", {"ids": [contact.pk]})
    assert response.status_code == 400
    assert response.json()["fields"] == {"": ["Turn the workflow on before running it."]}
    assert WorkflowRun.objects.count() == 0


def test_delete_removes_the_workflow_with_its_versions(admin: User) -> None:
    workflow = _manual(admin)
    response = Api(admin).send("DELETE", f"{BASE}/{workflow.pk}")
    assert response.status_code == 204
    assert (Workflow.objects.count(), WorkflowVersion.objects.count()) == (0, 0)
    assert Api(admin).get(f"{BASE}/{workflow.pk}").status_code == 404


def test_templates_are_listed_and_one_becomes_a_workflow_switched_off(admin: User) -> None:
    api = Api(admin)
    listed = api.get("/api/v1/workflow-templates").json()["items"]
    assert [t["key"] for t in listed] == [
        "birthday_greeting",
        "stalled_deal_task",
        "new_lead_welcome",
        "won_deal_customer",
    ]
    assert listed[0]["name"] == "Birthday greeting at 9:00 local time"
    assert listed[0]["object_type"] == "contact"
    response = api.post("/api/v1/workflow-templates/birthday_greeting")
    assert response.status_code == 201
    body = response.json()
    assert (body["is_active"], body["template_key"], body["trigger"]) == (
        False,
        "birthday_greeting",
        {"type": "date", "field": "birthday", "offset_days": 0, "at": "09:00"},
    )
    assert api.post("/api/v1/workflow-templates/no_such").status_code == 404


def test_template_names_come_in_the_callers_language(admin: User) -> None:
    listed = Api(admin, language="hi").get("/api/v1/workflow-templates").json()["items"]
    assert listed[0]["name"] != "Birthday greeting at 9:00 local time"


def test_the_action_registry_lists_keys_labels_and_record_types(admin: User) -> None:
    items = Api(admin).get("/api/v1/workflow-actions").json()["items"]
    by_key = {i["key"]: i for i in items}
    assert by_key["send_email"] == {
        "key": "send_email",
        "label": "Send an email",
        "object_types": ["contact"],
    }
    assert by_key["create_task"]["object_types"] == ["contact", "account", "deal"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", BASE, None),
        ("POST", BASE, LEAD_WORKFLOW),
        ("GET", BASE + "/{id}", None),
        ("PATCH", BASE + "/{id}", {"version": 1, "name": "Taken over"}),
        ("DELETE", BASE + "/{id}", None),
        ("GET", BASE + "/{id}/versions", None),
        ("POST", BASE + "/{id}/test", {}),
        ("POST", BASE + "/{id}/run", {"ids": [1]}),
        ("GET", BASE + "/{id}/runs", None),
        ("GET", "/api/v1/workflow-templates", None),
        ("POST", "/api/v1/workflow-templates/birthday_greeting", None),
        ("GET", "/api/v1/workflow-actions", None),
    ],
)
def test_everyone_but_administrators_gets_a_403_and_nothing_changes(
    admin: User, manager: User, method: str, path: str, body: Any
) -> None:
    workflow = _manual(admin)
    api = Api(manager)
    before = (
        Workflow.objects.count(),
        WorkflowVersion.objects.count(),
        WorkflowRun.objects.count(),
        AuditEntry.objects.count(),
    )
    url = path.replace("{id}", str(workflow.pk))
    response = api.get(url) if method == "GET" else api.send(method, url, body)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    after = (
        Workflow.objects.count(),
        WorkflowVersion.objects.count(),
        WorkflowRun.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    assert Workflow.objects.get().name == "By hand"


def test_a_token_narrowed_to_contacts_cannot_manage_workflows(admin: User) -> None:
    from sambandh.core.services import api_token_create as create

    _token, raw = create(actor=admin, name="narrow", scopes=["contact:write"])
    response = Client().post(
        BASE,
        data=json.dumps(LEAD_WORKFLOW),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 403
    assert Workflow.objects.count() == 0


def test_run_state_filter_rejects_an_unknown_state(admin: User) -> None:
    workflow = _manual(admin)
    response = Api(admin).get(f"{BASE}/{workflow.pk}/runs?state=exploded")
    assert response.status_code == 400
    assert response.json()["fields"] == {"state": ["Choose one of the offered values."]}
