"""The one client path to every LLM: the ``openai`` SDK speaking Chat Completions, streamed.

OpenAI, Ollama, vLLM, OpenRouter, LM Studio and the embedded llama.cpp server all answer the same
protocol; a chat model names only its base URL, key and model name. Every way a call can fail
becomes one ``ReplyFailed`` with a stable code and a message fit to show the person.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat.errors import ReplyFailed

if TYPE_CHECKING:
    import openai

# The SDK is imported where it is used: it takes seconds to import, and every manage.py command
# and worker would pay for it at start-up while only the chat calls it.


MODEL_UNAVAILABLE = "model_unavailable"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
PROVIDER_ERROR = "provider_error"
BROKEN_STREAM = "broken_stream"


def _unavailable() -> ReplyFailed:
    return ReplyFailed(MODEL_UNAVAILABLE, _("The model server isn't answering. Try again in a moment."))


def _timed_out() -> ReplyFailed:
    return ReplyFailed(TIMEOUT, _("The model took too long to answer."))


def _broken() -> ReplyFailed:
    return ReplyFailed(BROKEN_STREAM, _("The reply was cut off: the connection to the model broke."))


def failure_from(exc: BaseException) -> ReplyFailed:
    """The ``ReplyFailed`` for an exception raised by the SDK or the HTTP layer under it."""
    import openai

    if isinstance(exc, ReplyFailed):
        return exc
    # APITimeoutError is an APIConnectionError: test it first.
    if isinstance(exc, openai.APITimeoutError | asyncio.TimeoutError):
        return _timed_out()
    if isinstance(exc, openai.RateLimitError):
        return ReplyFailed(
            RATE_LIMITED, _("The model provider is busy (too many requests). Try again shortly.")
        )
    if isinstance(exc, openai.APIStatusError):
        return ReplyFailed(
            PROVIDER_ERROR,
            _("The model provider answered with an error (HTTP %(status)s).") % {"status": exc.status_code},
        )
    if isinstance(exc, openai.APIConnectionError):
        return _unavailable()
    # Anything else mid-stream: a reset connection, a truncated chunk, a body that isn't SSE.
    return _broken()


@dataclass(frozen=True)
class Endpoint:
    """Where a model answers: an OpenAI-compatible base URL, its key, and the model name to send."""

    base_url: str
    api_key: str
    model: str


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed reply: some text, or (last, when the provider sends it) the usage."""

    text: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


# One SDK client per event loop and endpoint: its HTTP connection pool belongs to the loop that
# opened it, so a client must never cross loops (tests run one loop each; a worker runs one).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], openai.AsyncOpenAI]]
_clients = weakref.WeakKeyDictionary()


def client_for(endpoint: Endpoint) -> openai.AsyncOpenAI:
    import openai

    loop = asyncio.get_running_loop()
    per_loop = _clients.setdefault(loop, {})
    key = (endpoint.base_url, endpoint.api_key)
    if key not in per_loop:
        per_loop[key] = openai.AsyncOpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            timeout=settings.LLM_TIMEOUT,
            # The person has a retry button; silent retries would only delay the error.
            max_retries=0,
        )
    return per_loop[key]


async def stream_chat(
    endpoint: Endpoint, *, messages: list[dict[str, str]], max_tokens: int
) -> AsyncIterator[Chunk]:
    """Stream a completion: a Chunk per piece of text, then one with the usage if it comes.

    Raises ReplyFailed. A piece that takes longer than ``LLM_TIMEOUT`` is a timeout: the SDK's read
    timeout would also fire, but only per network read, and a server can trickle keep-alives.
    """
    client = client_for(endpoint)
    try:
        stream = await client.chat.completions.create(
            model=endpoint.model,
            messages=messages,  # type: ignore[arg-type]
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
    except Exception as exc:  # every SDK and HTTP failure maps to a ReplyFailed
        raise failure_from(exc) from exc
    iterator = stream.__aiter__()
    try:
        while True:
            try:
                event = await asyncio.wait_for(iterator.__anext__(), timeout=settings.LLM_TIMEOUT)
            except StopAsyncIteration:
                return
            except Exception as exc:  # mid-stream: timeout, reset connection, bad chunk
                failure = failure_from(exc)
                # The server answered, then the connection went: that is a broken stream.
                raise (_broken() if failure.code == MODEL_UNAVAILABLE else failure) from exc
            for choice in event.choices or []:
                text = choice.delta.content if choice.delta else None
                if text:
                    yield Chunk(text=text)
            if event.usage is not None:
                yield Chunk(
                    prompt_tokens=event.usage.prompt_tokens, completion_tokens=event.usage.completion_tokens
                )
    finally:
        # Stopped, failed or done: close the HTTP response so the server stops generating.
        await stream.close()
