"""The workflow actions that exist today, each through the service that owns the write, so
permissions, validation, audit and events hold as for a person doing the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.automation.conditions import field_path
from sambandh.automation.registry import ActionType, RunContext, register
from sambandh.core.models import User

ALL = ("contact", "account", "deal")
PEOPLE = ("contact",)


def _update_record(ctx: RunContext, data: dict[str, Any]) -> None:
    from sambandh.contacts.services import account_update, contact_update
    from sambandh.sales.services.deals import deal_update

    record = ctx.record
    if ctx.object_type == "contact":
        ctx.record = contact_update(actor=ctx.actor, contact=record, data=data, version=None)
    elif ctx.object_type == "account":
        ctx.record = account_update(actor=ctx.actor, account=record, data=data, version=None)
    else:
        ctx.record = deal_update(actor=ctx.actor, deal=record, data=data, version=None)


def _update_and_say(ctx: RunContext, data: dict[str, Any], message: str) -> str:
    _update_record(ctx, data)
    return message


def _text(config: dict[str, Any], key: str, *, max_length: int, required: bool = True) -> str:
    value = config.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(_("“%(key)s” is required.") % {"key": key})
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise ValueError(
            _("“%(key)s” is text of at most %(n)d characters.") % {"key": key, "n": max_length}
        )
    return value.strip()


def _user_ids(value: Any) -> list[int]:
    if not isinstance(value, list) or not value or len(value) > 100:
        raise ValueError(_("Choose at least one user."))
    ids = []
    for item in value:
        try:
            ids.append(int(item))
        except (TypeError, ValueError):
            raise ValueError(_("Choose at least one user.")) from None
    found = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if found != set(ids):
        raise ValueError(_("Some of these users do not exist or are inactive."))
    return ids


# ---------------------------------------------------------------- update a field


def _clean_update(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    name = _text(config, "field", max_length=80)
    if name in ("tags", "owner_id", "lifecycle_stage"):
        raise ValueError(_("Use the action made for “%(name)s”.") % {"name": name})
    if not name.startswith("cf."):
        field_path(object_type, name)
    value = config.get("value")
    if isinstance(value, dict | list):
        raise ValueError(_("Give a value to set."))
    return {"field": name, "value": value}


def _update_data(config: dict[str, Any]) -> dict[str, Any]:
    name = config["field"]
    if name.startswith("cf."):
        return {"custom": {name[3:]: config["value"]}}
    return {name: config["value"]}


register(
    ActionType(
        key="update_field",
        label=gettext_lazy("Update a field"),
        object_types=ALL,
        clean=_clean_update,
        describe=lambda ctx, c: (
            _("Set %(field)s to “%(value)s”.") % {"field": c["field"], "value": c["value"]}
        ),
        run=lambda ctx, c: _update_and_say(ctx, _update_data(c), _("Updated.")),
    )
)


# ---------------------------------------------------------------- assign an owner


def _clean_assign(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"user_ids": _user_ids(config.get("user_ids"))}


def _next_owner(ctx: RunContext, config: dict[str, Any]) -> int:
    """Round robin over the configured users; the turn is kept on the workflow row, locked."""
    from sambandh.automation.models import Workflow

    workflow = Workflow.objects.select_for_update().get(pk=ctx.workflow_id)
    users = config["user_ids"]
    turn = int(workflow.state.get("round_robin", 0))
    workflow.state = {**workflow.state, "round_robin": (turn + 1) % len(users)}
    workflow.save(update_fields=["state"])
    return int(users[turn % len(users)])


def _run_assign(ctx: RunContext, config: dict[str, Any]) -> str:
    owner_id = _next_owner(ctx, config)
    _update_record(ctx, {"owner_id": owner_id})
    user = User.objects.get(pk=owner_id)
    return _("Assigned to %(user)s.") % {"user": user.get_full_name() or user.username}


register(
    ActionType(
        key="assign_owner",
        label=gettext_lazy("Assign an owner (round robin)"),
        object_types=ALL,
        clean=_clean_assign,
        describe=lambda ctx, c: (
            _("Assign to the next of %(n)d users in turn.") % {"n": len(c["user_ids"])}
        ),
        run=_run_assign,
    )
)


# ---------------------------------------------------------------- create a task


def _clean_task(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    subject = _text(config, "subject", max_length=200)
    try:
        due_in_days = int(config.get("due_in_days", 1))
    except (TypeError, ValueError):
        raise ValueError(_("Give the days until the task is due as a whole number.")) from None
    if not 0 <= due_in_days <= 365:
        raise ValueError(_("A task is due within 0 to 365 days."))
    priority = config.get("priority", "normal")
    if priority not in ("low", "normal", "high"):
        raise ValueError(_("Priority is low, normal or high."))
    return {"subject": subject, "due_in_days": due_in_days, "priority": priority}


def _run_task(ctx: RunContext, config: dict[str, Any]) -> str:
    from sambandh.activities.services import task_create

    record = ctx.record
    data: dict[str, Any] = {
        "subject": config["subject"],
        "due_at": (timezone.now() + dt.timedelta(days=config["due_in_days"])).isoformat(),
        "priority": config["priority"],
        "owner_id": getattr(record, "owner_id", None) or ctx.actor.pk,
        f"{ctx.object_type}_id": record.pk,
    }
    task = task_create(actor=ctx.actor, data=data)
    return _("Task #%(id)s created.") % {"id": task.pk}


register(
    ActionType(
        key="create_task",
        label=gettext_lazy("Create a task"),
        object_types=ALL,
        clean=_clean_task,
        describe=lambda ctx, c: (
            _("Create the task “%(subject)s” for the record's owner.") % {"subject": c["subject"]}
        ),
        run=_run_task,
    )
)


# ---------------------------------------------------------------- tags


def _clean_tag(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    if object_type == "deal":
        raise ValueError(_("Deals have no tags."))
    return {"tag": _text(config, "tag", max_length=60)}


def _tag_names(ctx: RunContext) -> list[str]:
    return list(ctx.record.tags.values_list("name", flat=True))


def _run_add_tag(ctx: RunContext, config: dict[str, Any]) -> str:
    names = _tag_names(ctx)
    if config["tag"].lower() in (n.lower() for n in names):
        return _("Already tagged.")
    _update_record(ctx, {"tags": [*names, config["tag"]]})
    return _("Tagged.")


def _run_remove_tag(ctx: RunContext, config: dict[str, Any]) -> str:
    names = _tag_names(ctx)
    kept = [n for n in names if n.lower() != config["tag"].lower()]
    if kept == names:
        return _("Did not have the tag.")
    _update_record(ctx, {"tags": kept})
    return _("Tag removed.")


register(
    ActionType(
        key="add_tag",
        label=gettext_lazy("Add a tag"),
        object_types=("contact", "account"),
        clean=_clean_tag,
        describe=lambda ctx, c: _("Add the tag “%(tag)s”.") % {"tag": c["tag"]},
        run=_run_add_tag,
    )
)
register(
    ActionType(
        key="remove_tag",
        label=gettext_lazy("Remove a tag"),
        object_types=("contact", "account"),
        clean=_clean_tag,
        describe=lambda ctx, c: _("Remove the tag “%(tag)s”.") % {"tag": c["tag"]},
        run=_run_remove_tag,
    )
)


# ---------------------------------------------------------------- lifecycle stage


def _clean_stage(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    from sambandh.contacts.models import LifecycleStage

    if object_type != "contact":
        raise ValueError(_("Only contacts have a lifecycle stage."))
    key = _text(config, "stage", max_length=40)
    if not LifecycleStage.objects.filter(key=key).exists():
        raise ValueError(_("“%(stage)s” is not a lifecycle stage.") % {"stage": key})
    return {"stage": key}


register(
    ActionType(
        key="set_lifecycle_stage",
        label=gettext_lazy("Change the lifecycle stage"),
        object_types=PEOPLE,
        clean=_clean_stage,
        describe=lambda ctx, c: _("Move to the stage “%(stage)s”.") % {"stage": c["stage"]},
        run=lambda ctx, c: _update_and_say(
            ctx, {"lifecycle_stage": c["stage"]}, _("Stage changed.")
        ),
    )
)


# ---------------------------------------------------------------- notify a user


def _clean_notify(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    message = _text(config, "message", max_length=500)
    target = config.get("user_id", "owner")
    if target != "owner":
        target = _user_ids([target])[0]
    return {"user_id": target, "message": message}


def _run_notify(ctx: RunContext, config: dict[str, Any]) -> str:
    from sambandh.notifications.services import notify

    target = config["user_id"]
    user_id = getattr(ctx.record, "owner_id", None) if target == "owner" else target
    if user_id is None:
        return _("The record has no owner: nobody to notify.")
    recipient = User.objects.get(pk=user_id)
    notify(
        recipient=recipient,
        kind="workflow",
        params={"message": config["message"], "rule": _workflow_name(ctx)},
        link=_record_link(ctx),
        object_type=ctx.object_type,
        object_id=str(ctx.record.pk),
        dedupe_key=f"workflow_run:{ctx.run_id}:{user_id}" if ctx.run_id else "",
    )
    return _("Notified %(user)s.") % {"user": recipient.get_full_name() or recipient.username}


def _workflow_name(ctx: RunContext) -> str:
    from sambandh.automation.models import Workflow

    return str(Workflow.objects.filter(pk=ctx.workflow_id).values_list("name", flat=True).first())


def _record_link(ctx: RunContext) -> str:
    from django.urls import NoReverseMatch, reverse

    names = {"contact": "web:contact_detail", "account": "web:account_detail"}
    try:
        if ctx.object_type == "deal":
            return reverse("sales:deal_detail", args=[ctx.record.pk])
        return reverse(names[ctx.object_type], args=[ctx.record.pk])
    except NoReverseMatch:
        return ""


register(
    ActionType(
        key="notify_user",
        label=gettext_lazy("Notify a user"),
        object_types=ALL,
        clean=_clean_notify,
        describe=lambda ctx, c: (
            _("Notify %(who)s: “%(message)s”.")
            % {
                "who": _("the owner") if c["user_id"] == "owner" else f"#{c['user_id']}",
                "message": c["message"],
            }
        ),
        run=_run_notify,
    )
)


# ---------------------------------------------------------------- call a webhook


def _clean_webhook(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    from sambandh.automation.models import WebhookEndpoint

    try:
        endpoint_id = int(config.get("endpoint_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(_("Choose a webhook.")) from None
    if not WebhookEndpoint.objects.filter(pk=endpoint_id).exists():
        raise ValueError(_("Choose a webhook."))
    return {"endpoint_id": endpoint_id}


def _run_webhook(ctx: RunContext, config: dict[str, Any]) -> str:
    """A signed message to the endpoint, queued as a delivery in the run's own transaction:
    sent once the run commits, with the delivery's retries, never twice for one run."""
    import json

    from sambandh.automation.models import Delivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(pk=config["endpoint_id"])
    if not endpoint.is_active:
        return _("The webhook is turned off: nothing sent.")
    body = json.dumps(
        {
            "type": "workflow.action",
            "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "data": {
                "workflow_id": ctx.workflow_id,
                "run_id": ctx.run_id,
                "object_type": ctx.object_type,
                "object_id": str(ctx.record.pk),
            },
        },
        separators=(",", ":"),
    )
    Delivery.objects.create(
        endpoint=endpoint,
        event_id=-(ctx.run_id or 0),
        event_name="workflow.action",
        msg_id=f"msg_wf{ctx.run_id}_{endpoint.pk}",
        body=body,
    )
    return _("Webhook message queued.")


register(
    ActionType(
        key="call_webhook",
        label=gettext_lazy("Call a webhook"),
        object_types=ALL,
        clean=_clean_webhook,
        describe=lambda ctx, c: (
            _("Send a signed message to webhook #%(id)s.") % {"id": c["endpoint_id"]}
        ),
        run=_run_webhook,
    )
)


# ---------------------------------------------------------------- send an email


PLACEHOLDERS = ("first_name", "last_name", "full_name", "owner_name", "company")
LANGUAGES = ("en", "hi")


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _clean_email(object_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """A message in English and optionally Hindi: ``{"subject": {"en": ..., "hi": ...},
    "text": {...}}``, with placeholders such as {first_name}."""
    cleaned: dict[str, Any] = {}
    for key, limit in (("subject", 300), ("text", 20_000)):
        versions = config.get(key)
        if isinstance(versions, str):
            versions = {"en": versions}
        if not isinstance(versions, dict) or not str(versions.get("en") or "").strip():
            raise ValueError(_("Write the “%(key)s” at least in English.") % {"key": key})
        kept = {}
        for language, text in versions.items():
            if language not in LANGUAGES or not isinstance(text, str) or len(text) > limit:
                raise ValueError(
                    _("“%(key)s” is text of at most %(n)d characters per language (en, hi).")
                    % {"key": key, "n": limit}
                )
            try:
                text.format_map(_Values())
            except (ValueError, IndexError, AttributeError, KeyError, TypeError):
                raise ValueError(
                    _("“%(key)s” has a stray brace; placeholders look like {first_name}.")
                    % {"key": key}
                ) from None
            if text.strip():
                kept[language] = text.strip()
        cleaned[key] = kept
    return cleaned


def _email_values(contact: Any) -> _Values:
    owner = contact.owner
    return _Values(
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=" ".join(p for p in (contact.first_name, contact.last_name) if p),
        owner_name=(owner.get_full_name() or owner.username) if owner else "",
        company=contact.account.name if contact.account_id else "",
    )


def _run_email(ctx: RunContext, config: dict[str, Any]) -> str:
    from sambandh.automation.models import WorkflowEmail

    contact = ctx.record
    if ctx.run_id is None:  # test mode describes; it never runs actions
        raise ValueError("send_email runs only within a workflow run")
    if contact.do_not_contact:
        return _("Do not contact: not sent.")
    if not contact.email:
        return _("No email address: not sent.")
    preferred = (contact.preferred_language or "en").split("-")[0]
    language = preferred if preferred in config["subject"] and preferred in config["text"] else "en"
    values = _email_values(contact)
    WorkflowEmail.objects.create(
        run_id=ctx.run_id,
        contact_id=contact.pk,
        to=contact.email,
        language=language,
        subject=config["subject"][language].format_map(values)[:300],
        text=config["text"][language].format_map(values),
    )
    return _("Email queued in %(language)s.") % {"language": language}


register(
    ActionType(
        key="send_email",
        label=gettext_lazy("Send an email"),
        object_types=PEOPLE,
        clean=_clean_email,
        describe=lambda ctx, c: (
            _("Email “%(subject)s” in the contact's language.") % {"subject": c["subject"]["en"]}
        ),
        run=_run_email,
    )
)
