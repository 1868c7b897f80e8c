"""The API's per-plan rate limit: the boundary, the headers, the window, who counts apart, the record.

Time is travelled, never slept: the window is the clock's minute, so each test starts 20 seconds
into one (40 seconds left) and shifts the clock to the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, override_settings
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import ApiKey, User
from credits.models import CreditAccount, Plan, ThrottleRecord, ThrottleScope, Tier
from credits.services import get_account

CREDITS = "/api/v1/credits/"
# 20 seconds into a minute: the window resets in 40.
START = datetime(2026, 11, 30, 10, 0, 20, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def free_limit(db: None) -> int:
    """The Free plan allows 3 API requests a minute in these tests."""
    Plan.objects.filter(tier=Tier.FREE).update(api_requests_per_minute=3)
    return 3


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_for(user: User, name: str = "Script") -> tuple[ApiKey, str]:
    return account_services.create_api_key(user=user, name=name)


def test_exactly_the_limit_passes_each_with_the_limit_headers(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    _key, plaintext = key_for(alice)
    for remaining in (2, 1, 0):
        response = client.get(CREDITS, headers=bearer(plaintext))
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == str(remaining)
        assert response.headers["RateLimit-Reset"] == "40"
        assert response.headers["RateLimit-Policy"] == "3;w=60"
        assert "Retry-After" not in response.headers


def test_one_more_is_a_429_with_retry_after_headers_and_the_error_shape(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    _key, plaintext = key_for(alice)
    for _ in range(free_limit):
        client.get(CREDITS, headers=bearer(plaintext))

    response = client.get(CREDITS, headers=bearer(plaintext))

    assert response.status_code == 429
    assert response.json() == {"error": "throttled", "detail": "Too many requests. Try again in 40 seconds."}
    assert response.headers["Retry-After"] == "40"
    assert response.headers["RateLimit-Limit"] == "3"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Reset"] == "40"


def test_retry_after_counts_down_within_the_window(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    for _ in range(free_limit):
        client.force_login(alice)
        client.get(CREDITS)
    clock.shift(39)

    response = client.get(CREDITS)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["detail"] == "Too many requests. Try again in 1 second."


def test_after_the_window_it_passes_again(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    _key, plaintext = key_for(alice)
    for _ in range(free_limit + 2):  # refused requests count too, and don't stretch the window
        client.get(CREDITS, headers=bearer(plaintext))
    clock.shift(40)

    response = client.get(CREDITS, headers=bearer(plaintext))

    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "2"
    assert response.headers["RateLimit-Reset"] == "60"


def test_each_plan_has_its_own_limit(
    client: Client, alice: User, bob: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    pro = Plan.objects.get(tier=Tier.PRO)
    pro.api_requests_per_minute = 5
    pro.save()
    get_account(bob)
    CreditAccount.objects.filter(user=bob).update(plan=pro)
    _key, alices = key_for(alice)
    _key, bobs = key_for(bob)

    alice_statuses = [client.get(CREDITS, headers=bearer(alices)).status_code for _ in range(6)]
    bob_statuses = [client.get(CREDITS, headers=bearer(bobs)).status_code for _ in range(6)]

    assert alice_statuses == [200, 200, 200, 429, 429, 429]
    assert bob_statuses == [200, 200, 200, 200, 200, 429]


def test_each_key_counts_apart_and_the_session_apart_from_keys(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    _key, first = key_for(alice, "First")
    _key, second = key_for(alice, "Second")
    for _ in range(free_limit):
        client.get(CREDITS, headers=bearer(first))
    assert client.get(CREDITS, headers=bearer(first)).status_code == 429

    assert client.get(CREDITS, headers=bearer(second)).headers["RateLimit-Remaining"] == "2"
    client.force_login(alice)
    session = client.get(CREDITS)
    assert session.status_code == 200
    assert session.headers["RateLimit-Remaining"] == "2"


def test_charlie_cannot_spend_alices_requests(
    client: Client, alice: User, charlie: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    _key, charlies = key_for(charlie)
    _key, alices = key_for(alice)
    for _ in range(10):
        client.get(CREDITS, headers=bearer(charlies))

    response = client.get(CREDITS, headers=bearer(alices))

    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "2"
    assert not ThrottleRecord.objects.filter(user=alice).exists()


def test_the_refusal_speaks_the_callers_language(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    _key, plaintext = key_for(alice)
    for _ in range(free_limit):
        client.get(CREDITS, headers=bearer(plaintext))

    response = client.get(CREDITS, headers={"Accept-Language": "es", **bearer(plaintext)})

    assert response.status_code == 429
    assert response.json() == {
        "error": "throttled",
        "detail": "Demasiadas peticiones. Vuelve a intentarlo en 40 segundos.",
    }


def test_a_refusal_is_recorded_once_a_window_with_the_key_prefix_only(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    key, plaintext = key_for(alice)
    for _ in range(free_limit + 5):
        client.get(CREDITS, headers=bearer(plaintext))

    record = ThrottleRecord.objects.get()
    assert (record.scope, record.user, record.key_prefix, record.limit) == (
        ThrottleScope.API,
        alice,
        key.prefix,
        3,
    )
    assert record.times_limited == 1
    assert plaintext not in record.identity
    assert record.first_limited_at == record.last_limited_at == START

    clock.shift(60)
    for _ in range(free_limit + 1):
        client.get(CREDITS, headers=bearer(plaintext))

    record.refresh_from_db()
    assert record.times_limited == 2
    assert (record.first_limited_at, record.last_limited_at) == (
        START,
        datetime(2026, 11, 30, 10, 1, 20, tzinfo=UTC),
    )


def test_a_user_without_a_credit_account_gets_the_free_plans_limit(
    client: Client, alice: User, free_limit: int, clock: time_machine.Traveller
) -> None:
    assert not CreditAccount.objects.filter(user=alice).exists()
    client.force_login(alice)

    response = client.get("/api/v1/api-keys/")

    assert response.headers["RateLimit-Limit"] == "3"


def test_an_unauthenticated_request_is_a_401_without_limit_headers(client: Client, db: None) -> None:
    # Every endpoint asks for a user: the 401 comes before any counting.
    response = client.get(CREDITS)

    assert response.status_code == 401
    assert "RateLimit-Limit" not in response.headers


class OpenView(APIView):
    """No endpoint of ours is open to anonymous callers yet; this one stands in for the first."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


@override_settings(THROTTLE_ANON_REQUESTS_PER_MINUTE=2)
def test_anonymous_callers_count_per_address(db: None, clock: time_machine.Traveller) -> None:
    factory = APIRequestFactory()
    view = OpenView.as_view()

    def status(address: str) -> int:
        return view(factory.get("/open/", REMOTE_ADDR=address)).status_code

    assert [status("203.0.113.1") for _ in range(3)] == [200, 200, 429]
    assert status("203.0.113.2") == 200
    record = ThrottleRecord.objects.get()
    assert (record.identity, record.ip, record.user, record.limit) == (
        "ip:203.0.113.1",
        "203.0.113.1",
        None,
        2,
    )


@override_settings(THROTTLE_ANON_REQUESTS_PER_MINUTE=2)
@pytest.mark.parametrize("forwarded", ["zz", "1.2.3.4, 5.6.7.8", "x" * 200])
def test_a_made_up_forwarded_for_neither_dodges_the_limit_nor_breaks_it(
    db: None, clock: time_machine.Traveller, forwarded: str
) -> None:
    # DRF trusted X-Forwarded-For with no proxy configured: a new value per request dodged the
    # limit, and one that wasn't an address was a 500 when the refusal was recorded.
    factory = APIRequestFactory()
    view = OpenView.as_view()
    statuses = [
        view(
            factory.get("/open/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"{forwarded}{n}")
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    record = ThrottleRecord.objects.get()
    assert (record.identity, record.ip) == ("ip:203.0.113.9", "203.0.113.9")


@override_settings(THROTTLE_ANON_REQUESTS_PER_MINUTE=2)
def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    db: None, clock: time_machine.Traveller, settings
) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        factory = APIRequestFactory()
        view = OpenView.as_view()
        for garbage in ("not an address", "203.0.113.7"):
            statuses = [
                view(factory.get("/open/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=garbage)).status_code
                for _ in range(3)
            ]
            assert statuses == [200, 200, 429]
        identities = set(ThrottleRecord.objects.values_list("identity", "ip"))
        assert ("ip:203.0.113.7", "203.0.113.7") in identities
        assert any(identity.startswith("ident:") and ip is None for identity, ip in identities)
    finally:
        settings.REST_FRAMEWORK = {k: v for k, v in settings.REST_FRAMEWORK.items() if k != "NUM_PROXIES"}
        api_settings.reload()
