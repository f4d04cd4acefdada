"""The record types workflows act on, and the registry of workflow actions.

An action is registered with a ``clean`` (checks its settings when the workflow is saved,
raising a translated ValueError), a ``describe`` (what it would do, for test mode) and a
``run`` (does it, through the services, as the workflow's owner). Later capabilities
(campaigns, tickets, loyalty) add their actions to ``ACTIONS`` the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from sambandh.core.models import User

OBJECT_TYPES = {
    "contact": ("sambandh.contacts.models", "Contact", _("Contact")),
    "account": ("sambandh.contacts.models", "Account", _("Company")),
    "deal": ("sambandh.sales.models", "Deal", _("Deal")),
}


def model_for(object_type: str) -> type[models.Model]:
    import importlib

    if object_type not in OBJECT_TYPES:
        raise ValueError(str(_("Choose a contact, company or deal workflow.")))
    module, name, _label = OBJECT_TYPES[object_type]
    model: type[models.Model] = getattr(importlib.import_module(module), name)
    return model


@dataclass
class RunContext:
    """What an action gets: who it runs as, the workflow and run, and the record."""

    actor: User
    workflow_id: int
    run_id: int | None
    object_type: str
    record: Any


@dataclass
class ActionType:
    key: str
    label: Any
    object_types: tuple[str, ...]
    clean: Callable[[str, dict[str, Any]], dict[str, Any]]
    describe: Callable[[RunContext, dict[str, Any]], str]
    run: Callable[[RunContext, dict[str, Any]], str]


ACTIONS: dict[str, ActionType] = {}


def register(action: ActionType) -> ActionType:
    ACTIONS[action.key] = action
    return action
