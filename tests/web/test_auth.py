"""Sign-in and sign-out, language switch and personal settings."""

from __future__ import annotations

import zoneinfo

import pytest
from django.conf import settings
from django.urls import reverse

from sambandh.core.models import AuditEntry
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def test_login_page_has_labelled_username_and_password_fields(client):
    body = client.get(reverse("web:login")).content.decode()
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body


def test_successful_login_is_audited_and_redirects_home(owner, client):
    response = client.post(reverse("web:login"), {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    entry = AuditEntry.objects.get(action="login")
    assert (entry.actor, entry.object_id) == (owner, str(owner.pk))


def test_failed_login_is_audited_without_the_password(owner, client):
    response = client.post(reverse("web:login"), {"username": "owner", "password": "wrong-guess"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.actor is None
    assert entry.actor_label == "owner"
    assert "wrong-guess" not in str(entry.changes)
    assert not AuditEntry.objects.filter(action="login").exists()


def test_logout_needs_a_post(owner, client_for):
    client = client_for(owner)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_language_switch_saves_hindi_on_the_user_and_shows_hindi(owner, client_for):
    client = client_for(owner)
    response = client.post(reverse("web:language"), {"language": "hi", "next": "/contacts/"})
    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"
    owner.refresh_from_db()
    assert owner.language == "hi"
    body = client.get("/contacts/").content.decode()
    assert '<html lang="hi">' in body
    assert "<h1>संपर्क</h1>" in body


def test_language_switch_works_for_anonymous_visitors_by_cookie(client):
    response = client.post(reverse("web:language"), {"language": "hi", "next": "/login/"})
    assert response["Location"] == "/login/"
    body = client.get(reverse("web:login")).content.decode()
    assert "<h1>लॉग इन करें</h1>" in body


def test_language_switch_ignores_an_unknown_language_and_an_outside_next(owner, client_for):
    client = client_for(owner)
    response = client.post(
        reverse("web:language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    owner.refresh_from_db()
    assert owner.language == "en"


def test_login_brings_the_users_saved_language_back(owner, client):
    owner.language = "hi"
    owner.save()
    response = client.post(reverse("web:login"), {"username": "owner", "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"


def test_settings_change_language_and_time_zone(owner, client_for):
    client = client_for(owner)
    assert client.get(reverse("web:settings")).status_code == 200
    response = client.post(
        reverse("web:settings"),
        {"language": "hi", "time_zone": "Europe/London", "version": owner.version},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.language, owner.time_zone) == ("hi", "Europe/London")


def test_settings_with_a_bad_time_zone_shows_the_error_and_changes_nothing(owner, client_for):
    response = client_for(owner).post(
        reverse("web:settings"),
        {"language": "hi", "time_zone": "Mars/Olympus", "version": owner.version},
    )
    assert response.status_code == 400
    assert "Enter a valid time zone such as Asia/Kolkata." in response.content.decode()
    owner.refresh_from_db()
    assert (owner.language, owner.time_zone) == ("en", "Asia/Kolkata")


def test_history_times_are_shown_in_the_users_time_zone(owner, client_for):
    owner.time_zone = "America/New_York"
    owner.save()
    contact = make_contact(owner)
    entry = AuditEntry.objects.get(object_id=str(contact.pk), object_type="contact")
    local = entry.at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    body = client_for(owner).get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert f'<time datetime="{local.isoformat()}">' in body


def test_admin_link_is_shown_to_administrators_only(admin, owner, client_for):
    assert 'data-testid="nav-admin"' in client_for(admin).get("/contacts/").content.decode()
    assert 'data-testid="nav-admin"' not in client_for(owner).get("/contacts/").content.decode()
