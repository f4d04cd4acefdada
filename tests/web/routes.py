"""Every HTML route of the web UI, for the permission-matrix test.

``html_views()`` returns (url name, example path) pairs. Paths use record id 1 and the
field ``job_title``; the matrix test creates what it needs and substitutes real ids.
"""

from __future__ import annotations

from django.urls import reverse

RECORD_KINDS = ("contact", "account")
# A field that contacts and companies both have and that can be edited inline.
INLINE_FIELD = "phone"


def html_views(pk: int = 1) -> list[tuple[str, str]]:
    """(url name, example path) for every HTML page and fragment the web app serves."""
    views = [
        (name, reverse(name))
        for name in ("web:home", "web:login", "web:logout", "web:language", "web:settings")
    ]
    views.append(("web:search", reverse("web:search") + "?q=a"))
    views.append(("web:note_delete", reverse("web:note_delete", args=[pk])))
    for kind in RECORD_KINDS:
        views.append((f"web:{kind}_list", reverse(f"web:{kind}_list")))
        views.append((f"web:{kind}_create", reverse(f"web:{kind}_create")))
        for suffix in ("detail", "edit", "delete", "notes", "history"):
            name = f"web:{kind}_{suffix}"
            views.append((name, reverse(name, args=[pk])))
        for suffix in ("field", "field_edit"):
            name = f"web:{kind}_{suffix}"
            views.append((name, reverse(name, args=[pk, INLINE_FIELD])))
    return views
