"""The JSON API under /api/v1/. Routers live in each app's ``api.py``."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Sambandh API", version="1", urls_namespace="api")


@api.get("/health", auth=None, tags=["meta"], summary="Liveness")
def health(request: object) -> dict[str, str]:
    return {"status": "ok"}
