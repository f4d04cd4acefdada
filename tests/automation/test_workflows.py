"""Workflow rules: each trigger, conditions with AND/OR groups, each action, test mode,
versioning, loop protection, run history, and runs that happen once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from sambandh.activities.models import Activity
from sambandh.automation.delivery import outbox_dispatch, pump
from sambandh.automation.models import RunState, Workflow, WorkflowRun, WorkflowVersion
from sambandh.automation.workflows import (
    run_execute,
    runs_claim,
    workflow_create,
    workflow_run_manual,
    workflow_test,
    workflow_update,
    workflows_tick,
)
from sambandh.contacts.models import Contact
from sambandh.contacts.services import contact_create, contact_update
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, CustomFieldDefinition, User
from sambandh.sales.models import Deal, Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage
from tests.factories import make_user


def _workflow(admin: User, **data: Any) -> Workflow:
    base: dict[str, Any] = {
        "name": "W",
        "object_type": "contact",
        "trigger": {"type": "record_created"},
        "actions": [{"type": "add_tag", "tag": "welcomed"}],
        "is_active": True,
    }
    return workflow_create(actor=admin, data={**base, **data})


def _tags(contact: Contact) -> list[str]:
    return sorted(contact.tags.values_list("name", flat=True))


def test_a_created_contact_that_meets_the_conditions_gets_the_actions(admin: User) -> None:
    workflow = _workflow(
        admin,
        conditions={"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]},
        actions=[
            {"type": "add_tag", "tag": "welcomed"},
            {"type": "create_task", "subject": "Call the new lead", "due_in_days": 2},
        ],
    )
    lead = contact_create(
        actor=admin, data={"first_name": "Ravi", "lifecycle_stage": "lead", "owner_id": admin.pk}
    )
    customer = contact_create(
        actor=admin, data={"first_name": "Sita", "lifecycle_stage": "customer"}
    )
    assert pump()["runs"] == 1
    assert _tags(lead) == ["welcomed"]
    assert _tags(customer) == []
    task = Activity.objects.get(contact=lead)
    assert (task.subject, task.owner_id) == ("Call the new lead", admin.pk)
    run = WorkflowRun.objects.get()
    assert (run.workflow_id, run.object_id, run.state, run.version) == (
        workflow.pk,
        str(lead.pk),
        RunState.SUCCEEDED,
        1,
    )
    assert [r["status"] for r in run.results] == ["done", "done"]
    # The actions went through the services: audited as the workflow's owner.
    assert AuditEntry.objects.filter(action="create", object_type="activity", actor=admin).exists()


def test_any_groups_inside_all_groups(admin: User) -> None:
    _workflow(
        admin,
        conditions={
            "all": [
                {"field": "city", "op": "eq", "value": "Pune"},
                {
                    "any": [
                        {"field": "job_title", "op": "contains", "value": "director"},
                        {"field": "source", "op": "starts_with", "value": "referral"},
                    ]
                },
            ]
        },
    )
    made = {
        name: contact_create(actor=admin, data={"first_name": name, **data})
        for name, data in {
            "director": {"city": "Pune", "job_title": "Sales Director"},
            "scored": {"city": "pune", "source": "Referral partner"},
            "elsewhere": {"city": "Delhi", "job_title": "Director"},
            "neither": {"city": "Pune", "job_title": "Clerk", "source": "web"},
        }.items()
    }
    pump()
    tagged = {name for name, c in made.items() if _tags(c) == ["welcomed"]}
    assert tagged == {"director", "scored"}


def test_a_custom_field_condition(admin: User) -> None:
    CustomFieldDefinition.objects.create(
        object_type="contact", key="segment", label_en="Segment", field_type="text"
    )
    _workflow(admin, conditions={"all": [{"field": "cf.segment", "op": "eq", "value": "gold"}]})
    gold = contact_create(actor=admin, data={"first_name": "G", "custom": {"segment": "gold"}})
    plain = contact_create(actor=admin, data={"first_name": "P", "custom": {"segment": "tin"}})
    pump()
    assert (_tags(gold), _tags(plain)) == (["welcomed"], [])


def test_a_field_changed_to_a_value_fires_only_on_that_change(admin: User) -> None:
    _workflow(
        admin,
        trigger={"type": "field_changed", "field": "job_title", "to": "CEO"},
        actions=[{"type": "set_lifecycle_stage", "stage": "customer"}],
    )
    contact = contact_create(actor=admin, data={"first_name": "A", "job_title": "CTO"})
    contact = contact_update(actor=admin, contact=contact, data={"city": "Goa"}, version=None)
    contact = contact_update(actor=admin, contact=contact, data={"job_title": "VP"}, version=None)
    pump()
    assert WorkflowRun.objects.count() == 0
    contact_update(actor=admin, contact=contact, data={"job_title": "ceo"}, version=None)
    pump()
    contact.refresh_from_db()
    assert contact.lifecycle_stage is not None and contact.lifecycle_stage.key == "customer"
    assert WorkflowRun.objects.get().state == RunState.SUCCEEDED


def test_a_deal_moved_to_a_stage_gets_a_task_for_its_owner(admin: User, owner: User) -> None:
    won = Stage.objects.get(is_won=True)
    _workflow(
        admin,
        object_type="deal",
        trigger={"type": "deal_stage_changed", "stage_id": won.pk},
        actions=[{"type": "create_task", "subject": "Send the welcome kit", "due_in_days": 0}],
    )
    deal = deal_create(actor=owner, data={"name": "Acme", "amount": "100", "currency": "INR"})
    other = Stage.objects.filter(pipeline=deal.pipeline, is_won=False, is_lost=False).exclude(
        pk=deal.stage_id
    )[0]
    deal = deal_move_stage(actor=owner, deal=deal, stage=other, version=None)
    pump()
    assert not Activity.objects.filter(deal=deal).exists()
    deal_move_stage(actor=owner, deal=deal, stage=won, version=None)
    pump()
    task = Activity.objects.get(deal=deal)
    assert (task.subject, task.owner_id) == ("Send the welcome kit", owner.pk)


def test_a_workflow_does_not_fire_itself_through_its_own_changes(admin: User) -> None:
    # Each update sets a field, which is an update, which would fire the workflow again.
    _workflow(
        admin,
        trigger={"type": "record_updated"},
        actions=[{"type": "update_field", "field": "source", "value": "touched"}],
    )
    contact = contact_create(actor=admin, data={"first_name": "Loop"})
    contact_update(actor=admin, contact=contact, data={"city": "Agra"}, version=None)
    for _ in range(5):
        pump()
    assert WorkflowRun.objects.count() == 1
    contact.refresh_from_db()
    assert contact.source == "touched"


def test_two_workflows_that_fire_each_other_stop(admin: User) -> None:
    first = _workflow(
        admin,
        trigger={"type": "field_changed", "field": "city"},
        actions=[{"type": "update_field", "field": "job_title", "value": "ping"}],
    )
    second = _workflow(
        admin,
        trigger={"type": "field_changed", "field": "job_title"},
        actions=[{"type": "update_field", "field": "city", "value": "pong"}],
    )
    contact = contact_create(actor=admin, data={"first_name": "Echo"})
    contact_update(actor=admin, contact=contact, data={"city": "Agra"}, version=None)
    for _ in range(6):
        pump()
    runs = list(WorkflowRun.objects.order_by("id").values_list("workflow_id", "chain"))
    # first (from the person), second (from first), then first again is refused: it is in the chain.
    assert runs == [(first.pk, []), (second.pk, [first.pk])]


def test_test_mode_shows_matches_and_planned_actions_and_writes_nothing(admin: User) -> None:
    workflow = _workflow(
        admin,
        is_active=False,
        conditions={"all": [{"field": "city", "op": "eq", "value": "Pune"}]},
        actions=[
            {"type": "add_tag", "tag": "vip"},
            {"type": "create_task", "subject": "Visit", "due_in_days": 3},
        ],
    )
    pune = contact_create(actor=admin, data={"first_name": "P", "city": "Pune"})
    delhi = contact_create(actor=admin, data={"first_name": "D", "city": "Delhi"})
    result = workflow_test(actor=admin, workflow=workflow, ids=[pune.pk, delhi.pk])
    assert [r["id"] for r in result["matching"]] == [pune.pk]
    assert result["matching"][0]["actions"] == [
        "Add the tag “vip”.",
        "Create the task “Visit” for the record's owner.",
    ]
    assert result["not_matching"] == [str(delhi.pk)]
    assert (_tags(pune), Activity.objects.count(), WorkflowRun.objects.count()) == ([], 0, 0)


def test_each_change_is_a_new_version_and_a_run_keeps_the_version_it_fired_with(
    admin: User,
) -> None:
    workflow = _workflow(admin)
    contact_create(actor=admin, data={"first_name": "Before"})
    outbox_dispatch()  # fired with version 1, not yet run
    workflow = workflow_update(
        actor=admin,
        workflow=workflow,
        data={"actions": [{"type": "add_tag", "tag": "v2"}]},
        version=1,
    )
    after = contact_create(actor=admin, data={"first_name": "After"})
    pump()
    assert list(WorkflowVersion.objects.order_by("number").values_list("number", flat=True)) == [
        1,
        2,
    ]
    before = Contact.objects.get(first_name="Before")
    assert (_tags(before), _tags(after)) == (["welcomed"], ["v2"])
    with pytest.raises(Exception, match="changed"):
        workflow_update(actor=admin, workflow=workflow, data={"name": "x"}, version=1)


def test_a_failing_action_fails_the_run_and_undoes_the_actions_before_it(admin: User) -> None:
    _workflow(
        admin,
        actions=[
            {"type": "add_tag", "tag": "first"},
            {"type": "update_field", "field": "email", "value": "not an email"},
        ],
    )
    contact = contact_create(actor=admin, data={"first_name": "F"})
    pump()
    run = WorkflowRun.objects.get()
    assert run.state == RunState.FAILED
    assert [r["status"] for r in run.results] == ["undone", "failed"]
    assert "email" in run.error
    assert _tags(contact) == []


def test_a_run_leased_by_a_dead_worker_runs_once_for_the_next(admin: User, settings: Any) -> None:
    _workflow(admin)
    contact = contact_create(actor=admin, data={"first_name": "L"})
    outbox_dispatch()
    first_token, [run_id] = runs_claim()
    later = timezone.now() + dt.timedelta(seconds=settings.SAMBANDH_DELIVERY_LEASE_SECONDS + 1)
    second_token, again = runs_claim(now=later)
    assert again == [run_id]
    assert run_execute(run_id, first_token) == ""  # its lease is gone: it does nothing
    assert _tags(contact) == []
    assert run_execute(run_id, second_token) == RunState.SUCCEEDED
    assert _tags(contact) == ["welcomed"]
    assert WorkflowRun.objects.get().attempts == 2


def test_round_robin_assignment_takes_turns(admin: User, owner: User, teammate: User) -> None:
    _workflow(admin, actions=[{"type": "assign_owner", "user_ids": [owner.pk, teammate.pk]}])
    made = [contact_create(actor=admin, data={"first_name": f"C{i}"}) for i in range(4)]
    pump()
    owners = [Contact.objects.get(pk=c.pk).owner_id for c in made]
    assert owners == [owner.pk, teammate.pk, owner.pk, teammate.pk]


def test_notify_action_leaves_the_owner_a_notification(admin: User, owner: User) -> None:
    from sambandh.notifications.models import Notification

    _workflow(admin, actions=[{"type": "notify_user", "message": "A new lead is yours"}])
    contact = contact_create(actor=admin, data={"first_name": "N", "owner_id": owner.pk})
    pump()
    note = Notification.objects.get(recipient=owner, kind="workflow")
    assert note.params["message"] == "A new lead is yours"
    assert note.object_id == str(contact.pk)


def test_manual_run_on_a_selection_takes_only_matching_records(admin: User) -> None:
    workflow = _workflow(
        admin,
        trigger={"type": "manual"},
        conditions={"all": [{"field": "city", "op": "eq", "value": "Pune"}]},
    )
    pune = contact_create(actor=admin, data={"first_name": "P", "city": "Pune"})
    goa = contact_create(actor=admin, data={"first_name": "G", "city": "Goa"})
    assert workflow_run_manual(actor=admin, workflow=workflow, ids=[pune.pk, goa.pk]) == 1
    pump()
    assert (_tags(pune), _tags(goa)) == (["welcomed"], [])


# ---------------------------------------------------------------- timed triggers


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _birthday_workflow(admin: User, offset: int = 0) -> Workflow:
    return _workflow(
        admin,
        trigger={"type": "date", "field": "birthday", "offset_days": offset, "at": "09:00"},
        actions=[{"type": "add_tag", "tag": "greeted"}],
    )


@pytest.mark.parametrize(
    ("zone", "birthday", "before", "after"),
    [
        # 09:00 IST is 03:30 UTC.
        ("Asia/Kolkata", "1990-11-24", "2026-11-24T03:29", "2026-11-24T03:30"),
        # 09:00 in Kathmandu (UTC+05:45) is 03:15 UTC.
        ("Asia/Kathmandu", "1985-11-24", "2026-11-24T03:14", "2026-11-24T03:15"),
        # New York after the DST change of 1 November 2026: 09:00 EST is 14:00 UTC...
        ("America/New_York", "1970-11-02", "2026-11-02T13:59", "2026-11-02T14:00"),
        # ...and before it, 09:00 EDT is 13:00 UTC.
        ("America/New_York", "1970-10-30", "2026-10-30T12:59", "2026-10-30T13:00"),
    ],
)
def test_a_birthday_fires_at_nine_in_the_contacts_own_time_zone(
    admin: User, zone: str, birthday: str, before: str, after: str
) -> None:
    _birthday_workflow(admin)
    contact = contact_create(
        actor=admin, data={"first_name": "B", "time_zone": zone, "birthday": birthday}
    )
    workflows_tick(now=_at(before))
    assert WorkflowRun.objects.count() == 0
    workflows_tick(now=_at(after))
    workflows_tick(now=_at(after) + dt.timedelta(hours=2))  # once a day, not once a tick
    pump()
    assert WorkflowRun.objects.get().object_id == str(contact.pk)
    assert _tags(contact) == ["greeted"]


def test_a_day_before_the_birthday_and_only_the_right_people(admin: User) -> None:
    _birthday_workflow(admin, offset=-1)
    tomorrow = contact_create(
        actor=admin,
        data={"first_name": "T", "time_zone": "Asia/Kolkata", "birthday": "2000-11-25"},
    )
    contact_create(
        actor=admin, data={"first_name": "X", "time_zone": "Asia/Kolkata", "birthday": "2000-11-24"}
    )
    workflows_tick(now=_at("2026-11-24T04:00"))
    assert list(WorkflowRun.objects.values_list("object_id", flat=True)) == [str(tomorrow.pk)]


def test_a_29_february_birthday_is_kept_on_28_february_in_other_years(admin: User) -> None:
    _birthday_workflow(admin)
    leapling = contact_create(
        actor=admin, data={"first_name": "L", "time_zone": "Asia/Kolkata", "birthday": "2000-02-29"}
    )
    workflows_tick(now=_at("2027-02-28T04:00"))
    assert list(WorkflowRun.objects.values_list("object_id", flat=True)) == [str(leapling.pk)]


def test_a_deal_that_has_not_moved_for_14_days_gets_a_task_once(admin: User, owner: User) -> None:
    _workflow(
        admin,
        object_type="deal",
        trigger={"type": "inactivity", "days": 14},
        actions=[{"type": "create_task", "subject": "Nudge the deal", "due_in_days": 1}],
    )
    deal = deal_create(actor=owner, data={"name": "Quiet", "amount": "5", "currency": "INR"})
    fresh = deal_create(actor=owner, data={"name": "Fresh", "amount": "5", "currency": "INR"})
    Deal.objects.filter(pk=deal.pk).update(updated_at=timezone.now() - dt.timedelta(days=15))
    workflows_tick()
    workflows_tick()
    pump()
    assert list(Activity.objects.values_list("deal_id", "subject", "owner_id")) == [
        (deal.pk, "Nudge the deal", owner.pk)
    ]
    assert not Activity.objects.filter(deal=fresh).exists()


def test_a_schedule_fires_at_its_minute_in_the_organisations_time_zone(admin: User) -> None:
    workflow = _workflow(
        admin,
        trigger={"type": "schedule", "cron": "0 9 * * *"},
        conditions={"all": [{"field": "city", "op": "eq", "value": "Pune"}]},
    )
    pune = contact_create(actor=admin, data={"first_name": "P", "city": "Pune"})
    Workflow.objects.filter(pk=workflow.pk).update(
        state={"cron_after": "2026-11-24T03:00:00+00:00"}
    )
    workflows_tick(now=_at("2026-11-24T03:29:30"))
    assert WorkflowRun.objects.count() == 0
    workflows_tick(now=_at("2026-11-24T03:30:10"))  # 09:00 in Asia/Kolkata
    workflows_tick(now=_at("2026-11-24T03:31:10"))
    assert list(WorkflowRun.objects.values_list("object_id", flat=True)) == [str(pune.pk)]


# ---------------------------------------------------------------- validation and permissions


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"trigger": {"type": "nope"}}, "trigger"),
        ({"trigger": {"type": "date", "field": "birthday", "at": "25:00"}}, "trigger"),
        ({"trigger": {"type": "schedule", "cron": "every day"}}, "trigger"),
        ({"trigger": {"type": "deal_stage_changed"}}, "trigger"),
        ({"conditions": {"all": [{"field": "password", "op": "eq", "value": 1}]}}, "conditions"),
        ({"conditions": {"some": []}}, "conditions"),
        ({"actions": []}, "actions"),
        ({"actions": [{"type": "launch_rocket"}]}, "actions"),
        ({"actions": [{"type": "create_task"}]}, "actions"),
        ({"actions": [{"type": "assign_owner", "user_ids": [999999]}]}, "actions"),
        ({"object_type": "planet"}, "object_type"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_workflow_is_refused_with_the_field_at_fault(
    admin: User, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _workflow(admin, **data)
    assert field in caught.value.fields
    assert Workflow.objects.count() == 0


def test_errors_come_in_hindi_for_a_hindi_user(admin: User) -> None:
    from django.utils import translation

    with translation.override("hi"), pytest.raises(ValidationError) as caught:
        _workflow(admin, actions=[])
    assert caught.value.fields["actions"] == ["कम से कम एक कार्रवाई जोड़ें।"]


def test_only_administrators_manage_workflows(admin: User, manager: User) -> None:
    with pytest.raises(PermissionDenied):
        _workflow(manager)
    workflow = _workflow(admin)
    with pytest.raises(PermissionDenied):
        workflow_update(actor=manager, workflow=workflow, data={"name": "x"}, version=None)
    with pytest.raises(PermissionDenied):
        workflow_test(actor=manager, workflow=workflow)
    assert Workflow.objects.get().name == "W"


def test_a_workflow_of_an_inactive_owner_fails_its_runs(admin: User) -> None:
    other = make_user("boss", "Administrator")
    workflow = _workflow(other)
    User.objects.filter(pk=other.pk).update(is_active=False)
    contact = contact_create(actor=admin, data={"first_name": "I"})
    pump()
    run = WorkflowRun.objects.get(workflow=workflow)
    assert run.state == RunState.FAILED
    assert _tags(contact) == []


# ---------------------------------------------------------------- email and templates


def _greeting(admin: User) -> Workflow:
    from sambandh.automation.templates_catalog import workflow_from_template

    workflow = workflow_from_template(actor=admin, key="birthday_greeting")
    assert workflow.is_active is False  # a template is saved off, to be checked first
    return workflow_update(actor=admin, workflow=workflow, data={"is_active": True}, version=1)


def test_the_birthday_template_emails_each_contact_in_their_language(
    admin: User, smtp: Any
) -> None:
    _greeting(admin)
    hindi = contact_create(
        actor=admin,
        data={
            "first_name": "Asha",
            "email": "asha@example.in",
            "preferred_language": "hi",
            "time_zone": "Asia/Kolkata",
            "birthday": "1991-11-24",
        },
    )
    contact_create(
        actor=admin,
        data={
            "first_name": "John",
            "email": "john@example.com",
            "time_zone": "America/New_York",
            "birthday": "1980-11-24",
        },
    )
    contact_create(
        actor=admin,
        data={
            "first_name": "Quiet",
            "email": "quiet@example.in",
            "do_not_contact": True,
            "time_zone": "Asia/Kolkata",
            "birthday": "1990-11-24",
        },
    )
    workflows_tick(now=_at("2026-11-24T04:00"))  # 09:30 in Kolkata, 23:00 the day before in NY
    pump()
    assert [m["To"] for m in smtp.messages] == ["asha@example.in"]
    message = smtp.messages[0]
    assert str(message["Subject"]).strip() == "जन्मदिन की शुभकामनाएँ, Asha!"
    assert message["Content-Language"] == "hi"
    assert "आपके जन्मदिन पर" in message.get_content()
    results = {r.object_id: r.results[0]["message"] for r in WorkflowRun.objects.all()}
    assert results[str(hindi.pk)] == "Email queued in hi."
    assert "Do not contact: not sent." in results.values()
    workflows_tick(now=_at("2026-11-24T14:00"))  # 09:00 in New York
    pump()
    assert [m["To"] for m in smtp.messages] == ["asha@example.in", "john@example.com"]
    assert smtp.messages[1]["Subject"] == "Happy birthday, John!"
    pump()
    assert len(smtp.messages) == 2  # sent once


def test_an_email_that_cannot_be_sent_waits_and_is_retried(admin: User, settings: Any) -> None:
    from sambandh.automation.models import EmailState, WorkflowEmail

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    _greeting(admin)
    contact_create(
        actor=admin,
        data={
            "first_name": "R",
            "email": "r@example.in",
            "time_zone": "Asia/Kolkata",
            "birthday": "1991-11-24",
        },
    )
    workflows_tick(now=_at("2026-11-24T04:00"))
    pump()
    email = WorkflowEmail.objects.get()
    assert (email.state, email.attempts) == (EmailState.PENDING, 1)
    assert email.error.startswith("ConnectionRefusedError")
    assert email.next_attempt_at > timezone.now()


def test_the_stalled_deal_template_makes_a_high_priority_task(admin: User, owner: User) -> None:
    from sambandh.automation.templates_catalog import template_list, workflow_from_template

    assert {t["key"] for t in template_list()} >= {"birthday_greeting", "stalled_deal_task"}
    workflow = workflow_from_template(actor=admin, key="stalled_deal_task")
    workflow_update(actor=admin, workflow=workflow, data={"is_active": True}, version=1)
    deal = deal_create(actor=owner, data={"name": "Stuck", "amount": "9", "currency": "INR"})
    Deal.objects.filter(pk=deal.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=14, hours=1)
    )
    workflows_tick()
    pump()
    task = Activity.objects.get(deal=deal)
    assert (task.owner_id, task.priority) == (owner.pk, "high")


def test_a_won_deal_notifies_its_owner_through_the_template(admin: User, owner: User) -> None:
    from sambandh.automation.templates_catalog import workflow_from_template
    from sambandh.notifications.models import Notification

    workflow = workflow_from_template(actor=admin, key="won_deal_customer")
    workflow_update(actor=admin, workflow=workflow, data={"is_active": True}, version=1)
    deal = deal_create(actor=owner, data={"name": "Big", "amount": "9", "currency": "INR"})
    deal_move_stage(actor=owner, deal=deal, stage=Stage.objects.get(is_won=True), version=None)
    pump()
    assert Notification.objects.filter(recipient=owner, kind="workflow").count() == 1


def test_a_web_form_submission_fires_the_workflow_of_that_form(admin: User, marketer: User) -> None:
    from sambandh.sales.services.leads import lead_capture, lead_form_create

    offer = lead_form_create(actor=marketer, data={"name": "Offer", "slug": "offer"})
    other = lead_form_create(actor=marketer, data={"name": "Other", "slug": "other"})
    _workflow(
        admin,
        trigger={"type": "form_submitted", "form_id": offer.pk},
        actions=[{"type": "add_tag", "tag": "offer lead"}],
    )
    taken = lead_capture(form=offer, data={"email": "a@example.in"}, client="c1").contact
    ignored = lead_capture(form=other, data={"email": "b@example.in"}, client="c1").contact
    pump()
    assert (_tags(taken), _tags(ignored)) == (["offer lead"], [])


def test_a_broken_rule_is_skipped_and_the_others_still_fire(admin: User) -> None:
    broken = _workflow(admin, actions=[{"type": "add_tag", "tag": "never"}])
    _workflow(admin, actions=[{"type": "add_tag", "tag": "fine"}])
    # A rule saved before a field went away: its conditions no longer compile.
    Workflow.objects.filter(pk=broken.pk).update(
        conditions={"all": [{"field": "vanished", "op": "eq", "value": 1}]}
    )
    contact = contact_create(actor=admin, data={"first_name": "Ok"})
    pump()
    assert _tags(contact) == ["fine"]


def test_record_ids_must_be_whole_numbers(admin: User) -> None:
    workflow = _workflow(admin, trigger={"type": "manual"})
    with pytest.raises(ValidationError) as caught:
        workflow_run_manual(actor=admin, workflow=workflow, ids=["1 OR 1=1"])
    assert "ids" in caught.value.fields


def test_a_custom_date_field_fires_on_its_day_plus_the_offset(admin: User) -> None:
    CustomFieldDefinition.objects.create(
        object_type="contact", key="renewal", label_en="Renewal", field_type="date"
    )
    _workflow(
        admin,
        trigger={"type": "date", "field": "cf.renewal", "offset_days": 7, "at": "10:00"},
        actions=[{"type": "add_tag", "tag": "renewal follow-up"}],
    )
    due = contact_create(
        actor=admin,
        data={"first_name": "D", "time_zone": "Asia/Kolkata", "custom": {"renewal": "2026-11-17"}},
    )
    contact_create(
        actor=admin,
        data={"first_name": "N", "time_zone": "Asia/Kolkata", "custom": {"renewal": "2025-11-17"}},
    )
    workflows_tick(now=_at("2026-11-24T04:29"))  # 09:59 in Kolkata
    assert WorkflowRun.objects.count() == 0
    workflows_tick(now=_at("2026-11-24T04:30"))
    assert list(WorkflowRun.objects.values_list("object_id", flat=True)) == [str(due.pk)]
