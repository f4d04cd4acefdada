"""Template helpers of dedup: whether to offer the data-quality page in the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from sambandh.core.models import User
from sambandh.dedup.quality import quality_types

register = template.Library()


@register.filter
def sees_data_quality(user: Any) -> bool:
    """True when the data-quality page would show ``user`` something (not a 403)."""
    return isinstance(user, User) and bool(quality_types(user))
