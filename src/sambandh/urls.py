from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from sambandh.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("sales/", include("sambandh.sales.urls")),
    path("activities/", include("sambandh.activities.urls")),
    path("automation/workflows/", include("sambandh.automation.workflow_urls")),
    path("automation/", include("sambandh.automation.urls")),
    path("notifications/", include("sambandh.notifications.urls")),
    path("", include("sambandh.web.urls")),
]
