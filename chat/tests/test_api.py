"""The partner API for conversations: API-key access, the reply as JSON or SSE, the same errors."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import create_api_key
from chat import services
from chat.models import ChatModel, Conversation, Message, MessageStatus
from chat.tests.conftest import TEST_REPLY_TOKENS, read_stream, sse_events
from credits import services as credits


@pytest.fixture
def api(alice) -> APIClient:
    _key, secret = create_api_key(user=alice, name="Partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_it_needs_an_api_key(client, local_model):
    response = client.get("/api/v1/conversations/")
    assert response.status_code == 401


def test_create_list_and_read_conversations(api, alice, bob, local_model):
    response = api.post("/api/v1/conversations/", {"title": "Release notes"}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["title"] == "Release notes"
    assert created["model"] == local_model.pk
    Conversation.objects.create(user=bob, title="Bob's")
    listing = api.get("/api/v1/conversations/").json()
    assert listing["count"] == 1
    assert listing["results"][0]["id"] == created["id"]
    assert api.get("/api/v1/conversations/", {"q": "release"}).json()["count"] == 1
    assert api.get("/api/v1/conversations/", {"q": "nothing"}).json()["count"] == 0
    detail = api.get(f"/api/v1/conversations/{created['id']}/").json()
    assert detail["messages"] == []


def test_a_model_the_caller_may_not_pick_is_a_400(api, local_model):
    retired = ChatModel.objects.create(name="Retired", is_active=False)
    response = api.post("/api/v1/conversations/", {"model": retired.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "model_not_allowed"


def test_another_persons_conversation_is_a_404(api, bob, local_model):
    theirs = services.start_conversation(user=bob)
    assert api.get(f"/api/v1/conversations/{theirs.pk}/").status_code == 404
    response = api.post(f"/api/v1/conversations/{theirs.pk}/messages/", {"content": "Hi"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    # A malformed body doesn't turn it into a 400 that would tell the conversation exists.
    response = api.post(f"/api/v1/conversations/{theirs.pk}/messages/", {"model": "x"}, format="json")
    assert response.status_code == 404
    assert not theirs.messages.exists()


def test_a_malformed_body_to_ones_own_conversation_is_a_400(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"content": "Hi", "model": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "model" in response.json()["fields"]
    assert not conversation.messages.exists()


def test_a_message_gets_the_finished_reply_as_json(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    before = credits.get_account(alice).balance
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"content": "Hi"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    reply = body["reply"]
    assert reply["role"] == "assistant"
    assert reply["status"] == "complete"
    assert 1 <= reply["completion_tokens"] <= TEST_REPLY_TOKENS
    assert body["balance"] == before - reply["credits_charged"]
    assert Message.objects.get(pk=reply["id"]).content == reply["content"]
    detail = api.get(f"/api/v1/conversations/{conversation.pk}/").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]


def test_a_message_streams_when_the_caller_asks_for_events(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"content": "Hi"},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = sse_events(read_stream(response))
    assert events[0][0] == "start"
    assert events[-1][0] == "done"
    assert {name for name, _ in events[1:-1]} == {"token"}
    assert events[-1][1]["status"] == MessageStatus.COMPLETE


def test_stream_true_in_the_body_also_streams(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"content": "Hi", "stream": True}, format="json"
    )
    assert response["Content-Type"].startswith("text/event-stream")
    assert sse_events(read_stream(response))[-1][0] == "done"


def test_too_few_credits_is_a_402_with_the_reason(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    credits.debit(
        user=alice, action_type="chat", amount=credits.get_account(alice).balance, idempotency_key="all"
    )
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"content": "Hi"}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["error"] == "insufficient_credits"
    assert response.json()["detail"]
    assert not conversation.messages.exists()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"content": ""}, "empty_message"),
        ({}, "empty_message"),
        ({"content": "x" * 16_001}, "message_too_long"),
    ],
)
def test_bad_messages_are_400s_with_the_reason(api, alice, local_model, payload, code):
    conversation = services.start_conversation(user=alice)
    response = api.post(f"/api/v1/conversations/{conversation.pk}/messages/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert not conversation.messages.exists()


def test_a_message_while_a_reply_is_written_is_a_409(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    services.prepare_reply(user=alice, conversation=conversation, content="First")
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"content": "Hi"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == "reply_in_progress"


def test_a_refusal_to_a_caller_asking_for_events_is_one_error_event(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"content": ""},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 400
    assert sse_events(response.content) == [
        ("error", {"error": "empty_message", "detail": "Write a message first."})
    ]


def test_charlie_asking_for_events_on_alices_conversation_gets_one_not_found_event(
    alice, charlie, local_model
):
    conversation = services.start_conversation(user=alice)
    client = APIClient()
    client.force_authenticate(charlie)
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"content": "Hi"},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 404
    assert sse_events(response.content) == [
        ("error", {"error": "not_found", "detail": "No such conversation."})
    ]
    assert not conversation.messages.exists()


def test_a_conversation_can_start_with_its_first_message(api, alice, local_model):
    response = api.post(
        "/api/v1/conversations/", {"content": "**Release** notes, please", "title": "Notes"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get(user=alice)
    assert body["conversation"] == str(conversation.pk)
    assert body["reply"]["status"] == MessageStatus.COMPLETE
    assert conversation.title == "Notes"
    assert conversation.messages.count() == 2
    streamed = api.post("/api/v1/conversations/", {"content": "Again", "stream": True}, format="json")
    events = sse_events(read_stream(streamed))
    assert events[0][0] == "start"
    assert Conversation.objects.get(pk=events[0][1]["conversation"]).title == "Again"
    assert events[-1][0] == "done"


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("empty", 400, "empty_message"),
        ("credits", 402, "insufficient_credits"),
        ("cap", 402, "spending_cap_reached"),
        ("model", 400, "model_not_allowed"),
    ],
)
def test_a_refused_first_message_leaves_no_conversation(api, alice, local_model, setup, status, code):
    payload = {"content": "Hi"}
    if setup == "empty":
        payload["content"] = " "
    elif setup == "credits":
        balance = credits.get_account(alice).balance
        credits.debit(user=alice, action_type="chat", amount=balance, idempotency_key="all")
    elif setup == "cap":
        credits.debit(user=alice, action_type="chat", amount=1, idempotency_key="spent")
        credits.set_monthly_cap(user=alice, cap=1)
    else:
        payload["model"] = ChatModel.objects.create(name="Retired", is_active=False).pk
    response = api.post("/api/v1/conversations/", payload, format="json")
    assert response.status_code == status
    assert response.json()["error"] == code
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_refusals_name_the_page_that_fixes_them(api, alice, local_model):
    conversation = services.start_conversation(user=alice)
    credits.debit(user=alice, action_type="chat", amount=1, idempotency_key="spent")
    credits.set_monthly_cap(user=alice, cap=1)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    body = api.post(url, {"content": "Hi"}, format="json").json()
    assert body["fix_url"] == "http://testserver/settings/usage/#spending-cap"
    assert body["fix_label"] == "Raise the cap"
    credits.set_monthly_cap(user=alice, cap=None)
    balance = credits.get_account(alice).balance
    credits.debit(user=alice, action_type="chat", amount=balance, idempotency_key="all")
    body = api.post(url, {"content": "Hi"}, format="json").json()
    assert body["error"] == "insufficient_credits"
    assert body["fix_url"] == "http://testserver/credits/top-up/"
    assert "fix_url" not in api.post(url, {"content": ""}, format="json").json()


def test_starting_with_a_message_touches_only_the_callers_own(api, alice, charlie, local_model):
    _key, secret = create_api_key(user=charlie, name="Charlie's")
    theirs = APIClient()
    theirs.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    mine = services.start_conversation(user=alice)
    response = theirs.post("/api/v1/conversations/", {"content": "Hi"}, format="json")
    assert response.status_code == 201
    assert Conversation.objects.get(pk=response.json()["conversation"]).user == charlie
    assert not mine.messages.exists()
    assert APIClient().post("/api/v1/conversations/", {"content": "Hi"}, format="json").status_code == 401


# Found by schemathesis (tests/test_schemathesis.py): DRF's ?format=sse picked the event renderer,
# which then wrapped JSON answers in a 200/201 "error" event.


def test_format_sse_streams_a_message_like_accept_does(api, alice, fake_model):
    model = fake_model("ok")
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    response = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/?format=sse", {"content": "Hi"}, format="json"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = sse_events(read_stream(response))
    assert [events[0][0], events[-1][0]] == ["start", "done"]
    assert events[-1][1]["content"] == "Hello from the fake provider."


def test_the_conversation_list_is_json_only(api, alice, local_model):
    services.start_conversation(user=alice)
    asked_for_events = api.get("/api/v1/conversations/", HTTP_ACCEPT="text/event-stream")
    assert asked_for_events.status_code == 406
    assert asked_for_events.json()["error"] == "not_acceptable"
    by_format = api.get("/api/v1/conversations/?format=sse")
    assert by_format.status_code == 404
    assert by_format.json()["error"] == "not_found"
    assert api.get("/api/v1/conversations/", HTTP_ACCEPT="application/json").json()["count"] == 1


@pytest.mark.parametrize("how", [{"HTTP_ACCEPT": "text/event-stream"}, {"path": "?format=sse"}])
def test_a_new_empty_conversation_is_json_even_when_events_are_asked_for(api, alice, local_model, how):
    how = dict(how)
    response = api.post(
        f"/api/v1/conversations/{how.pop('path', '')}", {"title": "Plans"}, format="json", **how
    )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["id"] == str(Conversation.objects.get(user=alice, title="Plans").pk)
