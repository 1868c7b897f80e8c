"""Chat fixtures: the seeded default model (shortened replies), conversations, the fake provider."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync

from accounts.models import User
from chat import services
from chat.models import ChatModel, Conversation
from chat.tests.fake_llm import FakeLLM

# Replies from the real local model are cut at this many tokens: the tests check the protocol and
# the bookkeeping, never the words, and a short reply keeps the suite fast.
TEST_REPLY_TOKENS = 8


@pytest.fixture
def local_model(db: None) -> ChatModel:
    """The seeded default: the deployment's endpoint, which in tests is the embedded llama.cpp server."""
    model = ChatModel.objects.get(is_default=True)
    model.max_output_tokens = TEST_REPLY_TOKENS
    model.save()
    return model


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def fake_model(fake_llm: FakeLLM):
    """Make a ChatModel at the fake provider whose model name picks its behaviour."""

    def make(behaviour: str = "ok", **fields: object) -> ChatModel:
        values = {
            "name": f"Fake {behaviour}",
            "model": behaviour,
            "base_url": fake_llm.url,
            "api_key": "sk-test",
            "max_output_tokens": 50,
            **fields,
        }
        return ChatModel.objects.create(**values)

    return make


@pytest.fixture
def conversation(alice: User, local_model: ChatModel) -> Conversation:
    return services.start_conversation(user=alice)


def sse_events(body: bytes) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a server-sent event stream."""
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data += line[len("data: ") :]
        events.append((name, json.loads(data)))
    return events


def read_stream(response) -> bytes:
    """The whole body of a streamed response whose content is an async iterator (an SSE reply)."""

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)()
