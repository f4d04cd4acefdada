from __future__ import annotations

from django.apps import AppConfig


class DataioConfig(AppConfig):
    # No models yet and no UI: nothing here for a user to read, so no translated name.
    name = "sambandh.dataio"
    label = "dataio"
