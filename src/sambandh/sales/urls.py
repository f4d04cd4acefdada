from __future__ import annotations

from django.urls import path

from sambandh.dataio.exports import views as export_views
from sambandh.sales.views import catalog, deals, forecasts, leads, products

app_name = "sales"

urlpatterns = [
    path("deals/export/", export_views.deal_export, name="deal_export"),
    path("orders/export/", export_views.order_export, name="order_export"),
    *deals.urlpatterns,
    *catalog.urlpatterns,
    *products.urlpatterns,
    *leads.urlpatterns,
    *forecasts.urlpatterns,
]
