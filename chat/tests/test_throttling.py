"""Chat's own limits: messages per user a minute (page and API share one count, per plan) and new
conversations per user a minute. The refusal is a 429 the page shows as it is, with when to retry.

Messages counted here are mostly empty ones (refused with a 400 after the count), so no reply is
written: the limit is checked before anything else, and that is what these tests measure.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import create_api_key
from chat.models import ChatModel, Conversation, Message
from credits.models import CreditAccount, Plan, ThrottleRecord, ThrottleScope, Tier
from credits.services import get_account

# 20 seconds into a minute: the window resets in 40.
START = datetime(2026, 11, 30, 10, 0, 20, tzinfo=UTC)
TOO_FAST = "You're sending messages too fast. Try again in 40 seconds."


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def free_messages(db: None) -> int:
    """The Free plan allows 2 chat messages a minute in these tests."""
    Plan.objects.filter(tier=Tier.FREE).update(chat_messages_per_minute=2)
    return 2


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def api_for(user: User) -> APIClient:
    _key, secret = create_api_key(user=user, name="Partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_page_passes_exactly_the_plans_messages_then_says_when_to_retry(
    client: Client,
    alice: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    signed_in(client, alice)
    url = f"/chat/{conversation.pk}/messages/"
    for remaining in (1, 0):
        response = client.post(url, {"content": ""})
        assert response.json()["error"] == "empty_message"  # past the limit, refused for itself
        assert response.headers["RateLimit-Remaining"] == str(remaining)

    response = client.post(url, {"content": "Hi"})

    assert response.status_code == 429
    assert response.json() == {"error": "throttled", "detail": TOO_FAST}
    assert response.headers["Retry-After"] == "40"
    assert response.headers["RateLimit-Limit"] == "2"
    assert not Message.objects.filter(conversation=conversation).exists()


def test_the_page_says_it_in_spanish(
    client: Client,
    alice: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    alice.language = "es"
    alice.save()
    signed_in(client, alice)
    url = f"/chat/{conversation.pk}/messages/"
    for _ in range(free_messages):
        client.post(url, {"content": ""})

    response = client.post(url, {"content": "Hola"})

    assert response.status_code == 429
    assert (
        response.json()["detail"]
        == "Estás enviando mensajes demasiado rápido. Vuelve a intentarlo en 40 segundos."
    )


def test_starting_a_conversation_and_regenerating_count_as_messages(
    client: Client,
    alice: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    signed_in(client, alice)
    client.post("/chat/messages/", {"content": ""})
    client.post(f"/chat/{conversation.pk}/regenerate/", {})

    assert client.post("/chat/messages/", {"content": "Hi"}).status_code == 429
    assert client.post(f"/chat/{conversation.pk}/regenerate/", {}).status_code == 429
    assert Conversation.objects.filter(user=alice).count() == 1


def test_after_the_window_the_page_passes_again(
    client: Client,
    alice: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    signed_in(client, alice)
    url = f"/chat/{conversation.pk}/messages/"
    for _ in range(free_messages + 1):
        client.post(url, {"content": ""})
    clock.shift(40)

    response = client.post(url, {"content": ""})

    assert response.status_code == 400
    assert response.headers["RateLimit-Remaining"] == "1"


def test_the_page_and_the_api_share_one_count(
    client: Client,
    alice: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    signed_in(client, alice)
    for _ in range(free_messages):
        client.post(f"/chat/{conversation.pk}/messages/", {"content": ""})

    response = api_for(alice).post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"content": "Hi"}, format="json"
    )

    assert response.status_code == 429
    assert response.json() == {"error": "throttled", "detail": TOO_FAST}
    assert response.headers["Retry-After"] == "40"
    assert not Message.objects.filter(conversation=conversation).exists()


def test_the_api_refuses_a_first_message_past_the_limit_and_leaves_no_conversation(
    client: Client,
    alice: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    signed_in(client, alice)
    for _ in range(free_messages):
        client.post(f"/chat/{conversation.pk}/messages/", {"content": ""})

    response = api_for(alice).post("/api/v1/conversations/", {"content": "Hi"}, format="json")

    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert Conversation.objects.filter(user=alice).count() == 1


def test_each_plan_has_its_own_message_limit(
    client: Client,
    alice: User,
    bob: User,
    local_model: ChatModel,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    Plan.objects.filter(tier=Tier.PRO).update(chat_messages_per_minute=4)
    get_account(bob)
    CreditAccount.objects.filter(user=bob).update(plan=Plan.objects.get(tier=Tier.PRO))

    def statuses(user: User) -> list[int]:
        signed_in(client, user)
        return [client.post("/chat/messages/", {"content": ""}).status_code for _ in range(5)]

    assert statuses(alice) == [400, 400, 429, 429, 429]
    assert statuses(bob) == [400, 400, 400, 400, 429]


def test_charlie_cannot_spend_alices_messages(
    client: Client,
    alice: User,
    charlie: User,
    conversation: Conversation,
    free_messages: int,
    clock: time_machine.Traveller,
) -> None:
    signed_in(client, charlie)
    for _ in range(5):
        client.post("/chat/messages/", {"content": ""})
        # Another person's conversation is a 404, and counts against the sender only.
        client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi"})

    signed_in(client, alice)
    response = client.post(f"/chat/{conversation.pk}/messages/", {"content": ""})

    assert response.status_code == 400
    assert response.headers["RateLimit-Remaining"] == "1"
    assert ThrottleRecord.objects.get().user == charlie


@override_settings(THROTTLE_CONVERSATIONS_PER_MINUTE=2)
def test_new_empty_conversations_are_limited_too(
    alice: User, local_model: ChatModel, clock: time_machine.Traveller
) -> None:
    api = api_for(alice)
    assert [api.post("/api/v1/conversations/", {}, format="json").status_code for _ in range(2)] == [201, 201]

    response = api.post("/api/v1/conversations/", {}, format="json")

    assert response.status_code == 429
    assert response.json() == {
        "error": "throttled",
        "detail": "You're starting conversations too fast. Try again in 40 seconds.",
    }
    assert response.headers["Retry-After"] == "40"
    assert Conversation.objects.filter(user=alice).count() == 2
    record = ThrottleRecord.objects.get()
    assert (record.scope, record.user, record.limit) == (ThrottleScope.CONVERSATIONS, alice, 2)

    clock.shift(40)
    assert api.post("/api/v1/conversations/", {}, format="json").status_code == 201


@override_settings(THROTTLE_CONVERSATIONS_PER_MINUTE=1)
def test_the_page_and_the_api_share_the_new_conversation_count(
    client: Client, alice: User, local_model: ChatModel, clock: time_machine.Traveller
) -> None:
    assert api_for(alice).post("/api/v1/conversations/", {}, format="json").status_code == 201
    signed_in(client, alice)

    response = client.post("/chat/messages/", {"content": "Hi"})

    assert response.status_code == 429
    assert response.json()["detail"] == "You're starting conversations too fast. Try again in 40 seconds."
