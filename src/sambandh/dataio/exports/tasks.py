"""Huey tasks of exports: each calls its service and is safe to run twice (a job that is not
queued, or is held by a live worker, is left alone). ``sambandh.dataio.tasks`` imports this
module, so the consumer registers them."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()  # type: ignore[misc,untyped-decorator]
def export_run_task(job_id: int) -> None:
    from sambandh.dataio.exports.services import export_job_run

    export_job_run(job_id)


@db_periodic_task(crontab(minute="*/5"))  # type: ignore[misc,untyped-decorator]
def exports_resume_task() -> None:
    """Every five minutes: wake a worker for an export whose worker died or never came."""
    from sambandh.dataio.exports.services import exports_resume

    exports_resume()


@db_periodic_task(crontab(hour="3", minute="55"))  # type: ignore[misc,untyped-decorator]
def exports_purge_task() -> None:
    """Every day: exports finished more than a week ago go, with their files."""
    from sambandh.dataio.exports.services import exports_purge

    exports_purge()
