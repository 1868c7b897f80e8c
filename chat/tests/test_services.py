"""The chat services without a model call: conversations, models, prompts and charges."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from chat import services
from chat.errors import (
    ChatError,
    EmptyMessage,
    MessageTooLong,
    ModelNotAllowed,
    NoModelAvailable,
    TooLongForModel,
)
from chat.models import ChatModel, Conversation, MessageStatus
from chat.services import llm
from chat.services.prompt import build_prompt, estimate_tokens
from chat.services.replies import PreparedReply, charge_for
from chat.tests.factories import ChatModelFactory, ConversationFactory


def test_title_is_the_first_line_cut_at_a_word():
    assert services.title_from("\n\n  How do I   rotate keys?\nMore detail") == "How do I rotate keys?"
    long = "word " * 40
    title = services.title_from(long)
    assert len(title) <= services.conversations.TITLE_MAX_CHARS
    assert title.endswith("…")


def test_a_title_is_the_messages_text_not_its_markdown():
    title = services.title_from("**Deploy** to [Vercel](https://vercel.com) with `npm`")
    assert title == "Deploy to Vercel with npm"
    assert services.title_from("# Heading\n\nBody") == "Heading"
    assert services.title_from("```bash\nls -la\n```") == "ls -la"
    assert services.title_from("![diagram](https://example.com/d.png) explained") == "diagram explained"


@pytest.mark.parametrize("character", ["🇪🇸", "👨\u200d👩\u200d👧\u200d👦", "e\u0301"])
def test_a_title_never_ends_in_half_a_character(character):
    # The character straddles the old 60-code-point cut.
    title = services.title_from("x" * 58 + character * 3)
    assert title.removesuffix("…").endswith(character)
    assert title.removesuffix("…").replace(character, "") == "x" * 58


def test_a_title_of_many_emoji_fits_its_column(db, alice, local_model):
    families = "👨\u200d👩\u200d👧\u200d👦" * 60
    title = services.title_from(families)
    assert len(title) <= Conversation._meta.get_field("title").max_length
    prepared = services.prepare_reply(user=alice, conversation=None, content=families)
    assert Conversation.objects.get(pk=prepared.conversation_id).title == title


def test_a_first_message_writes_its_conversation_with_it(db, alice, local_model):
    prepared = services.prepare_reply(user=alice, conversation=None, content="Hello there")
    conversation = Conversation.objects.get(pk=prepared.conversation_id)
    assert conversation.user == alice
    assert conversation.model == local_model
    assert conversation.title == "Hello there"
    assert list(conversation.messages.values_list("role", flat=True)) == ["user", "assistant"]


@pytest.mark.parametrize("refusal", ["empty", "too_long_for_model", "credits", "cap", "model", "regenerate"])
def test_a_refused_first_message_writes_nothing(db, alice, local_model, refusal):
    from credits import services as credits
    from credits.errors import CreditsError
    from credits.models import LedgerEntry, Reservation

    content, kwargs = "Hi", {}
    if refusal == "empty":
        content = "  "
    elif refusal == "too_long_for_model":
        local_model.context_window = local_model.max_output_tokens + 1
        local_model.save()
    elif refusal == "credits":
        balance = credits.get_account(alice).balance
        credits.debit(user=alice, action_type="chat", amount=balance, idempotency_key="all")
    elif refusal == "cap":
        credits.debit(user=alice, action_type="chat", amount=1, idempotency_key="spent")
        credits.set_monthly_cap(user=alice, cap=1)
    elif refusal == "model":
        kwargs["model_id"] = ChatModelFactory(name="Retired", is_active=False).pk
    elif refusal == "regenerate":
        kwargs["regenerate"] = True
    entries = LedgerEntry.objects.count()
    with pytest.raises((CreditsError, ChatError)):
        services.prepare_reply(user=alice, conversation=None, content=content, **kwargs)
    assert not Conversation.objects.exists()
    assert LedgerEntry.objects.count() == entries
    assert not Reservation.objects.exists()


def test_a_message_is_trimmed_and_checked(settings):
    assert services.clean_message("  hi there \r\n") == "hi there"
    with pytest.raises(EmptyMessage):
        services.clean_message(" \n\t ")
    with pytest.raises(EmptyMessage):
        services.clean_message(None)
    settings.CHAT_MESSAGE_MAX_CHARS = 10
    assert services.clean_message("x" * 10) == "x" * 10
    with pytest.raises(MessageTooLong, match="10 characters or fewer"):
        services.clean_message("x" * 11)


def test_the_default_model_is_the_staff_default(db):
    seeded = ChatModel.objects.get(is_default=True)
    ChatModelFactory(name="Another", order=0)
    assert services.default_model() == seeded


def test_without_an_active_model_there_is_a_clear_error(db):
    ChatModel.objects.update(is_active=False)
    with pytest.raises(NoModelAvailable):
        services.default_model()


def test_only_one_model_can_be_the_default(db):
    with pytest.raises(IntegrityError):
        ChatModelFactory(name="Second default", is_default=True)


@pytest.mark.parametrize("value", ["999999", "abc", "", None, "1.5"])
def test_a_model_people_may_not_pick_is_refused(db, value):
    with pytest.raises(ModelNotAllowed):
        services.pick_model(value)


def test_a_retired_model_is_refused_and_conversations_fall_back_to_the_default(alice, local_model):
    retired = ChatModelFactory(name="Retired", is_active=False)
    with pytest.raises(ModelNotAllowed):
        services.pick_model(retired.pk)
    conversation = ConversationFactory(user=alice, model=retired)
    assert services.model_for(conversation) == local_model


def test_conversations_are_listed_per_person_and_searched_by_title(alice, bob, local_model):
    rotate = ConversationFactory(user=alice, title="Rotate my Vercel key")
    ConversationFactory(user=alice, title="Dinner plans")
    ConversationFactory(user=bob, title="Rotate Bob's key")
    assert list(services.conversations_for(alice, query="rotate")) == [rotate]
    assert services.conversations_for(alice).count() == 2


def test_rename_collapses_spaces_and_refuses_an_empty_title(alice, conversation):
    services.rename_conversation(conversation=conversation, title="  Plans   for  May ")
    conversation.refresh_from_db()
    assert conversation.title == "Plans for May"
    for bad in ("   ", "x" * 121):
        with pytest.raises(ValidationError):
            services.rename_conversation(conversation=conversation, title=bad)
    conversation.refresh_from_db()
    assert conversation.title == "Plans for May"


def test_a_reply_costs_both_prices_per_thousand_rounded_up():
    model = ChatModel(prompt_price_per_1k=3, completion_price_per_1k=10)
    assert model.cost(prompt_tokens=0, completion_tokens=0) == 0
    assert model.cost(prompt_tokens=1, completion_tokens=0) == 1
    assert model.cost(prompt_tokens=1000, completion_tokens=100) == 4  # 3 + 1
    assert model.cost(prompt_tokens=2000, completion_tokens=1000) == 16


def _prepared(**overrides) -> PreparedReply:
    values = {
        "user_id": 1,
        "conversation_id": None,
        "reply_id": None,
        "user_message_id": None,
        "endpoint": llm.Endpoint(base_url="http://x", api_key="k", model="m"),
        "messages": [],
        "max_tokens": 100,
        "prompt_estimate": 500,
        "prompt_price_per_1k": 2,
        "completion_price_per_1k": 4,
        "reserved": 2,
        "model_name": "m",
        "is_local_demo": False,
        "title": "",
    }
    return PreparedReply(**{**values, **overrides})


def test_what_a_reply_is_charged_depends_on_how_it_ended():
    prepared = _prepared()
    # Complete and stopped: prompt and completion. 1000*2 + 250*4 = 3000 thousandths.
    assert charge_for(prepared, status=MessageStatus.COMPLETE, prompt_tokens=1000, completion_tokens=250) == 3
    assert charge_for(prepared, status=MessageStatus.STOPPED, prompt_tokens=1000, completion_tokens=250) == 3
    # Failed: only the text that reached the person.
    assert charge_for(prepared, status=MessageStatus.FAILED, prompt_tokens=1000, completion_tokens=250) == 1
    # Nothing produced: nothing charged, however it ended.
    for status in (MessageStatus.COMPLETE, MessageStatus.STOPPED, MessageStatus.FAILED):
        assert charge_for(prepared, status=status, prompt_tokens=1000, completion_tokens=0) == 0


def test_the_prompt_keeps_the_system_prompt_and_drops_the_oldest_history():
    history = [("user", "a" * 300), ("assistant", "b" * 300), ("user", "c" * 300), ("assistant", "d" * 300)]
    history.append(("user", "the question"))
    budget_for_three = 3 * estimate_tokens("a" * 300) + estimate_tokens("the question")
    window = 100 + estimate_tokens("SYSTEM") + budget_for_three
    prompt = build_prompt(
        system_prompt="SYSTEM", history=history, context_window=window, max_output_tokens=100
    )
    assert prompt.messages[0] == {"role": "system", "content": "SYSTEM"}
    # Room for three long messages and the question: "a" goes first as the oldest, then "b" too,
    # since a trimmed history must still start with the person's turn.
    assert [m["content"][0] for m in prompt.messages[1:]] == ["c", "d", "t"]
    assert prompt.left_out == 2
    assert prompt.estimated_tokens <= window - 100


def test_a_message_larger_than_the_context_window_is_refused():
    with pytest.raises(TooLongForModel):
        build_prompt(
            system_prompt="SYSTEM", history=[("user", "x" * 9000)], context_window=2048, max_output_tokens=512
        )


def test_the_whole_history_goes_when_it_fits():
    history = [("user", "hi"), ("assistant", "hello"), ("user", "how are you?")]
    prompt = build_prompt(system_prompt="S", history=history, context_window=4096, max_output_tokens=512)
    assert prompt.messages[1:] == [{"role": role, "content": content} for role, content in history]
    assert prompt.left_out == 0


def test_failures_map_to_stable_codes():

    import httpx2
    import openai

    request = httpx2.Request("POST", "http://x/v1/chat/completions")

    def status_error(cls, code):
        return cls("boom", response=httpx2.Response(code, request=request), body=None)

    assert llm.failure_from(openai.APIConnectionError(request=request)).code == llm.MODEL_UNAVAILABLE
    assert llm.failure_from(openai.APITimeoutError(request=request)).code == llm.TIMEOUT
    assert llm.failure_from(TimeoutError()).code == llm.TIMEOUT
    assert llm.failure_from(status_error(openai.RateLimitError, 429)).code == llm.RATE_LIMITED
    server_error = llm.failure_from(status_error(openai.InternalServerError, 502))
    assert server_error.code == llm.PROVIDER_ERROR
    assert "502" in str(server_error)
    assert llm.failure_from(ValueError("bad chunk")).code == llm.BROKEN_STREAM
