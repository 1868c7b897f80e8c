"""Bearer API keys on the partner API: who gets in, who gets a 401, and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, User

pytestmark = pytest.mark.django_db
CREDITS = "/api/v1/credits/"
KEYS = "/api/v1/api-keys/"


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


@pytest.fixture
def alice_key(alice: User) -> tuple[ApiKey, str]:
    return services.create_api_key(user=alice, name="CI server")


def test_a_key_authenticates_on_an_existing_endpoint(client: Client, alice_key: tuple[ApiKey, str]) -> None:
    _key, plaintext = alice_key
    response = client.get(CREDITS, headers=bearer(plaintext))
    assert response.status_code == 200
    assert response.json()["balance"] == 500  # alice's account, opened by this read
    assert "_auth_user_id" not in client.session  # a key authenticates the request, it opens no session


def test_the_bearer_keyword_is_case_insensitive(client: Client, alice_key: tuple[ApiKey, str]) -> None:
    assert client.get(CREDITS, headers={"authorization": f"bearer {alice_key[1]}"}).status_code == 200


def test_without_a_bearer_header_the_session_still_works(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(CREDITS).status_code == 200


def test_without_any_credentials_it_is_a_401_asking_for_a_bearer_key(client: Client) -> None:
    response = client.get(CREDITS)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_another_scheme_is_not_taken_for_a_key(client: Client) -> None:
    response = client.get(CREDITS, headers={"authorization": "Basic YWxpY2U6cHc="})
    assert response.status_code == 401
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer not-a-key",
        "Bearer jv_abc_short",
        "Bearer sk_abcdefgh_" + "x" * 43,
        "Bearer jv_ABCDEFGH_" + "x" * 43,  # the prefix is lowercase letters and digits
        "Bearer jv_abcdefgh_" + "x" * 44,
        "Bearer jv_abcdefgh_" + "x" * 42 + "!",
    ],
)
def test_a_malformed_key_is_a_401_saying_so(client: Client, alice: User, header: str) -> None:
    response = client.get(CREDITS, headers={"authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "malformed"
    assert response.json()["detail"].startswith("Malformed API key.")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_malformed_key_wins_over_a_valid_session(client: Client, alice: User) -> None:
    # A request that presents a key is judged by that key: a bad one is never rescued by cookies.
    client.force_login(alice)
    assert client.get(CREDITS, headers=bearer("nope")).status_code == 401


def test_an_unknown_key_is_a_401(client: Client, alice_key: tuple[ApiKey, str]) -> None:
    key, plaintext = alice_key
    forged = key.prefix + "_" + "A" * 43  # a real prefix with the wrong secret
    for raw in (forged, "jv_zzzzzzzz_" + plaintext[-43:]):
        response = client.get(CREDITS, headers=bearer(raw))
        assert response.status_code == 401
        assert response.json() == {"error": "unknown", "detail": "This API key is not valid."}


def test_a_revoked_key_is_refused_on_the_next_request(client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="laptop")
    assert client.get(CREDITS, headers=bearer(plaintext)).status_code == 200
    services.revoke_api_key(user=alice, key_id=key.pk)
    response = client.get(CREDITS, headers=bearer(plaintext))
    assert response.status_code == 401
    assert response.json() == {"error": "revoked", "detail": "This API key has been revoked."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_key_is_a_401_saying_so(client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(
        user=alice, name="short-lived", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert client.get(CREDITS, headers=bearer(plaintext)).status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(CREDITS, headers=bearer(plaintext))
    assert response.status_code == 401
    assert response.json() == {"error": "expired", "detail": "This API key has expired."}


def test_a_deactivated_users_key_is_refused(
    client: Client, alice: User, alice_key: tuple[ApiKey, str]
) -> None:
    alice.is_active = False
    alice.save()
    response = client.get(CREDITS, headers=bearer(alice_key[1]))
    assert response.status_code == 401
    assert response.json() == {
        "error": "inactive",
        "detail": "The account this API key belongs to is deactivated.",
    }


def test_last_used_is_written_at_most_once_a_minute(
    client: Client, alice_key: tuple[ApiKey, str], django_assert_num_queries
) -> None:
    key, plaintext = alice_key
    assert key.last_used_at is None
    client.get(CREDITS, headers=bearer(plaintext))
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    client.get(CREDITS, headers=bearer(plaintext))
    key.refresh_from_db()
    assert key.last_used_at == first  # within the minute: not written again

    # The authentication itself is one read when the stamp is fresh: no write per request.
    from rest_framework.test import APIRequestFactory

    from accounts.authentication import ApiKeyAuthentication

    request = APIRequestFactory().get(CREDITS, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    with django_assert_num_queries(1):
        ApiKeyAuthentication().authenticate(request)

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(CREDITS, headers=bearer(plaintext))
    key.refresh_from_db()
    assert key.last_used_at > first


def test_a_stale_copy_does_not_write_over_a_fresh_stamp(alice_key: tuple[ApiKey, str]) -> None:
    # Two requests that loaded the row before either wrote: only the first one writes.
    key, _plaintext = alice_key
    stale = ApiKey.objects.get(pk=key.pk)
    services.record_api_key_use(key)
    stamped = ApiKey.objects.get(pk=key.pk).last_used_at
    services.record_api_key_use(stale)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == stamped


def test_charlie_cannot_revoke_alices_key_and_hers_still_works(
    client: Client, alice_key: tuple[ApiKey, str], charlie: User
) -> None:
    key, plaintext = alice_key
    _charlie_key, charlie_plaintext = services.create_api_key(user=charlie, name="charlie's")
    response = client.post(f"{KEYS}{key.pk}/revoke/", headers=bearer(charlie_plaintext))
    assert response.status_code == 404
    assert client.get(f"{KEYS}{key.pk}/", headers=bearer(charlie_plaintext)).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert client.get(CREDITS, headers=bearer(plaintext)).status_code == 200


def test_a_key_is_not_taken_from_the_query_string(client: Client, alice_key: tuple[ApiKey, str]) -> None:
    # Query strings end up in logs: a key is only read from the header.
    assert client.get(CREDITS, {"api_key": alice_key[1]}).status_code == 401
