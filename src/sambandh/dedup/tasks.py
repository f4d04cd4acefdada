"""Huey tasks of the dedup app: idempotent, safe to run twice."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()  # type: ignore[misc,untyped-decorator]
def data_quality_snapshot_task(object_type: str) -> int:
    """Compute the data-quality figures of ``object_type`` into a new snapshot; its id."""
    from sambandh.dedup.quality import snapshot_compute

    return snapshot_compute(object_type=object_type).pk
