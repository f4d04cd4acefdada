from __future__ import annotations

from typing import Any

from django.urls import path

from sambandh.activities import views
from sambandh.dataio.exports import views as export_views

app_name = "activities"

urlpatterns: list[Any] = [
    path("", views.activity_list, name="list"),
    path("my-day/", views.my_day, name="my_day"),
    path("export/", export_views.activity_export, name="export"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/delete/", views.activity_delete, name="delete"),
    path("<int:pk>/complete/", views.activity_complete, name="complete"),
    path("<int:pk>/dismiss-reminder/", views.reminder_dismiss, name="dismiss"),
]

# The same panel serves contacts, companies and deals; ``parent`` picks which.
for parent, prefix in (("contact", "contacts"), ("account", "accounts"), ("deal", "deals")):
    extra = {"parent": parent}
    urlpatterns += [
        path(
            f"{prefix}/<int:pk>/timeline/",
            views.parent_timeline,
            extra,
            name=f"{parent}_timeline",
        ),
        path(
            f"{prefix}/<int:pk>/new/<str:kind>/",
            views.quick_create,
            extra,
            name=f"{parent}_new",
        ),
    ]
