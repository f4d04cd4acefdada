"""Ready-made workflows: a starting point a person adapts (saved switched off, to be checked
and turned on). Names and texts are translated when shown; the saved workflow keeps the
words of the language it was made in."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.automation.models import Workflow
from sambandh.automation.workflows import workflow_create
from sambandh.core.errors import NotFound
from sambandh.core.models import User

TEMPLATES: dict[str, dict[str, Any]] = {
    "birthday_greeting": {
        "name": gettext_lazy("Birthday greeting at 9:00 local time"),
        "description": gettext_lazy(
            "On each contact's birthday at 9:00 in their own time zone, an email in their "
            "language (never to contacts marked do not contact)."
        ),
        "object_type": "contact",
        "trigger": {"type": "date", "field": "birthday", "offset_days": 0, "at": "09:00"},
        "conditions": {"all": [{"field": "email", "op": "is_set"}]},
        "actions": [
            {
                "type": "send_email",
                "subject": {
                    "en": "Happy birthday, {first_name}!",
                    "hi": "जन्मदिन की शुभकामनाएँ, {first_name}!",
                },
                "text": {
                    "en": "Dear {first_name},\n\nWarm wishes on your birthday from all of us.\n\n{owner_name}",
                    "hi": "प्रिय {first_name},\n\nआपके जन्मदिन पर हम सबकी ओर से हार्दिक शुभकामनाएँ।\n\n{owner_name}",
                },
            }
        ],
    },
    "stalled_deal_task": {
        "name": gettext_lazy("Task for the owner when a deal has not moved for 14 days"),
        "description": gettext_lazy(
            "An open deal with no change for 14 days gets a follow-up task for its owner, once "
            "per quiet spell."
        ),
        "object_type": "deal",
        "trigger": {"type": "inactivity", "days": 14},
        "conditions": {},
        "actions": [
            {
                "type": "create_task",
                "subject": "Follow up: this deal has not moved for 14 days",
                "due_in_days": 1,
                "priority": "high",
            }
        ],
    },
    "new_lead_welcome": {
        "name": gettext_lazy("Welcome task and tag for a new lead"),
        "description": gettext_lazy(
            "A new contact in the lead stage is tagged “new lead” and its owner gets a call task."
        ),
        "object_type": "contact",
        "trigger": {"type": "record_created"},
        "conditions": {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]},
        "actions": [
            {"type": "add_tag", "tag": "new lead"},
            {"type": "create_task", "subject": "Call the new lead", "due_in_days": 1},
        ],
    },
    "won_deal_customer": {
        "name": gettext_lazy("Won deal: notify the owner"),
        "description": gettext_lazy("When a deal is won, its owner is notified."),
        "object_type": "deal",
        "trigger": {"type": "deal_stage_changed"},
        "conditions": {"all": [{"field": "is_won", "op": "eq", "value": True}]},
        "actions": [{"type": "notify_user", "message": "A deal of yours was won."}],
    },
}


def template_list() -> list[dict[str, str]]:
    return [
        {"key": key, "name": str(t["name"]), "description": str(t["description"])}
        for key, t in TEMPLATES.items()
    ]


def workflow_from_template(*, actor: User, key: str) -> Workflow:
    """Save a template as a new workflow, switched off, for the actor to check and turn on."""
    template = TEMPLATES.get(key)
    if template is None:
        raise NotFound(_("There is no such template."))
    data = {
        "name": str(template["name"]),
        "description": str(template["description"]),
        "object_type": template["object_type"],
        "trigger": template["trigger"],
        "conditions": template["conditions"],
        "actions": template["actions"],
        "is_active": False,
    }
    return workflow_create(actor=actor, data=data, template_key=key)
