"""A big file's chunks come from two preparers: this process prepares the first ones while the
reader process starts, then the reader goes on after the last row this one read. Either way
every row comes once, in order, prepared as this process alone would prepare it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sambandh.dataio.pipeline import Chunk, prepared_chunks

ROWS = 3500


def _spec(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "people.csv"
    lines = [f"Person{i},p{i}@example.in,98765{i:05d}\n" for i in range(ROWS - 1)]
    lines.append("Broken,not-an-email,\n")
    path.write_text("Name,Email,Phone\n" + "".join(lines), encoding="utf-8")
    return {
        "path": str(path),
        "filename": path.name,
        "file_format": "",
        "encoding": None,
        "plan": {
            "object_type": "contact",
            "headers": ["Name", "Email", "Phone"],
            "mapping": ["full_name", "email", "phone"],
            "default_country": "IN",
            "day_first": True,
        },
    }


def _flat(chunks: list[Chunk]) -> list[tuple[int, dict[str, Any], list[str]]]:
    return [
        (row.number, p.data, [q.code for q in p.problems]) for chunk in chunks for row, p in chunk
    ]


@pytest.mark.parametrize("head", [0, 2, 1000])
@pytest.mark.parametrize("after", [0, 1500])
def test_every_row_comes_once_in_order_whoever_prepared_it(
    tmp_path: Path, settings: Any, head: int, after: int
) -> None:
    spec = _spec(tmp_path)
    alone = list(prepared_chunks(spec, after=after, rows=None))  # this process only
    settings.SAMBANDH_IMPORT_PIPELINE_MIN_ROWS = 1000
    settings.SAMBANDH_IMPORT_PIPELINE_HEAD_CHUNKS = head
    chunks = list(prepared_chunks(spec, after=after, rows=ROWS))
    flat = _flat(chunks)
    assert [number for number, _, _ in flat] == list(range(max(after + 1, 2), ROWS + 2))
    assert flat == _flat(alone)
    assert flat[-1][2] == ["invalid_email"]
    assert all(len(chunk) == 1000 for chunk in chunks[:-1])
