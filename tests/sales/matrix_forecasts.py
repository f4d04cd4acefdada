"""The forecast and exchange-rate share of the permission matrix (see ``tests/matrix.py``).

Every role reads rates and the forecast (the forecast then counts only the deals the role may
read); only administrators and sales managers change rates.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sambandh.core.models import ExchangeRate, User
from sambandh.core.rates import exchange_rate_set
from tests.matrix import MatrixPart, Targets

# Administrator, Sales manager, Sales rep, Support agent, Marketer, Read-only.
API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/exchange-rates"): "200 200 200 200 200 200",
    ("POST", "/api/v1/exchange-rates"): "200 200 403 403 403 403",
    ("POST", "/api/v1/exchange-rates/import"): "200 200 403 403 403 403",
    ("DELETE", "/api/v1/exchange-rates/{id}"): "204 204 403 403 403 403",
    ("GET", "/api/v1/forecasts"): "200 200 200 200 200 200",
}

HTML_GET_MATRIX: dict[str, str] = {
    "sales:forecasts": "200 200 200 200 200 200",
    "sales:exchange_rates": "200 200 200 200 200 200",
    "sales:exchange_rates_import": "302 302 302 302 302 302",
    "sales:exchange_rate_delete": "200 200 403 403 403 403",
}
HTML_POST_MATRIX: dict[str, str] = {
    "sales:exchange_rates": "302 302 403 403 403 403",
    "sales:exchange_rates_import": "302 302 403 403 403 403",
    "sales:exchange_rate_delete": "302 302 403 403 403 403",
}

CSV = "currency,date,rate\nGBP,2025-01-01,105.5\n"


def _make_targets(t: Targets) -> None:
    t.objects["exchange_rate"] = exchange_rate_set(
        actor=t.admin, currency="USD", rate_on="2024-01-01", rate="80"
    )


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    if (method, path) == ("POST", "/api/v1/exchange-rates"):
        return {"currency": "EUR", "rate_on": "2025-01-01", "rate": "90"}
    if (method, path) == ("POST", "/api/v1/exchange-rates/import"):
        return {"csv": CSV}
    return None


def _html_views() -> list[tuple[str, str]]:
    views = [
        (name, reverse(name))
        for name in ("sales:forecasts", "sales:exchange_rates", "sales:exchange_rates_import")
    ]
    views.append(("sales:exchange_rate_delete", reverse("sales:exchange_rate_delete", args=[1])))
    return views


def _html_url(name: str, path: str, t: Targets) -> str:
    if name == "sales:exchange_rate_delete":
        return path.replace("/1/", f"/{t.exchange_rate.pk}/")
    return path


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    if name == "sales:exchange_rates":
        return {"currency": "EUR", "rate_on": "2025-01-01", "rate": "90"}
    if name == "sales:exchange_rates_import":
        return {"file": SimpleUploadedFile("rates.csv", CSV.encode(), content_type="text/csv")}
    return {}


PART = MatrixPart(
    name="forecasts and exchange rates",
    api=API_MATRIX,
    api_ids=[("/api/v1/exchange-rates/", "exchange_rate")],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=_html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[ExchangeRate],
)
