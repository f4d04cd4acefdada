from __future__ import annotations

from sambandh.sales.views import catalog, deals, forecasts, leads

app_name = "sales"

urlpatterns = [
    *deals.urlpatterns,
    *catalog.urlpatterns,
    *leads.urlpatterns,
    *forecasts.urlpatterns,
]
