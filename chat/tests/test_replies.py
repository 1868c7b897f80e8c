"""Replies end to end: real streaming from the local llama.cpp server, and every way one can end.

The tests assert the protocol and the bookkeeping (events, statuses, tokens, credits, the ledger),
never the words a model picks. Failures a local server never shows (429, 5xx, a cut connection, a
stall) come from the fake provider in fake_llm.py, which speaks the same protocol.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from chat import services
from chat.errors import ConversationNotFound, NothingToRegenerate, ReplyInProgress
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role
from chat.services import llm
from chat.tests.conftest import TEST_REPLY_TOKENS, read_stream, sse_events
from credits import services as credits
from credits.errors import InsufficientCredits, SpendingCapReached
from credits.models import LedgerEntry, Reservation, ReservationStatus
from preferences.services import compose_system_prompt, update_preferences


def send(client, conversation: Conversation, content: str = "Say hello.", **extra) -> list[tuple[str, dict]]:
    response = client.post(f"/chat/{conversation.pk}/messages/", {"content": content, **extra})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache"
    return sse_events(read_stream(response))


def run(prepared: services.PreparedReply) -> tuple[list[str], services.Outcome]:
    """Stream a prepared reply to its end: the tokens and the outcome."""

    async def consume():
        tokens, outcome = [], None
        async for kind, value in services.stream_reply(prepared):
            if kind == "token":
                tokens.append(value)
            else:
                outcome = value
        return tokens, outcome

    return async_to_sync(consume)()


def balance(user) -> int:
    return credits.get_account(user).balance


def test_a_reply_streams_token_by_token_from_the_local_model(client, alice, conversation, local_model):
    client.force_login(alice)
    before = balance(alice)
    events = send(client, conversation, "Say hello in five words.")

    names = [name for name, _ in events]
    assert names[0] == "start"
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"token"}
    assert len(names) - 2 >= 1
    start, done = events[0][1], events[-1][1]
    tokens = "".join(data["t"] for name, data in events if name == "token")

    reply = Message.objects.get(pk=start["reply"])
    user_message = Message.objects.get(pk=start["user_message"]["id"])
    assert user_message.role == Role.USER
    assert user_message.content == "Say hello in five words."
    assert reply.role == Role.ASSISTANT
    assert reply.status == MessageStatus.COMPLETE
    assert reply.content == tokens == done["content"]
    assert done["status"] == "complete"
    # llama.cpp sends no usage when streaming: one token per piece, at most the model's limit.
    assert 1 <= reply.completion_tokens <= TEST_REPLY_TOKENS
    assert reply.completion_tokens == len(events) - 2
    assert reply.prompt_tokens > 0
    expected = local_model.cost(prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
    assert reply.credits_charged == done["credits_charged"] == expected
    assert balance(alice) == done["balance"] == before - expected
    reservation = Reservation.objects.get(idempotency_key=f"chat:{reply.pk}")
    assert reservation.status == ReservationStatus.SETTLED
    assert reservation.charged == expected
    # The ledger still sums to the balance: the reservation, then the unused part back.
    assert sum(LedgerEntry.objects.filter(user=alice).values_list("amount", flat=True)) == balance(alice)
    conversation.refresh_from_db()
    assert conversation.title == "Say hello in five words."


def test_the_system_prompt_and_history_go_first_in_the_users_language(alice, fake_model, fake_llm):
    update_preferences(user=alice, language="es", custom_system_prompt="Answer like a pirate.")
    model = fake_model("ok")
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    run(services.prepare_reply(user=alice, conversation=conversation, content="First question"))
    run(services.prepare_reply(user=alice, conversation=conversation, content="Second question"))

    sent = fake_llm.requests[-1]
    assert sent["model"] == "ok"
    assert sent["stream"] is True
    assert sent["max_tokens"] == model.max_output_tokens
    assert sent["messages"][0] == {"role": "system", "content": compose_system_prompt(user=alice)}
    assert "Answer like a pirate." in sent["messages"][0]["content"]
    # The whole prompt is in the person's language and ends asking for replies in it.
    assert sent["messages"][0]["content"].rstrip().endswith("Responde siempre en español.")
    assert [m["role"] for m in sent["messages"][1:]] == ["user", "assistant", "user"]
    assert sent["messages"][1]["content"] == "First question"
    assert sent["messages"][2]["content"] == "Hello from the fake provider."
    assert sent["messages"][3]["content"] == "Second question"


def test_the_providers_usage_is_what_gets_charged(alice, fake_model):
    model = fake_model("ok", prompt_price_per_1k=100, completion_price_per_1k=200)
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    before = balance(alice)
    tokens, outcome = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    assert "".join(tokens) == "Hello from the fake provider."
    assert (outcome.prompt_tokens, outcome.completion_tokens) == (21, 5)  # the fake's usage chunk
    assert outcome.credits_charged == 4  # (21 * 100 + 5 * 200) / 1000 = 3.1, rounded up
    assert balance(alice) == before - 4


def test_history_that_does_not_fit_is_trimmed_oldest_first(alice, fake_model, fake_llm):
    model = fake_model("ok", context_window=400, max_output_tokens=100)
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    for index in range(4):
        run(services.prepare_reply(user=alice, conversation=conversation, content=f"{index} " + "x" * 240))
    sent = fake_llm.requests[-1]["messages"]
    assert sent[0]["role"] == "system"
    assert sent[-1]["content"].startswith("3 ")
    assert not any(m["content"].startswith("0 ") for m in sent)
    assert sent[1]["role"] == "user"


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [("rate-limited", llm.RATE_LIMITED), ("server-error", llm.PROVIDER_ERROR)],
)
def test_a_provider_error_fails_the_reply_and_charges_nothing(alice, fake_model, behaviour, code):
    model = fake_model(behaviour)
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    before = balance(alice)
    tokens, outcome = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    assert tokens == []
    assert outcome.status == MessageStatus.FAILED
    assert outcome.error_code == code
    assert outcome.error
    assert outcome.credits_charged == 0
    assert balance(alice) == before
    reply = Message.objects.get(pk=outcome.reply_id)
    assert reply.status == MessageStatus.FAILED
    assert reply.error_code == code


def test_a_model_server_that_is_down_fails_the_reply_with_a_clear_message(alice, db):
    model = ChatModel.objects.create(name="Down", base_url="http://127.0.0.1:9/v1", model="m")
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    before = balance(alice)
    _tokens, outcome = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    assert outcome.status == MessageStatus.FAILED
    assert outcome.error_code == llm.MODEL_UNAVAILABLE
    assert "isn't answering" in outcome.error
    assert balance(alice) == before


def test_a_broken_stream_keeps_the_text_and_charges_only_what_arrived(alice, fake_model):
    model = fake_model("broken", prompt_price_per_1k=1000, completion_price_per_1k=1000)
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    before = balance(alice)
    tokens, outcome = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    assert "".join(tokens) == "Half a reply"
    assert outcome.status == MessageStatus.FAILED
    assert outcome.error_code == llm.BROKEN_STREAM
    # Two pieces reached the person: two completion tokens at 1,000 per 1,000; the prompt is free.
    assert outcome.completion_tokens == 2
    assert outcome.credits_charged == 2
    assert balance(alice) == before - 2
    assert Message.objects.get(pk=outcome.reply_id).content == "Half a reply"


def test_a_stalled_stream_times_out(alice, fake_model, fake_llm, settings):
    settings.LLM_TIMEOUT = 0.3
    fake_llm.stall_seconds = 2
    model = fake_model("stall")
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    tokens, outcome = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    assert tokens == ["Wait"]
    assert outcome.status == MessageStatus.FAILED
    assert outcome.error_code == llm.TIMEOUT


def _stream_then_stop(
    prepared: services.PreparedReply, user, *, after: int
) -> tuple[list[str], services.Outcome]:
    async def consume():
        tokens, outcome = [], None
        async for kind, value in services.stream_reply(prepared):
            if kind == "token":
                tokens.append(value)
                if len(tokens) == after:
                    await sync_to_async(services.request_stop)(user=user, reply_id=prepared.reply_id)
            else:
                outcome = value
        return tokens, outcome

    return async_to_sync(consume)()


def test_a_stopped_reply_keeps_what_was_written_and_is_charged_for_it(alice, fake_model, fake_llm):
    model = fake_model("slow", max_output_tokens=200, prompt_price_per_1k=1000, completion_price_per_1k=1000)
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    before = balance(alice)
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Write a lot")
    tokens, outcome = _stream_then_stop(prepared, alice, after=3)

    assert outcome.status == MessageStatus.STOPPED
    assert 3 <= len(tokens) < 200  # a stop is seen within one poll, a few pieces at most
    assert outcome.content == "".join(tokens)
    assert outcome.completion_tokens == len(tokens)
    assert outcome.credits_charged == prepared.prompt_estimate + len(tokens)
    assert balance(alice) == before - outcome.credits_charged
    assert Message.objects.get(pk=prepared.reply_id).status == MessageStatus.STOPPED


def test_stopping_the_local_model_mid_reply(alice, local_model):
    local_model.max_output_tokens = 300
    local_model.save()
    conversation = services.start_conversation(user=alice)
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Count from 1 to 500.")
    tokens, outcome = _stream_then_stop(prepared, alice, after=1)
    assert outcome.status == MessageStatus.STOPPED
    assert 1 <= outcome.completion_tokens < 300
    assert outcome.content == "".join(tokens)


def test_a_person_leaving_mid_reply_counts_as_a_stop(alice, fake_model):
    model = fake_model("slow", max_output_tokens=200)
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Write a lot")

    async def leave_after_two_tokens():
        stream = services.stream_reply(prepared)
        await anext(stream)
        await anext(stream)
        await stream.aclose()  # what Django does when the browser closes the connection

    async_to_sync(leave_after_two_tokens)()
    reply = Message.objects.get(pk=prepared.reply_id)
    assert reply.status == MessageStatus.STOPPED
    assert reply.completion_tokens == 2
    assert Reservation.objects.get(idempotency_key=f"chat:{reply.pk}").status == ReservationStatus.SETTLED


def test_with_too_few_credits_the_model_is_not_called_and_nothing_is_written(alice, fake_model, fake_llm):
    model = fake_model("ok")
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    credits.debit(user=alice, action_type="chat", amount=balance(alice), idempotency_key="spend-all")
    entries = LedgerEntry.objects.count()
    with pytest.raises(InsufficientCredits):
        services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    assert fake_llm.requests == []
    assert not conversation.messages.exists()
    assert LedgerEntry.objects.count() == entries
    conversation.refresh_from_db()
    assert conversation.title == ""


def test_the_spending_cap_stops_a_reply_before_it_starts(alice, fake_model, fake_llm):
    model = fake_model("ok")
    conversation = services.start_conversation(user=alice, model_id=model.pk)
    credits.set_monthly_cap(user=alice, cap=1)
    credits.debit(user=alice, action_type="chat", amount=1, idempotency_key="spent-to-cap")
    with pytest.raises(SpendingCapReached):
        services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    assert fake_llm.requests == []
    assert not conversation.messages.exists()


def test_a_message_to_someone_elses_conversation_is_a_404_and_writes_nothing(alice, bob, fake_model):
    theirs = services.start_conversation(user=bob, model_id=fake_model("ok").pk)
    entries = LedgerEntry.objects.count()
    for conversation in (theirs, theirs.pk, str(theirs.pk)):
        with pytest.raises(ConversationNotFound):
            services.prepare_reply(user=alice, conversation=conversation, content="Hi")
        # Checked before the message: an empty one is a 404 too, not a 400.
        with pytest.raises(ConversationNotFound):
            services.prepare_reply(user=alice, conversation=conversation, content="")
    assert not theirs.messages.exists()
    assert LedgerEntry.objects.count() == entries


def test_preparing_a_reply_takes_a_fixed_handful_of_queries(
    transactional_db, alice, fake_model, django_assert_num_queries
):
    """It is on the way to the first token: the conversation and its model are one query, the
    history another. The help-center search runs meanwhile on another thread's connection (outside
    a test's transaction, as in production) and is not counted here."""
    conversation = services.start_conversation(user=alice, model_id=fake_model("ok").pk)
    run(services.prepare_reply(user=alice, conversation=conversation, content="One"))
    compose_system_prompt(user=alice)  # opens the preferences row, once in a person's life
    # The preferences and the platform prompt; then, in the transaction (a savepoint in a test's):
    # the conversation and its model (locked), the history, the person's message, the reply, the
    # conversation's title, the reservation's debit (a prepared statement this count doesn't see, in
    # an empty-looking savepoint) and its row (in a savepoint too).
    with django_assert_num_queries(14):
        services.prepare_reply(user=alice, conversation=conversation, content="Two")


def test_a_second_message_waits_for_the_reply_being_written(alice, fake_model):
    conversation = services.start_conversation(user=alice, model_id=fake_model("ok").pk)
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="One")
    with pytest.raises(ReplyInProgress):
        services.prepare_reply(user=alice, conversation=conversation, content="Two")
    run(prepared)
    run(services.prepare_reply(user=alice, conversation=conversation, content="Two"))
    assert conversation.messages.count() == 4


def test_regenerate_replaces_the_last_reply(alice, fake_model, fake_llm):
    conversation = services.start_conversation(user=alice, model_id=fake_model("ok").pk)
    _tokens, first = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    _tokens, second = run(services.prepare_reply(user=alice, conversation=conversation, regenerate=True))
    assert not Message.objects.filter(pk=first.reply_id).exists()
    assert [m.role for m in conversation.messages.all()] == [Role.USER, Role.ASSISTANT]
    assert conversation.messages.last().pk == second.reply_id
    # The regenerated reply saw the person's message, not the reply it replaces.
    assert [m["role"] for m in fake_llm.requests[-1]["messages"]] == ["system", "user"]


def test_retry_after_a_failure_answers_the_same_message(alice, fake_model):
    failing = fake_model("server-error")
    conversation = services.start_conversation(user=alice, model_id=failing.pk)
    _tokens, failed = run(services.prepare_reply(user=alice, conversation=conversation, content="Hi"))
    assert failed.status == MessageStatus.FAILED
    working = fake_model("ok")
    _tokens, retried = run(
        services.prepare_reply(user=alice, conversation=conversation, regenerate=True, model_id=working.pk)
    )
    assert retried.status == MessageStatus.COMPLETE
    assert [m.status for m in conversation.messages.all()] == [MessageStatus.COMPLETE, MessageStatus.COMPLETE]


def test_there_is_nothing_to_regenerate_in_an_empty_conversation(alice, conversation):
    with pytest.raises(NothingToRegenerate):
        services.prepare_reply(user=alice, conversation=conversation, regenerate=True)


def test_finishing_twice_counts_once(alice, fake_model):
    conversation = services.start_conversation(user=alice, model_id=fake_model("ok").pk)
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    first = services.finish_reply(
        prepared, content="abc", status=MessageStatus.COMPLETE, prompt_tokens=10, completion_tokens=3
    )
    again = services.finish_reply(
        prepared, content="other", status=MessageStatus.FAILED, prompt_tokens=10, completion_tokens=0
    )
    assert again.status == MessageStatus.COMPLETE
    assert again.content == "abc"
    assert again.credits_charged == first.credits_charged
    assert sum(LedgerEntry.objects.filter(user=alice).values_list("amount", flat=True)) == balance(alice)


def test_replies_abandoned_by_a_dead_process_are_failed_and_their_credits_returned(alice, fake_model):
    conversation = services.start_conversation(user=alice, model_id=fake_model("ok").pk)
    before = balance(alice)
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    assert balance(alice) < before  # the estimate is held
    assert services.fail_abandoned_replies() == 0  # still young
    Message.objects.filter(pk=prepared.reply_id).update(created_at=timezone.now() - timedelta(hours=1))
    assert services.fail_abandoned_replies() == 1
    reply = Message.objects.get(pk=prepared.reply_id)
    assert reply.status == MessageStatus.FAILED
    assert reply.error_code == "interrupted"
    assert balance(alice) == before
    # The conversation is free again.
    run(services.prepare_reply(user=alice, conversation=conversation, content="Again"))
