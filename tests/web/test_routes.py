from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make_account, make_contact
from tests.web.routes import html_views

pytestmark = pytest.mark.django_db


def _web_url_names() -> set[str]:
    resolver = get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "web":
            names.update(
                f"web:{p.name}"
                for p in pattern.url_patterns
                if isinstance(p, URLPattern) and p.name
            )
    return names


def test_routes_cover_every_named_web_url():
    assert {name for name, _path in html_views()} == _web_url_names()


def test_every_record_route_answers_its_owner_without_a_server_error(owner, client_for):
    contact = make_contact(owner, phone="9876543210")
    account = make_account(owner, phone="9876543210")
    client = client_for(owner)
    for name, path in html_views(pk=contact.pk):
        if name.startswith("web:account_"):
            path = path.replace(f"/{contact.pk}/", f"/{account.pk}/")
        # data_quality: org-wide figures, 403 for a Sales rep (tests/dedup/test_quality.py)
        if name in ("web:logout", "web:language", "web:note_delete", "web:data_quality"):
            continue
        if name.endswith("_merge"):  # needs two records of a kind: tests/dedup/test_merge.py
            continue
        if name.startswith("web:import_") and name != "web:import_new":
            continue  # an import's pages need an import: tests/dataio/test_import_views.py
        if name == "web:export_download":
            continue  # needs a finished export: tests/dataio/test_export_jobs.py
        if name.endswith("_export"):  # POST only: an export writes its audit entry
            response = client.post(path, {"format": "csv"})
        else:
            response = client.get(path)
        assert response.status_code in (200, 302), (name, response.status_code)


def test_every_record_route_is_not_found_for_an_outsider(owner, outsider, client_for):
    contact = make_contact(owner, phone="9876543210")
    client = client_for(outsider)
    for name, path in html_views(pk=contact.pk):
        if not name.startswith("web:contact_") or name.endswith(("_list", "_create", "_export")):
            continue
        assert client.get(path).status_code == 404, name


def test_every_page_sends_anonymous_visitors_to_login(client):
    public = {"web:login", "web:logout", "web:language"}
    for name, path in html_views():
        if name in public:
            continue
        response = client.get(path)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name
