"""An article's Markdown cut into sections, one per ``##``/``###`` heading, as plain text.

What search ranks and chat cites is a section: its heading, the ``anchor`` the article page gives
that heading (so a hit links to ``/help/<slug>/#<anchor>``) and its text with the Markdown taken
off. The intro before the first heading is a section of its own with heading "" and anchor "".

Anchors are one contract with the article page: the page gives an ``id`` to every ``##`` and
``###`` heading (no other level), in document order, each computed by :func:`heading_anchor` with
one ``seen`` set for the whole article, starting with the page's own ids (``PAGE_IDS``) — or
takes them from :func:`heading_anchors`, which does exactly that.

The Markdown is read with markdown-it-py's tokens (the parser javari.markdown renders with), not
regular expressions: a ``# comment`` line inside a code block is code, not a heading.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

# A section longer than this many characters is split on paragraph boundaries, each part keeping
# the heading: an embedding model reads ~256 tokens (~1,200 characters of English), and a shorter
# passage makes a sharper snippet.
SECTION_MAX_CHARS = 1_200
# The longest anchor (helpcenter.Passage.anchor holds 120; "-NN" may follow).
ANCHOR_MAX_CHARS = 100
# The anchor of a heading with nothing a slug can keep ("¿?", "🙂").
ANCHOR_FALLBACK = "section"
# Heading levels that start a section and get an anchor.
SECTION_LEVELS = frozenset({2, 3})
# The ids the article page itself uses (the layout's and helpcenter/article.html's): a heading that
# slugifies to one ("## Feedback", "## Main") takes "-2", or the page would hold two elements of one
# id and "#feedback" (where a vote returns) or the skip link's "#main" would land on the heading.
PAGE_IDS = frozenset(
    {
        "main", "workspace", "modal", "sidebar", "sidebar-body", "sidebar-title", "site-name",
        "profile-button", "profile-menu", "profile-details", "credits-slot", "credits-status",
        "header-language", "article-title", "toc-title", "related-title", "feedback", "feedback-title",
        "content-main",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Section:
    """One passage-sized piece of an article: plain text under a heading."""

    heading: str  # "" for the intro
    anchor: str  # "" for the intro
    text: str


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


def heading_anchor(text: str, seen: set[str]) -> str:
    """The ``id`` of a heading: ``text`` slugified, "-2", "-3"… when ``seen`` has it (``seen`` gains it)."""
    base = slugify(text)[:ANCHOR_MAX_CHARS].strip("-") or ANCHOR_FALLBACK
    anchor = base
    number = 1
    while anchor in seen:
        number += 1
        anchor = f"{base}-{number}"
    seen.add(anchor)
    return anchor


def heading_anchors(markdown: str) -> list[Heading]:
    """The article's ``##`` and ``###`` headings in order, with the anchors the page gives them."""
    seen: set[str] = set(PAGE_IDS)
    headings = []
    tokens = _parser().parse(markdown or "")
    for index, token in enumerate(tokens):
        level = _heading_level(token)
        if level in SECTION_LEVELS:
            text = _inline_text(tokens[index + 1])
            headings.append(Heading(level=level, text=text, anchor=heading_anchor(text, seen)))
    return headings


def split_sections(markdown: str, *, max_chars: int = SECTION_MAX_CHARS) -> list[Section]:
    """The article's sections in order, Markdown stripped, long ones split to about ``max_chars``.

    A section with no text under its heading (a ``##`` straight followed by a ``###``) is left out;
    its anchor is still counted, so the others' anchors match the page.
    """
    seen: set[str] = set(PAGE_IDS)
    sections: list[Section] = []
    heading, anchor = "", ""
    blocks: list[str] = []

    def close() -> None:
        sections.extend(Section(heading, anchor, part) for part in _pack(blocks, max_chars))

    tokens = _parser().parse(markdown or "")
    row: list[str] | None = None
    skip_inline = False
    for index, token in enumerate(tokens):
        level = _heading_level(token)
        if level in SECTION_LEVELS:
            close()
            heading = _inline_text(tokens[index + 1])
            anchor = heading_anchor(heading, seen)
            blocks = []
            skip_inline = True  # the heading's own inline token is its text, not the body's
        elif token.type == "inline":
            if skip_inline:
                skip_inline = False
            elif row is not None:
                row.append(_inline_text(token))
            else:
                blocks.append(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(" | ".join(cell for cell in row if cell))
            row = None
    close()
    return sections


def _parser() -> MarkdownIt:
    # The same syntax as javari.markdown (CommonMark, tables, strikethrough, raw HTML as text).
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _heading_level(token: Token) -> int:
    return int(token.tag[1]) if token.type == "heading_open" else 0


def _inline_text(token: Token) -> str:
    """An inline token's words: text, code spans and image alt text; emphasis and link syntax gone."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(_inline_text(child))
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts).strip()


def _pack(blocks: list[str], max_chars: int) -> list[str]:
    """Blocks joined into parts of at most ~``max_chars``, cut between blocks (a longer block alone)."""
    parts: list[str] = []
    current = ""
    for block in (block.strip() for block in blocks):
        if not block:
            continue
        for piece in _split_long(block, max_chars):
            if current and len(current) + 1 + len(piece) > max_chars:
                parts.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def _split_long(block: str, max_chars: int) -> list[str]:
    """A single block longer than ``max_chars`` (one huge paragraph) cut at the last space before it."""
    pieces = []
    while len(block) > max_chars:
        cut = block.rfind(" ", 0, max_chars)
        if cut <= 0:
            cut = max_chars
        pieces.append(block[:cut].rstrip())
        block = block[cut:].lstrip()
    if block:
        pieces.append(block)
    return pieces
