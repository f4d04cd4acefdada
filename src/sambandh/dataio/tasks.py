"""Huey tasks of imports: each fetches the job by id and calls its service; safe to run twice
(a second worker finds the job claimed, or finished, and does nothing)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

# The consumer finds each app's ``tasks`` module; the exports' tasks live in their own.
from sambandh.dataio.exports import tasks as export_tasks  # noqa: F401


@db_task()  # type: ignore[misc,untyped-decorator]
def import_check_task(job_id: int) -> None:
    from sambandh.dataio.services import import_check_run

    import_check_run(job_id)


@db_task()  # type: ignore[misc,untyped-decorator]
def import_run_task(job_id: int) -> None:
    from sambandh.dataio.services import import_run

    import_run(job_id)


@db_task()  # type: ignore[misc,untyped-decorator]
def import_undo_task(job_id: int) -> None:
    from sambandh.dataio.services import import_undo_run

    import_undo_run(job_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[misc,untyped-decorator]
def imports_resume_task() -> None:
    """Every minute: wake a worker for any import whose worker died."""
    from sambandh.dataio.services import imports_resume

    imports_resume()


@db_periodic_task(crontab(hour="3", minute="50"))  # type: ignore[misc,untyped-decorator]
def imports_purge_task() -> None:
    """Every day: delete old import files and uploads never started."""
    from sambandh.dataio.services import imports_purge

    imports_purge()
