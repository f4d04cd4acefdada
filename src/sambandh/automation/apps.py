from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _wake_workers() -> None:
    from django.conf import settings

    if settings.SAMBANDH_WAKE_WORKERS:
        from sambandh.automation.tasks import wake_workers

        wake_workers()


class AutomationConfig(AppConfig):
    name = "sambandh.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from sambandh.core.events import WAKERS

        if _wake_workers not in WAKERS:
            WAKERS.append(_wake_workers)
        from sambandh.automation.delivery import CONSUMERS
        from sambandh.automation.workflows import workflow_consumer

        if workflow_consumer not in CONSUMERS:
            CONSUMERS.append(workflow_consumer)
