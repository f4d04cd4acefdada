from __future__ import annotations

from django.urls import path

from sambandh.contacts import views as record_views
from sambandh.dataio import views as import_views
from sambandh.dataio.exports import views as export_views
from sambandh.dedup import views as merge_views
from sambandh.dedup import views_quality as dedup_views
from sambandh.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.set_language, name="language"),
    path("settings/", views.my_settings, name="settings"),
    path("search/", views.search, name="search"),
    path("notes/<int:pk>/delete/", record_views.note_delete, name="note_delete"),
    path("duplicates/", dedup_views.duplicates, name="duplicates"),
    path("data-quality/", dedup_views.data_quality, name="data_quality"),
    path("imports/", import_views.imports, name="imports"),
    path("imports/new/", import_views.import_new, name="import_new"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress", import_views.import_progress, name="import_progress"),
    path("imports/<int:pk>/report.csv", import_views.import_report, name="import_report"),
    path("imports/<int:pk>/rows/<int:row>/", import_views.import_fix_row, name="import_fix_row"),
    path("imports/<int:pk>/undo/", import_views.import_undo, name="import_undo"),
    path("exports/", export_views.exports, name="exports"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]

# Contacts and companies share their views; ``kind`` picks which.
for kind, prefix in (("contact", "contacts"), ("account", "accounts")):
    extra = {"kind": kind}
    urlpatterns += [
        path(f"{prefix}/", record_views.record_list, extra, name=f"{kind}_list"),
        path(f"{prefix}/new/", record_views.record_create, extra, name=f"{kind}_create"),
        path(f"{prefix}/export/", record_views.record_export, extra, name=f"{kind}_export"),
        path(f"{prefix}/merge/", merge_views.record_merge, extra, name=f"{kind}_merge"),
        path(f"{prefix}/<int:pk>/", record_views.record_detail, extra, name=f"{kind}_detail"),
        path(f"{prefix}/<int:pk>/edit/", record_views.record_edit, extra, name=f"{kind}_edit"),
        path(
            f"{prefix}/<int:pk>/delete/", record_views.record_delete, extra, name=f"{kind}_delete"
        ),
        path(
            f"{prefix}/<int:pk>/fields/<str:field>/",
            record_views.record_field,
            extra,
            name=f"{kind}_field",
        ),
        path(
            f"{prefix}/<int:pk>/fields/<str:field>/edit/",
            record_views.record_field_edit,
            extra,
            name=f"{kind}_field_edit",
        ),
        path(f"{prefix}/<int:pk>/notes/", record_views.record_notes, extra, name=f"{kind}_notes"),
        path(
            f"{prefix}/<int:pk>/history/",
            record_views.record_history_view,
            extra,
            name=f"{kind}_history",
        ),
    ]
