"""What the reader process sends the writer: problems with lazy messages that unpickle without
making a class each, and still render in whichever language is active when shown."""

from __future__ import annotations

import gc
import io
import pickle

from django.utils import translation

from sambandh.core.memory import YOUNG_THRESHOLD, long_work
from sambandh.dataio import pipeline
from sambandh.dataio.normalise import normalise_text


def _round_trip(item: object) -> object:
    buffer = io.BytesIO()
    pipeline._Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(item)
    return pickle.loads(buffer.getvalue())  # noqa: S301 - our own bytes


def test_lazy_messages_cross_and_render_in_each_language() -> None:
    _value, problem = normalise_text("x" * 50, max_length=10)
    assert problem is not None
    back = _round_trip([problem, problem.at(row=7, field="Name")])
    assert isinstance(back, list)
    for language in ("en", "hi"):
        with translation.override(language):
            assert str(back[0].message) == str(problem.message)
            assert back[1].row == 7 and back[1].field == "Name"
    with translation.override("hi"):
        hindi = str(back[0].message)
    with translation.override("en"):
        assert str(back[0].message) == "Enter at most 10 characters."
    assert hindi != "Enter at most 10 characters." and "10" in hindi
    # One lazy class per function, however many messages: the cost this pickler removes.
    assert type(back[0].message) is type(_round_trip(problem).message)  # type: ignore[attr-defined]


def test_long_work_quiets_the_collector_and_restores_it() -> None:
    before = gc.get_threshold()
    with long_work():
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        assert gc.get_freeze_count() > 0
        with long_work():  # nested: the outer one restores
            pass
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settle_loads_the_views_and_freezes_what_is_alive() -> None:
    from sambandh.core.memory import settle

    before = gc.get_threshold()
    try:
        settle()
        assert gc.get_freeze_count() > 10_000  # the framework and every view module
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
