"""Every HTML route of the web UI, for the permission-matrix test.

``html_views()`` returns (url name, example path) pairs. Paths use record id 1 and the
field ``job_title``; the matrix test creates what it needs and substitutes real ids.
"""

from __future__ import annotations

from django.urls import reverse

RECORD_KINDS = ("contact", "account")
# A field that contacts and companies both have and that can be edited inline.
INLINE_FIELD = "phone"
# The row of an import's page to fix a failed row (tests/dataio/matrix.py fails that row).
IMPORT_ROW = 2


def html_views(pk: int = 1) -> list[tuple[str, str]]:
    """(url name, example path) for every HTML page and fragment the web app serves."""
    views = [
        (name, reverse(name))
        for name in ("web:home", "web:login", "web:logout", "web:language", "web:settings")
    ]
    views.append(("web:search", reverse("web:search") + "?q=a"))
    views.append(("web:note_delete", reverse("web:note_delete", args=[pk])))
    views.append(("web:duplicates", reverse("web:duplicates")))
    views.append(("web:data_quality", reverse("web:data_quality")))
    views.append(("web:imports", reverse("web:imports")))
    views.append(("web:import_new", reverse("web:import_new") + "?kind=contact"))
    for suffix in ("detail", "progress", "report", "undo"):
        views.append((f"web:import_{suffix}", reverse(f"web:import_{suffix}", args=[pk])))
    views.append(("web:import_fix_row", reverse("web:import_fix_row", args=[pk, IMPORT_ROW])))
    views.append(("web:exports", reverse("web:exports")))
    views.append(("web:export_download", reverse("web:export_download", args=[pk])))
    for kind in RECORD_KINDS:
        views.append((f"web:{kind}_list", reverse(f"web:{kind}_list")))
        views.append((f"web:{kind}_create", reverse(f"web:{kind}_create")))
        views.append((f"web:{kind}_export", reverse(f"web:{kind}_export")))
        views.append((f"web:{kind}_merge", reverse(f"web:{kind}_merge") + "?ids=1,2"))
        for suffix in ("detail", "edit", "delete", "notes", "history"):
            name = f"web:{kind}_{suffix}"
            views.append((name, reverse(name, args=[pk])))
        for suffix in ("field", "field_edit"):
            name = f"web:{kind}_{suffix}"
            views.append((name, reverse(name, args=[pk, INLINE_FIELD])))
    return views
