"""Reading and normalising a big file in a second process while this one writes.

An import's time goes half to parsing and normalising rows (CSV, names, emails, phone numbers:
pure Python, no database) and half to matching and writing them. For a file of more than
``settings.SAMBANDH_IMPORT_PIPELINE_MIN_ROWS`` rows, a child process (``spawn``: a fresh
interpreter, nothing shared with this one's threads or database connections) reads the file
and prepares each chunk, a few chunks ahead, while this process writes the previous ones: the
two halves run on two cores. A smaller file is prepared in this process, the same way.

The child takes most of a second to start (a Python interpreter and Django). Meanwhile this
process prepares the first chunks itself, up to ``SAMBANDH_IMPORT_PIPELINE_HEAD_CHUNKS``; the
child, once it says it is ready, is told the last row this process read and goes on after it.

The child is only a helper: the job row and the checkpoint stay with the writer, so a child
that dies is a failed run that the next worker resumes, never a lost or doubled row.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import select
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any

from django.conf import settings
from django.utils.functional import (  # type: ignore[attr-defined]
    Promise,
    _lazy_proxy_unpickle,
    lazy,
)

from sambandh.core.memory import long_work
from sambandh.dataio.readers import FileFormat, Row, open_table
from sambandh.dataio.rows import Plan, Prepared, RowReader

CHUNK_ROWS = 1000
Chunk = list[tuple[Row, Prepared]]


def _chunks(spec: dict[str, Any], after: int) -> Generator[Chunk]:
    reader = RowReader(Plan(**spec["plan"]))
    with open_table(
        spec["path"],
        filename=spec["filename"],
        file_format=FileFormat(spec["file_format"]) if spec["file_format"] else None,
        encoding=spec["encoding"] or None,
    ) as table:
        chunk: Chunk = []
        for row in table.rows():
            if row.number <= after:
                continue
            chunk.append((row, reader.prepare(row.number, row.cells, row.problems)))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


@functools.cache
def _lazy_of(func: Callable[..., Any], resultclasses: tuple[type, ...]) -> Callable[..., Any]:
    return lazy(func, *resultclasses)


def _unpickle_lazy(func: Callable[..., Any], args: Any, kwargs: Any, *resultclasses: type) -> Any:
    # As Django's own unpickler, but one lazy class per function, not one per message.
    return _lazy_of(func, resultclasses)(*args, **kwargs)


class _Pickler(pickle.Pickler):
    """Pickles a problem's lazy message so that it unpickles cheaply: Django's unpickler makes
    a new class for every lazy string (1.5 ms each; ten chunks of a test file took 243 ms to
    unpickle, 36 ms this way)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Promise):
            reduced = obj.__reduce__()
            if isinstance(reduced, tuple) and reduced[0] is _lazy_proxy_unpickle:
                return (_unpickle_lazy, reduced[1])
        return NotImplemented


def _send(out: IO[bytes], item: Any) -> None:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(item)
    body = buffer.getvalue()
    out.write(len(body).to_bytes(8, "big"))
    out.write(body)
    out.flush()


def _receive(stream: IO[bytes]) -> Any:
    size = stream.read(8)
    if len(size) < 8:
        raise ReaderDied("the file reader stopped")
    body = stream.read(int.from_bytes(size, "big"))
    # Our own child process, started by us, on a private pipe: not untrusted input.
    return pickle.loads(body)  # noqa: S301


class ReaderDied(RuntimeError):
    pass


def _ready(stream: IO[bytes]) -> bool:
    """Whether the child has written to ``stream`` (it says "ready" first): without waiting."""
    readable, _, _ = select.select([stream], [], [], 0)
    return bool(readable)


def prepared_chunks(spec: dict[str, Any], *, after: int, rows: int | None) -> Iterator[Chunk]:
    """The file's chunks after row ``after``, each row with its ``Prepared`` form. The pipe
    holds about one chunk, so the reader works one chunk ahead of the writer."""
    threshold = int(settings.SAMBANDH_IMPORT_PIPELINE_MIN_ROWS)
    if rows is None or rows - after < threshold:
        yield from _chunks(spec, after)
        return
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE or "sambandh.settings"}
    child = subprocess.Popen(  # noqa: S603 - our own module, no shell
        [sys.executable, "-m", "sambandh.dataio.pipeline"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    if child.stdin is None or child.stdout is None:  # pragma: no cover - PIPE gives both
        raise ReaderDied("no pipe to the file reader")
    try:
        head = int(settings.SAMBANDH_IMPORT_PIPELINE_HEAD_CHUNKS) if os.name == "posix" else 0
        if head > 0:
            here = _chunks(spec, after)
            try:
                for _ in range(head):
                    if _ready(child.stdout):
                        break
                    chunk = next(here, None)
                    if chunk is None:
                        return  # the whole file was read here before the child started
                    after = chunk[-1][0].number
                    yield chunk
            finally:
                here.close()
        if _receive(child.stdout)[0] != "ready":  # pragma: no cover - the child's first word
            raise ReaderDied("the file reader did not start")
        _send(child.stdin, (spec, after))
        child.stdin.close()
        while True:
            kind, item = _receive(child.stdout)
            if kind == "done":
                return
            if kind == "error":
                raise ReaderDied(item)
            yield item
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        child.stdin.close()
        child.stdout.close()


def main() -> None:  # pragma: no cover - runs in the child
    import django

    # The pipe to the writer is stdout: anything else that prints (a warning, a library) goes
    # to stderr instead, so it can never break the framing.
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    django.setup()
    try:
        _send(out, ("ready", None))
        spec, after = _receive(sys.stdin.buffer)
    except (BrokenPipeError, ReaderDied):
        return  # the writer read the whole file itself, or stopped
    try:
        with long_work():  # this process lives for one file
            for chunk in _chunks(spec, after):
                _send(out, ("chunk", chunk))
        _send(out, ("done", None))
    except BrokenPipeError:
        return  # the writer stopped reading: it has failed or finished
    except Exception as exc:  # noqa: BLE001 - reported to the writer, which fails the run
        _send(out, ("error", repr(exc)))


if __name__ == "__main__":
    # Run as the package's module, not as __main__: what the child pickles (the cheap lazy
    # unpickler) must be found by that name in the writer.
    from sambandh.dataio import pipeline

    pipeline.main()
