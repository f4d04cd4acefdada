"""The sales routers under /api/v1/, one module per idea."""

from __future__ import annotations

from ninja import Router

from sambandh.sales.api import catalog, deals, forecasts, leads

router = Router()
for _module in (deals, catalog, leads, forecasts):
    router.add_router("", _module.router)
