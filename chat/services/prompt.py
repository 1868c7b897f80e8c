"""What is sent to the model: the system prompt, the help-center passages a message is about (if
any), then as much recent history as fits.

Token counts here are estimates (no tokenizer is loaded for remote models): three UTF-8 bytes per
token plus a few tokens of framing per message. Real tokenizers for English and Spanish average
about four characters per token, so the estimate runs high and a trimmed prompt fits.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from chat.errors import TooLongForModel

BYTES_PER_TOKEN = 3
TOKENS_PER_MESSAGE = 4  # role markers and separators in a chat template


def estimate_tokens(text: str) -> int:
    return -(-len(text.encode()) // BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE


@dataclass(frozen=True)
class Prompt:
    messages: list[dict[str, str]]
    estimated_tokens: int
    left_out: int  # older messages trimmed to fit
    context_used: bool = False  # the retrieved context is in the prompt (False: there was none, or it
    # had to go to make room for the message itself)


def build_prompt(
    *,
    system_prompt: str,
    history: list[tuple[str, str]],
    context_window: int,
    max_output_tokens: int,
    context: str = "",
) -> Prompt:
    """The system prompt, the retrieved ``context``, then the newest history that fits beside a
    full-length reply.

    ``history`` is (role, content) oldest first, ending with the message to answer. The context
    follows the system prompt in the same system message (chat templates such as Gemma's accept
    one system message only) and counts in the estimate. Messages are dropped oldest first and
    never the system prompt; if the last message fits only without the context, the context goes;
    if it doesn't fit even then, TooLongForModel.
    """
    if context:
        with_context = _build(f"{system_prompt}\n\n{context}", history, context_window, max_output_tokens)
        if with_context is not None:
            return Prompt(*with_context, context_used=True)
    prompt = _build(system_prompt, history, context_window, max_output_tokens)
    if prompt is None:
        raise TooLongForModel(
            _("This message is too long for this model: shorten it, or pick a model with a larger context.")
        )
    return Prompt(*prompt)


def _build(
    system: str, history: list[tuple[str, str]], context_window: int, max_output_tokens: int
) -> tuple[list[dict[str, str]], int, int] | None:
    """The messages, their estimated tokens and how many were left out; None if the last doesn't fit."""
    budget = context_window - max_output_tokens - estimate_tokens(system)
    kept: list[dict[str, str]] = []
    used = 0
    for role, content in reversed(history):
        cost = estimate_tokens(content)
        if used + cost > budget:
            break
        kept.append({"role": role, "content": content})
        used += cost
    if history and not kept:
        return None
    # Chat templates expect the first turn after the system prompt to be the person's.
    while kept and kept[-1]["role"] != "user":
        used -= estimate_tokens(kept.pop()["content"])
    kept.reverse()
    messages = [{"role": "system", "content": system}, *kept]
    return messages, used + estimate_tokens(system), len(history) - len(kept)
