from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sambandh.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from sambandh.contacts.forms import register_history_key
        from sambandh.core.permissions import visible
        from sambandh.sales.models import AssignmentRule, Deal, Territory

        register_history_key(
            "assigned_by_rule_id",
            _("Assigned by rule"),
            lambda actor, ids: dict(
                AssignmentRule.objects.filter(pk__in=ids).values_list("id", "name")
            ),
        )
        register_history_key("rule", _("Assignment rule"))
        register_history_key(
            "deal_id",
            _("Deal"),
            lambda actor, ids: dict(
                visible(actor, Deal).filter(pk__in=ids).values_list("id", "name")
            ),
        )
        register_history_key(
            "territory_id",
            _("Territory"),
            lambda actor, ids: dict(Territory.objects.filter(pk__in=ids).values_list("id", "name")),
        )
