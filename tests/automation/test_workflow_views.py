"""The workflow pages: the list and template gallery, the builder (rows, re-posts, errors next
to their fields), a workflow's page (on/off, test mode, a run on a selection, versions, run
history) and delete; administrators only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sambandh.activities.models import Activity
from sambandh.automation.delivery import pump
from sambandh.automation.models import Workflow, WorkflowRun, WorkflowVersion
from sambandh.automation.workflows import workflow_create, workflow_update
from sambandh.contacts.models import Contact
from sambandh.contacts.services import contact_create
from sambandh.core.models import AuditEntry, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tags(contact: Contact) -> list[str]:
    return sorted(contact.tags.values_list("name", flat=True))


def _text(response: Any) -> str:
    """The page's visible text, tags dropped and spaces squeezed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", _unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _form(**extra: str) -> dict[str, str]:
    """A new contact workflow: created leads get a tag and a task."""
    form = {
        "name": "Welcome new leads",
        "description": "",
        "object_type": "contact",
        "is_active": "on",
        "trigger_type": "record_created",
        "match": "all",
        "condition_rows": "2",
        "c0-field": "lifecycle_stage",
        "c0-op": "eq",
        "c0-value": "lead",
        "c1-field": "",
        "c1-op": "eq",
        "c1-value": "",
        "action_rows": "3",
        "a0-type": "add_tag",
        "a0-tag": "welcomed",
        "a1-type": "create_task",
        "a1-subject": "Call the new lead",
        "a1-due_in_days": "2",
        "a1-priority": "high",
        "a2-type": "",
        "command": "save",
    }
    form.update(extra)
    return form


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


def _state() -> tuple[int, ...]:
    return (
        Workflow.objects.count(),
        WorkflowVersion.objects.count(),
        WorkflowRun.objects.count(),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------- builder


def test_a_workflow_made_in_the_builder_runs_for_a_matching_new_contact(admin: User) -> None:
    response = _client(admin).post(reverse("workflows:create"), _form())
    workflow = Workflow.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:detail", args=[workflow.pk])
    assert (workflow.trigger, workflow.conditions, workflow.is_active, workflow.owner_id) == (
        {"type": "record_created"},
        {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]},
        True,
        admin.pk,
    )
    assert workflow.actions == [
        {"type": "add_tag", "tag": "welcomed"},
        {
            "type": "create_task",
            "subject": "Call the new lead",
            "due_in_days": 2,
            "priority": "high",
        },
    ]
    lead = contact_create(
        actor=admin, data={"first_name": "Ravi", "lifecycle_stage": "lead", "owner_id": admin.pk}
    )
    customer = contact_create(
        actor=admin, data={"first_name": "Sita", "lifecycle_stage": "customer"}
    )
    assert pump()["runs"] == 1
    assert (_tags(lead), _tags(customer)) == (["welcomed"], [])
    task = Activity.objects.get()
    assert (task.contact_id, task.subject, task.priority) == (lead.pk, "Call the new lead", "high")


def test_the_builder_page_offers_the_record_types_fields_and_actions(admin: User) -> None:
    from sambandh.core.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        object_type="contact", key="tier", label_en="Tier", field_type="text"
    )
    page = _client(admin).get(reverse("workflows:create")).content.decode()
    assert '<option value="cf.tier">Tier</option>' in page
    assert '<option value="tags">Tags</option>' in page
    assert '<option value="city">City</option>' in page
    assert '<option value="send_email">Send an email</option>' in page
    deal_page = _client(admin).get(reverse("workflows:create") + "?object_type=deal")
    html = deal_page.content.decode()
    assert '<option value="is_won">Won</option>' in html
    assert "send_email" not in html  # emails go to contacts


def test_choosing_an_action_type_shows_its_settings_without_saving(admin: User) -> None:
    form = _form(**{"a2-type": "send_email", "command": "refresh"})
    response = _client(admin).post(reverse("workflows:create"), form)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("a2-email_subject_en", "a2-email_text_en", "a2-email_subject_hi"):
        assert f'name="{name}"' in html
    assert 'name="a3-type"' in html  # a fresh blank row below
    assert Workflow.objects.count() == 0


def test_add_and_remove_rows_re_post_the_form(admin: User) -> None:
    client = _client(admin)
    added = client.post(reverse("workflows:create"), _form(command="add_condition"))
    assert 'name="c2-field"' in added.content.decode()
    removed = client.post(reverse("workflows:create"), _form(command="remove_action-0"))
    html = removed.content.decode()
    # The tag action went; the task moved up to the first row.
    assert 'value="Call the new lead"' in html
    assert 'name="a0-subject"' in html
    assert 'name="a0-tag"' not in html
    assert Workflow.objects.count() == 0


def test_changing_the_trigger_type_shows_its_settings(admin: User) -> None:
    response = _client(admin).post(
        reverse("workflows:create"), _form(trigger_type="date", command="refresh")
    )
    html = response.content.decode()
    assert 'name="date_field"' in html and 'name="offset_days"' in html and 'name="at"' in html


def test_every_trigger_type_is_saved_from_its_settings(admin: User) -> None:
    client = _client(admin)
    cases = [
        (
            {"trigger_type": "field_changed", "trigger_field": "job_title", "trigger_to": "CEO"},
            {"type": "field_changed", "field": "job_title", "to": "CEO"},
        ),
        (
            {"trigger_type": "date", "date_field": "birthday", "offset_days": "-1", "at": "08:30"},
            {"type": "date", "field": "birthday", "offset_days": -1, "at": "08:30"},
        ),
        ({"trigger_type": "inactivity", "days": "30"}, {"type": "inactivity", "days": 30}),
        (
            {"trigger_type": "schedule", "cron": "0 9 * * 1"},
            {"type": "schedule", "cron": "0 9 * * 1"},
        ),
        ({"trigger_type": "manual"}, {"type": "manual"}),
    ]
    for number, (inputs, expected) in enumerate(cases):
        response = client.post(reverse("workflows:create"), _form(name=f"W{number}", **inputs))
        assert response.status_code == 302, _text(response)
        assert Workflow.objects.get(name=f"W{number}").trigger == expected


def test_a_deal_stage_trigger_with_a_stage(admin: User) -> None:
    from sambandh.sales.models import Stage

    won = Stage.objects.get(is_won=True)
    form = _form(
        object_type="deal",
        trigger_type="deal_stage_changed",
        stage_id=str(won.pk),
        **{"c0-field": "amount", "c0-op": "gte", "c0-value": "1000", "action_rows": "1"},
        **{"a0-type": "notify_user", "a0-user_id": "owner", "a0-message": "Won!"},
    )
    response = _client(admin).post(reverse("workflows:create"), form)
    assert response.status_code == 302, _text(response)
    workflow = Workflow.objects.get()
    assert workflow.trigger == {"type": "deal_stage_changed", "stage_id": won.pk}
    assert workflow.conditions == {"all": [{"field": "amount", "op": "gte", "value": "1000"}]}
    assert workflow.actions == [{"type": "notify_user", "user_id": "owner", "message": "Won!"}]


def test_values_are_typed_by_their_field(admin: User) -> None:
    form = _form(
        match="any",
        condition_rows="3",
        **{"c0-field": "do_not_contact", "c0-op": "eq", "c0-value": "no"},
        **{"c1-field": "lead_score", "c1-op": "gte", "c1-value": "40"},
        **{"c2-field": "city", "c2-op": "in", "c2-value": "Pune, Goa"},
    )
    assert _client(admin).post(reverse("workflows:create"), form).status_code == 302
    assert Workflow.objects.get().conditions == {
        "any": [
            {"field": "do_not_contact", "op": "eq", "value": False},
            {"field": "lead_score", "op": "gte", "value": 40},
            {"field": "city", "op": "in", "value": ["Pune", "Goa"]},
        ]
    }


def test_the_edit_form_shows_a_saved_workflow_and_saves_it_back_unchanged(
    admin: User, owner: User
) -> None:
    actions = [
        {"type": "assign_owner", "user_ids": [owner.pk, admin.pk]},
        {
            "type": "send_email",
            "subject": {"en": "Hello {first_name}", "hi": "नमस्ते {first_name}"},
            "text": {"en": "Welcome.", "hi": "स्वागत है।"},
        },
        {"type": "update_field", "field": "lead_score", "value": 10},
        {"type": "set_lifecycle_stage", "stage": "customer"},
    ]
    workflow = workflow_create(
        actor=admin,
        data={
            "name": "Round trip",
            "object_type": "contact",
            "trigger": {"type": "date", "field": "birthday", "offset_days": 2, "at": "10:15"},
            "conditions": {"any": [{"field": "city", "op": "in", "value": ["Pune", "Goa"]}]},
            "actions": actions,
        },
    )
    page = _client(admin).get(reverse("workflows:edit", args=[workflow.pk]))
    html = page.content.decode()
    assert 'value="नमस्ते {first_name}"' in html
    assert 'value="Pune, Goa"' in html
    # Post back exactly what the page shows (the fields a browser would send).
    form = _posted_form(html)
    response = _client(admin).post(reverse("workflows:edit", args=[workflow.pk]), form)
    assert response.status_code == 302, _text(response)
    workflow.refresh_from_db()
    assert workflow.actions == actions
    assert workflow.trigger == {
        "type": "date",
        "field": "birthday",
        "offset_days": 2,
        "at": "10:15",
    }
    assert workflow.conditions == {"any": [{"field": "city", "op": "in", "value": ["Pune", "Goa"]}]}
    assert workflow.version == 2


def _posted_form(html: str) -> dict[str, Any]:
    """What a browser submits for the builder form with its Save button."""
    form: dict[str, Any] = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        form[name.group(1)] = _unescape(value.group(1) if value else "")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected>', body)
        if chosen:
            form[name] = [_unescape(c) for c in chosen] if len(chosen) > 1 else _unescape(chosen[0])
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        form[name] = _unescape(body)
    form["command"] = "save"
    return form


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_bad_input_shows_errors_next_to_the_fields_in_hindi(admin: User) -> None:
    admin.language = "hi"
    admin.save(update_fields=["language"])
    form = _form(
        name="",
        trigger_type="inactivity",
        days="0",
        **{"c0-field": "lead_score", "c0-op": "gt", "c0-value": "बहुत"},
        **{"a1-subject": ""},
    )
    response = _client(admin).post(reverse("workflows:create"), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors(html) == {
        "c0": ["शर्त का मान उसके फ़ील्ड के अनुरूप नहीं है।"],
        "a1": ["“subject” आवश्यक है।"],
    }
    assert Workflow.objects.count() == 0
    # With the rows right, the service's own errors come next to the name and the trigger.
    form = _form(name="", trigger_type="inactivity", days="0")
    response = _client(admin).post(reverse("workflows:create"), form)
    assert response.status_code == 400
    assert _errors(response.content.decode()) == {
        "name": ["यह फ़ील्ड आवश्यक है।"],
        "trigger": ["बिना बदलाव के दिन दें।"],
    }
    assert Workflow.objects.count() == 0


def _errors(html: str) -> dict[str, list[str]]:
    """The messages next to each input: ``data-testid="errors-<name>"`` lists."""
    found = re.findall(r'data-testid="errors-([\w-]+)">(.*?)</ul>', html, re.S)
    return {
        name: [_unescape(m) for m in re.findall(r"<li>(.*?)</li>", body)] for name, body in found
    }


def test_an_unknown_record_type_is_a_400_not_a_500(admin: User) -> None:
    response = _client(admin).post(reverse("workflows:create"), _form(object_type="planet"))
    assert response.status_code == 400
    assert "Choose a contact, company or deal." in _text(response)
    assert Workflow.objects.count() == 0


def test_saving_from_a_stale_page_is_a_409_and_changes_nothing(admin: User) -> None:
    workflow = _manual(admin)
    workflow_update(actor=admin, workflow=workflow, data={"name": "Renamed elsewhere"}, version=1)
    form = _form(name="From the old page", version="1", trigger_type="manual")
    response = _client(admin).post(reverse("workflows:edit", args=[workflow.pk]), form)
    assert response.status_code == 409
    assert "changed by someone else" in _text(response)
    workflow.refresh_from_db()
    assert (workflow.name, workflow.version) == ("Renamed elsewhere", 2)


def test_nested_conditions_from_the_api_are_shown_and_kept(admin: User) -> None:
    nested = {
        "all": [
            {"field": "city", "op": "eq", "value": "Pune"},
            {
                "any": [
                    {"field": "source", "op": "eq", "value": "web"},
                    {"field": "tags", "op": "eq", "value": "vip"},
                ]
            },
        ]
    }
    workflow = _manual(admin, conditions=nested)
    page = _client(admin).get(reverse("workflows:edit", args=[workflow.pk]))
    assert "City is “Pune” and (Source is “web” or Tags is “vip”)" in _text(page)
    form = _posted_form(page.content.decode())
    form["name"] = "Renamed"
    response = _client(admin).post(reverse("workflows:edit", args=[workflow.pk]), form)
    assert response.status_code == 302, _text(response)
    workflow.refresh_from_db()
    assert (workflow.name, workflow.conditions) == ("Renamed", nested)


# ---------------------------------------------------------------- list, templates, detail


def test_the_list_shows_each_workflow_with_its_trigger_in_words(admin: User) -> None:
    _manual(admin, name="By hand", is_active=False)
    workflow_create(
        actor=admin,
        data={
            "name": "Birthdays",
            "object_type": "contact",
            "trigger": {"type": "date", "field": "birthday", "offset_days": -2, "at": "09:00"},
            "actions": [{"type": "add_tag", "tag": "soon"}],
            "is_active": True,
        },
    )
    text = _text(_client(admin).get(reverse("workflows:list")))
    assert "By hand Contact Only when run by hand Off Not run yet" in text
    assert (
        "Birthdays Contact 2 days before the Birthday, at 09:00 in the contact's time zone On"
        in text
    )


def test_a_template_becomes_a_workflow_switched_off_and_opens(admin: User) -> None:
    client = _client(admin)
    gallery = _text(client.get(reverse("workflows:list")))
    assert "Birthday greeting at 9:00 local time" in gallery
    response = client.post(reverse("workflows:from_template"), {"key": "birthday_greeting"})
    workflow = Workflow.objects.get()
    assert response["Location"] == reverse("workflows:detail", args=[workflow.pk])
    assert (workflow.is_active, workflow.template_key) == (False, "birthday_greeting")
    page = _text(client.get(response["Location"]))
    assert "On the Birthday, at 09:00 in the contact's time zone" in page
    assert "Email is set" in page
    assert client.post(reverse("workflows:from_template"), {"key": "nope"}).status_code == 404


def test_turning_a_workflow_on_and_off(admin: User) -> None:
    workflow = _manual(admin, is_active=False)
    client = _client(admin)
    url = reverse("workflows:toggle", args=[workflow.pk])
    assert client.post(url, {"is_active": "1", "version": "1"}).status_code == 302
    workflow.refresh_from_db()
    assert (workflow.is_active, workflow.version) == (True, 2)
    # The old page's version is stale: a 409, nothing changes.
    assert client.post(url, {"is_active": "0", "version": "1"}).status_code == 409
    workflow.refresh_from_db()
    assert workflow.is_active is True


def test_test_mode_shows_matches_and_planned_actions_and_writes_nothing(admin: User) -> None:
    workflow = _manual(admin, is_active=False)
    pune = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    goa = contact_create(actor=admin, data={"first_name": "Gia", "city": "Goa"})
    client = _client(admin)
    before = _state()
    response = client.get(
        reverse("workflows:test", args=[workflow.pk]), {"ids": f"{pune.pk}, {goa.pk}"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="test-match" data-id="{pune.pk}"' in html
    assert "Add a tag: Add the tag “picked”." in _text(
        response
    ) or "Add the tag “picked”." in _text(response)
    assert f">#{goa.pk}</span>" in html
    assert _state() == before
    assert _tags(pune) == []
    # Without ids: the first records.
    first = client.get(reverse("workflows:test", args=[workflow.pk]))
    assert f'data-id="{pune.pk}"' in first.content.decode()
    bad = client.get(reverse("workflows:test", args=[workflow.pk]), {"ids": "12, twelve"})
    assert bad.status_code == 400
    assert "Enter record ids as numbers" in _text(bad)


def test_a_run_on_a_selection_shows_in_the_run_history_with_each_result(admin: User) -> None:
    workflow = _manual(
        admin,
        actions=[
            {"type": "add_tag", "tag": "picked"},
            {"type": "create_task", "subject": "Visit", "due_in_days": 1},
        ],
    )
    pune = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    goa = contact_create(actor=admin, data={"first_name": "Gia", "city": "Goa"})
    client = _client(admin)
    response = client.post(
        reverse("workflows:run", args=[workflow.pk]), {"ids": f"{pune.pk} {goa.pk}"}
    )
    assert response.status_code == 302
    pump()
    assert (_tags(pune), _tags(goa)) == (["picked"], [])
    page = client.get(reverse("workflows:detail", args=[workflow.pk]))
    text = _text(page)
    assert "1 record meets the conditions: its run is queued." in text
    task = Activity.objects.get()
    assert f"Add a tag: Done — Tagged. Create a task: Done — Task #{task.pk} created." in text
    assert f'href="/contacts/{pune.pk}/"' in page.content.decode()
    assert "Done" in _text(
        client.get(reverse("workflows:detail", args=[workflow.pk]) + "?state=succeeded")
    )
    assert "No runs yet." in _text(
        client.get(reverse("workflows:detail", args=[workflow.pk]) + "?state=failed")
    )


def test_a_failed_run_shows_its_error(admin: User) -> None:
    workflow = _manual(
        admin,
        conditions={},
        actions=[
            {"type": "add_tag", "tag": "first"},
            {"type": "update_field", "field": "email", "value": "not an email"},
        ],
    )
    contact = contact_create(actor=admin, data={"first_name": "F"})
    _client(admin).post(reverse("workflows:run", args=[workflow.pk]), {"ids": str(contact.pk)})
    pump()
    html = _client(admin).get(reverse("workflows:detail", args=[workflow.pk])).content.decode()
    assert 'data-state="failed"' in html
    assert 'data-status="undone"' in html and 'data-status="failed"' in html
    assert 'data-testid="run-error"' in html


def test_running_a_workflow_that_is_off_says_so_and_runs_nothing(admin: User) -> None:
    workflow = _manual(admin, is_active=False)
    contact = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    client = _client(admin)
    response = client.post(
        reverse("workflows:run", args=[workflow.pk]), {"ids": str(contact.pk)}, follow=True
    )
    assert "Turn the workflow on before running it." in _text(response)
    assert WorkflowRun.objects.count() == 0


def test_the_run_history_pages_with_more(admin: User, settings: Any) -> None:
    from sambandh.automation import workflow_views

    workflow = _manual(admin, conditions={})
    people = [contact_create(actor=admin, data={"first_name": f"P{i}"}) for i in range(3)]
    client = _client(admin)
    for person in people:
        client.post(reverse("workflows:run", args=[workflow.pk]), {"ids": str(person.pk)})
    old = workflow_views.RUN_PAGE
    workflow_views.RUN_PAGE = 2
    try:
        first = client.get(reverse("workflows:detail", args=[workflow.pk])).content.decode()
        more = re.search(r'href="([^"]+cursor=[^"]+)"', first)
        assert more is not None
        rows = client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    finally:
        workflow_views.RUN_PAGE = old
    assert first.count('data-testid="run-row"') == 2
    assert rows.content.decode().count('data-testid="run-row"') == 1
    assert "<html" not in rows.content.decode()


def test_versions_list_number_date_author_and_definition(admin: User) -> None:
    workflow = _manual(admin)
    workflow_update(
        actor=admin,
        workflow=workflow,
        data={"actions": [{"type": "add_tag", "tag": "v2"}]},
        version=1,
    )
    page = _client(admin).get(reverse("workflows:detail", args=[workflow.pk])).content.decode()
    numbers = re.findall(r'data-testid="version" data-number="(\d+)"', page)
    assert numbers == ["2", "1"]
    assert "Add the tag “v2”." in page and "Add the tag “picked”." in page
    versions = _client(admin).get(reverse("workflows:versions", args=[workflow.pk]))
    assert re.findall(r'data-number="(\d+)"', versions.content.decode()) == ["2", "1"]


def test_delete_asks_first_then_removes_the_workflow(admin: User) -> None:
    workflow = _manual(admin)
    client = _client(admin)
    ask = client.get(reverse("workflows:delete", args=[workflow.pk]))
    assert "Delete the workflow “By hand”?" in _text(ask)
    assert Workflow.objects.count() == 1
    response = client.post(reverse("workflows:delete", args=[workflow.pk]))
    assert response["Location"] == reverse("workflows:list")
    assert Workflow.objects.count() == 0


def test_the_nav_link_shows_for_administrators_only(admin: User, owner: User) -> None:
    assert (
        'data-testid="nav-workflows"'
        in _client(admin).get(reverse("workflows:list")).content.decode()
    )
    assert 'data-testid="nav-workflows"' not in _client(owner).get("/contacts/").content.decode()


@pytest.mark.parametrize("role", ["Sales manager", "Sales rep", "Marketer", "Read-only"])
def test_other_roles_get_403_on_every_page_and_change_nothing(admin: User, role: str) -> None:
    workflow = _manual(admin)
    contact = contact_create(actor=admin, data={"first_name": "Pia", "city": "Pune"})
    client = _client(make_user("someone", role))
    before = _state()
    for name in ("list", "create"):
        assert client.get(reverse(f"workflows:{name}")).status_code == 403
    for name in ("detail", "edit", "delete", "test", "versions"):
        assert client.get(reverse(f"workflows:{name}", args=[workflow.pk])).status_code == 403
    posts = [
        (reverse("workflows:create"), _form()),
        (reverse("workflows:from_template"), {"key": "birthday_greeting"}),
        (reverse("workflows:edit", args=[workflow.pk]), _form(version="1")),
        (reverse("workflows:toggle", args=[workflow.pk]), {"is_active": "0", "version": "1"}),
        (reverse("workflows:run", args=[workflow.pk]), {"ids": str(contact.pk)}),
        (reverse("workflows:delete", args=[workflow.pk]), {}),
    ]
    for url, form in posts:
        assert client.post(url, form).status_code == 403, url
    assert _state() == before
    workflow.refresh_from_db()
    assert (workflow.name, workflow.is_active) == ("By hand", True)


@pytest.mark.parametrize(
    "extra",
    [
        {"condition_rows": "many", "action_rows": "-3"},
        {"trigger_type": "whenever"},
        {"a2-type": "launch_rocket", "a2-json": "[1, 2"},
        {"c0-field": "no_such_field"},
        {"c0-op": "resembles"},
        {"object_type": "planet", "command": "refresh"},
        {"command": "remove_action-99"},
        {"trigger_type": "schedule", "cron": "every day"},
        {"trigger_type": "date", "date_field": "city", "at": "25:00"},
    ],
)
def test_garbage_in_the_builder_is_never_a_server_error(admin: User, extra: dict[str, str]) -> None:
    response = _client(admin).post(reverse("workflows:create"), _form(**extra))
    assert response.status_code in (200, 400)
    assert Workflow.objects.count() == 0
