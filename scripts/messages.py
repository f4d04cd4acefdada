"""Hindi translations: find what is missing, and fold pending translations into the catalogue.

    python scripts/messages.py check    # msgids with no Hindi yet (neither in django.po nor pending)
    python scripts/messages.py apply    # makemessages, fill from pending/*.json, compilemessages

Pending translations are JSON files ``src/sambandh/locale/hi/pending/<area>.json`` mapping an
exact msgid to its Hindi text (for a plural msgid, to a list of the two forms). They let
several people add strings at once without rewriting the one ``django.po``; ``apply`` moves
them into it and deletes the files it used.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "sambandh"
PO = PACKAGE / "locale" / "hi" / "LC_MESSAGES" / "django.po"
PENDING = PACKAGE / "locale" / "hi" / "pending"
MAKEMESSAGES = [
    sys.executable,
    "-m",
    "django",
    "makemessages",
    "-l",
    "hi",
    "--ignore",
    "tests/*",
    "--ignore",
    "*/migrations/*",
    "--no-obsolete",
]


def _makemessages(package: Path) -> None:
    subprocess.run(  # noqa: S603 (a fixed command line)
        MAKEMESSAGES, cwd=package, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin"}
    )


def pending() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(PENDING.glob("*.json")) if PENDING.exists() else []:
        found.update(json.loads(path.read_text(encoding="utf-8")))
    return found


def _key(message: Any) -> str:
    return str(message.id[0] if isinstance(message.id, tuple) else message.id)


def _translated(message: Any) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(message.id) and all(strings) and not message.fuzzy


def missing() -> list[str]:
    """Msgids the code uses that have no Hindi, neither in django.po nor pending."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "sambandh"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        _makemessages(copy)
        with (copy / "locale" / "hi" / "LC_MESSAGES" / "django.po").open("rb") as fh:
            catalog = read_po(fh)
    waiting = pending()
    return sorted(
        _key(m) for m in catalog if m.id and not _translated(m) and _key(m) not in waiting
    )


def apply() -> int:
    _makemessages(PACKAGE)
    waiting = pending()
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        text = waiting.get(_key(message))
        if not message.id or text is None or (_translated(message) and not message.fuzzy):
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(text) if isinstance(text, list) else (text, text)
        else:
            message.string = text
        message.flags.discard("fuzzy")
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    subprocess.run(
        [sys.executable, "-m", "django", "compilemessages", "-l", "hi"],
        cwd=PACKAGE,
        check=True,
        capture_output=True,
    )
    for path in PENDING.glob("*.json") if PENDING.exists() else []:
        path.unlink()
    left = missing()
    for msgid in left:
        print(f"untranslated: {msgid!r}")
    return 1 if left else 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["check"]:
        left = missing()
        for msgid in left:
            print(json.dumps(msgid, ensure_ascii=False))
        print(f"{len(left)} msgid(s) without Hindi", file=sys.stderr)
        return 1 if left else 0
    if argv[1:] == ["apply"]:
        return apply()
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
