"""Rate limits per API token and per signed-in user, over real HTTP. The limiter's clock is
set by the tests (windows are wall-clock aligned), never slept on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from sambandh.api import api
from sambandh.contacts.models import Contact
from sambandh.core import ratelimit
from sambandh.core.models import ApiToken, User
from sambandh.core.ratelimit import Rate, parse_rate
from sambandh.core.services import api_token_create
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

# A minute boundary (1_800_000_000 is a multiple of 60), and 30 seconds into that minute.
WINDOW_START = 1_800_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Clock]:
    """Three requests a minute, half a minute into a fresh window."""
    settings.SAMBANDH_API_RATE_LIMIT = "3/minute"
    fake = Clock(WINDOW_START + 30)
    monkeypatch.setattr(ratelimit, "clock", fake)
    cache.clear()
    yield fake
    cache.clear()


def token_client(user: User, **token: Any) -> tuple[ApiClient, ApiToken]:
    created, raw = api_token_create(actor=user, name="limited")
    if token:
        ApiToken.objects.filter(pk=created.pk).update(**token)
    return ApiClient(raw), created


def test_each_answer_says_how_many_requests_are_left(owner: User, clock: Clock) -> None:
    client, _token = token_client(owner)
    seen = []
    for _ in range(3):
        response = client.get("/contacts")
        assert response.status_code == 200
        seen.append(
            (
                response["RateLimit-Limit"],
                response["RateLimit-Remaining"],
                response["RateLimit-Reset"],
            )
        )
    assert seen == [("3", "2", "30"), ("3", "1", "30"), ("3", "0", "30")]
    assert not response.has_header("Retry-After")


def test_the_request_past_the_limit_is_a_429_with_retry_after(owner: User, clock: Clock) -> None:
    client, _token = token_client(owner)
    for _ in range(3):
        assert client.get("/contacts").status_code == 200
    clock.now += 12
    refused = client.get("/contacts")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "18"
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["Content-Type"] == "application/json; charset=utf-8"
    assert refused.json() == {
        "code": "rate_limited",
        "message": "Too many requests. Try again in 18 seconds.",
        "fields": {},
    }


def test_a_refused_write_does_nothing(owner: User, clock: Clock) -> None:
    client, _token = token_client(owner)
    for _ in range(3):
        client.get("/contacts")
    before = Contact.objects.count()
    response = client.post("/contacts", {"first_name": "Ravi", "last_name": "Kumar"})
    assert response.status_code == 429
    assert Contact.objects.count() == before


def test_another_token_has_its_own_count(owner: User, clock: Clock) -> None:
    first, _token = token_client(owner)
    second, _token = token_client(owner)
    for _ in range(3):
        first.get("/contacts")
    assert first.get("/contacts").status_code == 429
    answer = second.get("/contacts")
    assert answer.status_code == 200
    assert answer["RateLimit-Remaining"] == "2"


def test_the_next_window_starts_afresh(owner: User, clock: Clock) -> None:
    client, _token = token_client(owner)
    for _ in range(3):
        client.get("/contacts")
    assert client.get("/contacts").status_code == 429
    clock.now = WINDOW_START + 60
    answer = client.get("/contacts")
    assert answer.status_code == 200
    assert (answer["RateLimit-Remaining"], answer["RateLimit-Reset"]) == ("2", "60")


def test_the_429_speaks_hindi_when_asked(owner: User, clock: Clock) -> None:
    client, _token = token_client(owner)
    for _ in range(3):
        client.get("/contacts")
    refused = client.get("/contacts", **{"Accept-Language": "hi"})
    assert refused.status_code == 429
    assert refused.json()["message"] == "बहुत अधिक अनुरोध। 30 सेकंड बाद फिर से प्रयास करें।"


def test_a_tokens_own_limit_overrides_the_setting(owner: User, clock: Clock) -> None:
    client, _token = token_client(owner, rate_limit="1/minute")
    first = client.get("/contacts")
    assert (first.status_code, first["RateLimit-Limit"]) == (200, "1")
    assert client.get("/contacts").status_code == 429


def test_a_signed_in_user_is_limited_too(owner: User, clock: Clock) -> None:
    session = Client()
    session.force_login(owner)
    for remaining in ("2", "1", "0"):
        answer = session.get("/api/v1/contacts")
        assert (answer.status_code, answer["RateLimit-Remaining"]) == (200, remaining)
    refused = session.get("/api/v1/contacts")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused["Retry-After"] == "30"


def test_unauthenticated_requests_are_401_without_counting(db: None, clock: Clock) -> None:
    client = ApiClient(None)
    for _ in range(5):
        answer = client.get("/contacts")
        assert answer.status_code == 401
        assert not answer.has_header("RateLimit-Limit")
    bad = ApiClient("sbk_not-a-token")
    assert bad.get("/contacts").status_code == 401


def test_the_unauthenticated_health_check_is_not_limited(db: None, clock: Clock) -> None:
    client = ApiClient(None)
    for _ in range(5):
        assert client.get("/health").status_code == 200


def test_the_limit_can_be_turned_off(owner: User, clock: Clock, settings: Any) -> None:
    settings.SAMBANDH_API_RATE_LIMIT = "off"
    client, _token = token_client(owner)
    for _ in range(5):
        answer = client.get("/contacts")
        assert answer.status_code == 200
        assert not answer.has_header("RateLimit-Limit")


def test_requests_at_once_never_share_the_last_slot(clock: Clock) -> None:
    rate = Rate(limit=5, period=60)
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def one() -> None:
        start.wait()
        state = ratelimit.hit("token:race", rate)
        with lock:
            results.append(state.allowed)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True] * 5


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/minute", Rate(600, 60)),
        ("100/10s", Rate(100, 10)),
        ("5000 / hour", Rate(5000, 3600)),
        ("2/days", Rate(2, 86400)),
        ("off", None),
        ("0/minute", None),
        ("", None),
    ],
)
def test_rates_are_read_from_text(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["600", "600/fortnight", "x/minute", "10/0s"])
def test_a_malformed_rate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="."):
        parse_rate(text)


def test_every_authenticated_operation_documents_the_429() -> None:
    schema = api.get_openapi_schema()
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if path != "/api/v1/health" and 429 not in {int(s) for s in operation["responses"]}
    ]
    assert missing == []


def test_an_administrator_gives_a_token_its_own_limit_in_the_admin(
    owner: User, admin: User, client: Client
) -> None:
    _client, token = token_client(owner)
    client.force_login(admin)
    url = f"/admin/core/apitoken/{token.pk}/change/"
    refused = client.post(url, {"rate_limit": "lots"})
    assert refused.status_code == 200
    assert "Enter a rate like 600/minute (second, minute, hour or day)." in refused.text
    token.refresh_from_db()
    assert token.rate_limit == ""
    assert client.post(url, {"rate_limit": "1200/minute"}).status_code == 302
    token.refresh_from_db()
    assert token.rate_limit == "1200/minute"
