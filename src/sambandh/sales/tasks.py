"""Huey tasks of the sales app: fetch by id and call a service; idempotent, safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sambandh.core.models import User

# ---------------------------------------------------------------- leads and territories


@db_task()  # type: ignore[misc,untyped-decorator]
def territories_reevaluate_task(actor_id: int | None) -> int:
    """Re-assign every company and contact to its territory after a rule change."""
    from sambandh.sales.services.territories import territories_reevaluate

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return territories_reevaluate(actor=actor)


@db_task()  # type: ignore[misc,untyped-decorator]
def lead_scores_refresh_task() -> int:
    """Recompute every lead score after a scoring rule changed."""
    from sambandh.sales.services.scoring import lead_scores_refresh

    return lead_scores_refresh()


@db_periodic_task(crontab(hour="2", minute="15"))  # type: ignore[misc,untyped-decorator]
def lead_scores_decay_task() -> int:
    """Daily: behaviour points fade with age, so stored scores are recomputed in batches."""
    from sambandh.sales.services.scoring import lead_scores_refresh

    return lead_scores_refresh(only_decaying=True)
