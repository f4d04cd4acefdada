"""Sambandh: an open-source customer relationship management system."""

from __future__ import annotations

__version__ = "0.1.0"
