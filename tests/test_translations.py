"""Every string the UI shows has Hindi (the catalogue, or a pending file on its way in)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "messages.py"


def _messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sambandh_messages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def messages() -> ModuleType:
    if shutil.which("xgettext") is None:
        if os.environ.get("SAMBANDH_REQUIRE_SERVICES") == "1":
            pytest.fail("GNU gettext (xgettext) is required here but not installed")
        pytest.skip("GNU gettext (xgettext) is not installed: apt-get install gettext")
    return _messages()


def test_every_msgid_has_hindi(messages: ModuleType) -> None:
    assert messages.missing() == []


def test_the_catalogue_uses_the_glossary_terms(messages: ModuleType) -> None:
    from babel.messages.pofile import read_po

    with messages.PO.open("rb") as fh:
        catalog = read_po(fh)
    pending = messages.pending()
    for msgid in ("Contact", "Company", "Deal", "Pipeline", "Territory"):
        message = catalog.get(msgid)
        hindi = message.string if message is not None and message.string else pending.get(msgid)
        assert (
            hindi
            == {
                "Contact": "संपर्क",
                "Company": "कंपनी",
                "Deal": "सौदा",
                "Pipeline": "पाइपलाइन",
                "Territory": "क्षेत्र",
            }[msgid]
        )
