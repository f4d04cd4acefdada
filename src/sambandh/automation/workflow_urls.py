from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from sambandh.automation import workflow_views as views

app_name = "workflows"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.workflow_list, name="list"),
    path("new/", views.workflow_create_view, name="create"),
    path("from-template/", views.workflow_from_template_view, name="from_template"),
    path("<int:pk>/", views.workflow_detail, name="detail"),
    path("<int:pk>/edit/", views.workflow_edit, name="edit"),
    path("<int:pk>/delete/", views.workflow_delete_view, name="delete"),
    path("<int:pk>/toggle/", views.workflow_toggle, name="toggle"),
    path("<int:pk>/test/", views.workflow_test_view, name="test"),
    path("<int:pk>/run/", views.workflow_run, name="run"),
    path("<int:pk>/versions/", views.workflow_versions, name="versions"),
]
