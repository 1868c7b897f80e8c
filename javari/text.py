"""Text people wrote, shortened and flattened without breaking what a reader sees as one character.

- ``truncate_graphemes``: the one way to shorten text anywhere (titles, previews, list columns,
  notifications). It cuts between grapheme clusters (Unicode's UAX #29, through the ``regex``
  module's ``\\X``), so a flag (two regional indicators), a ZWJ family emoji (seven code points),
  a letter with combining accents or a skin-toned emoji is kept whole or dropped whole, never
  halved. Slicing a ``str`` counts code points and does halve them.
- ``plain_text``: what a reader sees of a Markdown text, without its syntax: ``**bold**`` is
  "bold", a link is its text, an image its alt text, a code block its code. Parsed with
  markdown-it-py as javari/markdown.py parses messages for display (CommonMark, tables,
  strikethrough, raw HTML as text), so the plain text matches the rendered message.
"""

from __future__ import annotations

import functools

import regex
from markdown_it import MarkdownIt
from markdown_it.token import Token

ELLIPSIS = "…"

_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """The text's extended grapheme clusters (what a reader sees as characters), in order."""
    return _GRAPHEME.findall(text)


def truncate_graphemes(
    text: str,
    limit: int,
    *,
    max_length: int | None = None,
    ellipsis: str = ELLIPSIS,
    at_word: bool = False,
) -> str:
    """``text`` if it has at most ``limit`` grapheme clusters, else its start plus ``ellipsis``.

    The result, ellipsis included, has at most ``limit`` clusters and, when ``max_length`` is
    given, at most that many code points (what a database column's ``max_length`` counts: seven
    family emoji are seven clusters but 49 code points). ``at_word`` backs the cut up to the last
    space when that keeps at least half of what fits, so no word is cut in two.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    clusters = graphemes(text)
    if len(clusters) <= limit and (max_length is None or len(text) <= max_length):
        return text
    room = limit - len(graphemes(ellipsis))
    code_room = (max_length if max_length is not None else len(text)) - len(ellipsis)
    kept: list[str] = []
    used = 0
    for cluster in clusters:
        if len(kept) >= room or used + len(cluster) > code_room:
            break
        kept.append(cluster)
        used += len(cluster)
    if at_word:
        space = next((i for i in range(len(kept) - 1, 0, -1) if kept[i].isspace()), 0)
        if space >= len(kept) // 2:
            kept = kept[:space]
    return "".join(kept).rstrip() + ellipsis


@functools.cache
def _parser() -> MarkdownIt:
    # The same syntax javari/markdown.py renders, so what counts as markup is the same.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            # A line as written, though a paragraph's lines render as one: a title is the first.
            parts.append("\n")
        elif child.type == "image":
            # An image's alt text is its children: what a screen reader (and this title) says.
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def plain_text(markdown: str) -> str:
    """The text a reader sees in this Markdown, minus its syntax, line by line as it was written."""
    lines: list[str] = []
    for token in _parser().parse(markdown):
        if token.type == "inline":
            lines.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block", "html_block"):
            lines.extend(token.content.splitlines())
    return "\n".join(lines)
