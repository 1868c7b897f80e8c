"""What is sent to the model: the system prompt, then as much recent history as fits.

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


def build_prompt(
    *, system_prompt: str, history: list[tuple[str, str]], context_window: int, max_output_tokens: int
) -> Prompt:
    """The system prompt, then the newest history that fits beside a full-length reply.

    ``history`` is (role, content) oldest first, ending with the message to answer. Messages are
    dropped oldest first and never the system prompt; if even the last message does not fit,
    TooLongForModel.
    """
    budget = context_window - max_output_tokens - estimate_tokens(system_prompt)
    kept: list[dict[str, str]] = []
    used = 0
    for role, content in reversed(history):
        cost = estimate_tokens(content)
        if used + cost > budget:
            break
        kept.append({"role": role, "content": content})
        used += cost
    if history and not kept:
        raise TooLongForModel(
            _("This message is too long for this model: shorten it, or pick a model with a larger context.")
        )
    # Chat templates expect the first turn after the system prompt to be the person's.
    while kept and kept[-1]["role"] != "user":
        used -= estimate_tokens(kept.pop()["content"])
    kept.reverse()
    messages = [{"role": "system", "content": system_prompt}, *kept]
    return Prompt(
        messages=messages,
        estimated_tokens=used + estimate_tokens(system_prompt),
        left_out=len(history) - len(kept),
    )
