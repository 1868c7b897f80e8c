"""Markdown to safe HTML for chat messages and help docs, and the artifacts a message carries.

One parse serves both public functions, so the ``data-artifact`` index on each rendered code block is
an index into :func:`extract_artifacts`' list:

1. markdown-it-py parses the text (CommonMark, tables, strikethrough; raw HTML is shown as text, not
   rendered). Linkify is off: it needs the extra ``linkify-it-py`` package.
2. One walk over the tokens, in document order: each fence becomes an artifact (code, diff or JSON)
   and is highlighted once with Pygments; an image that may load in the page (a path on this site,
   or https on a host the deployment allows in ``CSP_IMAGE_HOSTS``) becomes an image artifact; an
   image elsewhere on the web becomes a link to it (the Content-Security-Policy would block it:
   a link, not a broken image); any other image is shown as its alt text; external links get
   ``target="_blank"``; table alignment becomes a class (style attributes never pass).
   Each artifact also carries the side panel's view of it (``html`` and ``toolbar``, from
   javari/panel.py: a code block, a diff's tables, a JSON tree), so the panel's script renders nothing.
3. The tokens are rendered, fences in a ``.code-block`` wrapper with Copy and Open in panel buttons.
   Code blocks and tables scroll, so each is a labelled, focusable region: a keyboard reaches it.
4. nh3 sanitises the whole output with an allowlist: the last word on what reaches a page.

Half-written Markdown renders as far as it goes: an unclosed fence is a code block up to the end
(CommonMark's own rule), which is what a reply looks like while it streams.
"""

from __future__ import annotations

import functools
import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from javari.panel import panel_views

# A code block longer than this many lines opens the side panel by itself.
AUTO_OPEN_CODE_LINES = 5
# Longer code is shown escaped but not highlighted: Pygments' Python lexer takes ~0.2 ms a line here
# (a pile of regular expressions), so 40,000 characters (~1,000 lines) cost ~200 ms at most.
HIGHLIGHT_MAX_CHARS = 40_000
# Rendered messages kept per (text, language): a conversation page renders each message once for its
# HTML and once for its artifacts; a streamed reply re-renders a growing text.
RENDER_CACHE_SIZE = 256

DIFF_LANGUAGES = frozenset({"diff", "patch", "udiff"})
JSON_LANGUAGES = frozenset({"json"})
# Fences whose content is sniffed for a diff or a JSON document: no language, or plain text.
PLAIN_LANGUAGES = frozenset({"", "text", "txt", "plain", "plaintext"})

_LANGUAGE_RE = re.compile(r"[\w+#.-]{1,40}")
_HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@", re.MULTILINE)
_FILE_HEADERS_RE = re.compile(r"^--- [^\n]*\n\+\+\+ ", re.MULTILINE)
_NEW_FILE_RE = re.compile(r"^\+\+\+ ", re.MULTILINE)
_GIT_FILE_RE = re.compile(r"^diff --git ", re.MULTILINE)
_ALIGN_RE = re.compile(r"^text-align:(left|center|right)$")

_PYGMENTS_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)
_ALIGN_CLASSES = {"align-left", "align-center", "align-right"}


def render_markdown(text: str) -> SafeString:
    """Safe HTML for a chat message or a doc: highlighted code blocks, no raw HTML, sanitised."""
    return _render(text, get_language(), _image_hosts())[0]


def extract_artifacts(text: str) -> list[dict[str, Any]]:
    """What the side panel can show for this text, in order of appearance (JSON-serialisable dicts)."""
    return [dict(artifact) for artifact in _render(text, get_language(), _image_hosts())[1]]


def render_with_artifacts(text: str) -> tuple[SafeString, list[dict[str, Any]]]:
    """Both of the above from one parse: the HTML and the artifacts its ``data-artifact`` indexes point at."""
    rendered, artifacts = _render(text, get_language(), _image_hosts())
    return rendered, [dict(artifact) for artifact in artifacts]


def _image_hosts() -> tuple[str, ...]:
    return tuple(settings.CSP_IMAGE_HOSTS)


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def _render(
    text: str, language: str | None, image_hosts: tuple[str, ...]
) -> tuple[SafeString, tuple[dict[str, Any], ...]]:
    # `language` and `image_hosts` are only the cache key: gettext and is_allowed_image_url read the
    # active language and the setting themselves.
    md = _markdown()
    env: dict[str, Any] = {}
    tokens = md.parse(text or "", env)
    artifacts = _collect(tokens)
    rendered = md.renderer.render(tokens, md.options, env)
    return mark_safe(_cleaner()(rendered)), tuple(artifacts)  # noqa: S308 (nh3 just sanitised it)


# Parsing and the artifacts


def _collect(tokens: list[Token]) -> list[dict[str, Any]]:
    """Walk the tokens in document order: artifacts from fences and images, link and table fixes."""
    artifacts: list[dict[str, Any]] = []
    for token in tokens:
        if token.type == "fence":
            token.meta["artifact"] = len(artifacts)
            artifacts.append(_fence_artifact(token))
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            match = _ALIGN_RE.match(str(style or ""))
            if match:
                token.attrSet("class", f"align-{match.group(1)}")
        elif token.type == "inline" and token.children:
            children: list[Token] = []
            for child in token.children:
                if child.type == "image":
                    children.extend(_collect_image(child, artifacts))
                    continue
                if child.type == "link_open" and _is_external(str(child.attrGet("href") or "")):
                    child.attrSet("target", "_blank")
                children.append(child)
            token.children = children
    return artifacts


def _fence_artifact(token: Token) -> dict[str, Any]:
    content = token.content
    language = _fence_language(token.info)
    lines = len(content.splitlines())
    kind = _fence_kind(language, content)
    # A diff or JSON document is highlighted as one whatever its label ("patch", none): Pygments knows "diff".
    lexer_language = kind if kind != "code" else ("" if language in PLAIN_LANGUAGES else language)
    lexer = _lexer(lexer_language)
    code_html, clean_html = _highlight(content, lexer_language)
    # Kept on the token for the fence renderer: highlighted once for the message and the panel.
    token.meta["language"] = lexer_language
    token.meta["code_html"] = code_html

    if kind == "diff":
        files = len(_NEW_FILE_RE.findall(content)) or len(_GIT_FILE_RE.findall(content))
        title = (
            ngettext("Diff · %(count)d file", "Diff · %(count)d files", files) % {"count": files}
            if files
            else gettext("Diff")
        )
    elif kind == "json":
        title = gettext("JSON")
    else:
        name = lexer.name if lexer is not None else (language if language not in PLAIN_LANGUAGES else "")
        name = name or gettext("Code")
        title = ngettext("%(language)s · %(count)d line", "%(language)s · %(count)d lines", lines) % {
            "language": name,
            "count": lines,
        }
    token.meta["title"] = title
    # The side panel's view of it, rendered here: sidebar.js only inserts it (javari/panel.py).
    panel_html, toolbar = panel_views(kind, language=lexer_language, content=content, code_html=clean_html)
    return {
        "kind": kind,
        "title": title,
        "language": lexer_language,
        "content": content,
        "html": panel_html,
        "toolbar": toolbar,
        "lines": lines,
        "auto_open": kind != "code" or lines > AUTO_OPEN_CODE_LINES,
    }


def _fence_language(info: str) -> str:
    """The fence's language: the first word of its info string, if it looks like a language name."""
    first = info.strip().split(maxsplit=1)[0].lower() if info.strip() else ""
    return first if _LANGUAGE_RE.fullmatch(first) else ""


def _fence_kind(language: str, content: str) -> str:
    if language in DIFF_LANGUAGES:
        return "diff"
    if language in JSON_LANGUAGES:
        return "json"
    if language in PLAIN_LANGUAGES:
        # Only an unlabelled (or plain-text) fence is sniffed: a Python block that prints "--- " stays code.
        if _HUNK_RE.search(content) or _FILE_HEADERS_RE.search(content):
            return "diff"
        if _is_json_document(content):
            return "json"
    return "code"


def _is_json_document(content: str) -> bool:
    stripped = content.strip()
    if not stripped or stripped[0] not in "[{":
        return False
    try:
        return isinstance(json.loads(stripped), (dict, list))
    except ValueError:
        return False


def _collect_image(token: Token, artifacts: list[dict[str, Any]]) -> list[Token]:
    """The tokens that stand for an image: itself (an artifact too) if it may load in the page, a link
    to it if it is elsewhere on the web, or its alt text."""
    src = str(token.attrGet("src") or "")
    alt = "".join(child.content for child in token.children or ())
    if not is_allowed_image_url(src):
        if _is_web_url(src):
            # The CSP would block it (img-src): a link the reader may follow, not a broken image.
            link_open = Token("link_open", "a", 1, attrs={"href": src.strip(), "target": "_blank"})
            label = Token("text", "", 0, content=alt or src.strip())
            return [link_open, label, Token("link_close", "a", -1)]
        # Shown as its alt text: an image from elsewhere (data:, file:, a relative path) never loads.
        return [Token("text", "", 0, content=alt)]
    token.attrSet("loading", "lazy")
    artifacts.append(
        {
            "kind": "image",
            "title": alt or gettext("Image"),
            "language": "",
            "content": src,
            "html": "",
            "toolbar": "",
            "lines": 0,
            "auto_open": False,
        }
    )
    return [token]


def is_allowed_image_url(url: str) -> bool:
    """May this image load in the page: a file of this site's (under ``MEDIA_URL`` or ``STATIC_URL``),
    or an https address on a host the deployment allows (``CSP_IMAGE_HOSTS``, as in the
    Content-Security-Policy's img-src).

    No other path of ours: an image is a signed-in GET that the reader's browser sends unasked, and
    ``![x](/accounts/security/)`` would use up a new API key's one showing, or ``/billing/return/…``
    call Stripe (issue 10).
    """
    url = url.strip()
    if url.startswith("/"):
        # "//host/x" and "/\host/x" are other hosts to a browser; ".." could climb out of /media/.
        path = urlsplit(url).path
        if url[1:2] in ("/", "\\") or "\\" in url or ".." in path.split("/"):
            return False
        own = tuple("/" + prefix.strip("/") + "/" for prefix in (settings.MEDIA_URL, settings.STATIC_URL))
        return path.startswith(own)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    return any(_host_matches(parts.hostname, allowed) for allowed in settings.CSP_IMAGE_HOSTS)


def _host_matches(host: str, allowed: str) -> bool:
    """CSP's host-source matching: "img.example.com" exactly, "*.example.com" any subdomain of it."""
    allowed = allowed.lower().split(":", 1)[0]
    if allowed.startswith("*."):
        return host.endswith(allowed[1:])
    return host == allowed


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_external(href: str) -> bool:
    href = href.strip()
    return href.startswith("//") or urlsplit(href).scheme in ("http", "https")


# Highlighting


@functools.cache
def _lexer(language: str) -> Lexer | None:
    if not language:
        return None
    try:
        # stripnl=False: the highlighted text is exactly the fence's, so copying it copies the source.
        return get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> HtmlFormatter:
    # Spans with Pygments' short class names (k, s2, nf…) only; javari/markdown.css colours them.
    return HtmlFormatter(nowrap=True)


@functools.lru_cache(maxsize=128)
def _highlight(content: str, language: str) -> tuple[str, str]:
    """The fence's highlighted HTML, and the same sanitised for the panel. Cached per fence: a streamed
    reply is re-rendered as it grows, and only its last fence changes."""
    lexer = _lexer(language)
    if lexer is None or len(content) > HIGHLIGHT_MAX_CHARS:
        code_html = html.escape(content, quote=False)
    else:
        code_html = highlight(content, lexer, _formatter())
    return code_html, _cleaner()(code_html)


# Rendering


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", lambda self, tokens, idx, options, env: "</table></div>\n")
    return md


def _render_table_open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    # A wide table scrolls sideways in its wrapper: a focusable, labelled region, like a code block.
    label = html.escape(gettext("Table"), quote=True)
    return f'<div class="table-scroll" tabindex="0" role="region" aria-label="{label}"><table>\n'


def _render_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    index = token.meta["artifact"]
    language = html.escape(token.meta["language"])
    label = language or html.escape(gettext("text"))
    # Outside the f-string: xgettext (makemessages) does not see calls inside one.
    open_label = html.escape(gettext("Open in panel"))
    copied_label = html.escape(gettext("Copied"))
    copy_label = html.escape(gettext("Copy"))
    # The block scrolls sideways (and past 70vh): focusable, so a keyboard can scroll it (WCAG 2.1.1),
    # and named for what it holds ("Python · 6 lines"), as the panel names it.
    region_label = html.escape(gettext("Code block: %(title)s") % {"title": token.meta["title"]}, quote=True)
    return (
        f'<div class="code-block" data-language="{language}" data-artifact="{index}">'
        f'<div class="code-block__bar"><span class="code-block__lang">{label}</span>'
        f'<button type="button" class="open-artifact" data-open-artifact="{index}">{open_label}</button>'
        f'<button type="button" class="copy-button" data-copy data-copied="{copied_label}">'
        f"{copy_label}</button></div>"
        f'<pre class="highlight" tabindex="0" role="region" aria-label="{region_label}">'
        f"<code>{token.meta['code_html']}</code></pre></div>\n"
    )


# Sanitising

_TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "strong", "em", "s", "del"),
    *("code", "pre", "ul", "ol", "li", "a", "img", "div", "span", "button"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
# `class` is never listed here: allowed_classes below says which classes each tag may carry.
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "div": {"data-language", "data-artifact", "aria-label"},
    "pre": {"aria-label"},
    "button": {"data-copy", "data-copied", "data-open-artifact"},
}
_ATTRIBUTE_VALUES = {
    "a": {"target": {"_blank"}},
    "img": {"loading": {"lazy"}},
    "button": {"type": {"button"}},
    "pre": {"tabindex": {"0"}, "role": {"region"}},
    "div": {"tabindex": {"0"}, "role": {"region"}},
}
_CLASSES = {
    "span": _PYGMENTS_CLASSES | {"code-block__lang"},
    "div": {"code-block", "code-block__bar", "table-scroll"},
    "pre": {"highlight"},
    "button": {"copy-button", "open-artifact"},
    "th": _ALIGN_CLASSES,
    "td": _ALIGN_CLASSES,
}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if is_allowed_image_url(value) else None
    return value


@functools.cache
def _cleaner() -> Any:
    options: dict[str, Any] = {
        "tags": _TAGS,
        "clean_content_tags": {"script", "style"},
        "attributes": _ATTRIBUTES,
        "attribute_filter": _filter_attribute,
        "link_rel": "noopener noreferrer nofollow",
        "tag_attribute_values": _ATTRIBUTE_VALUES,
        "url_schemes": {"http", "https", "mailto"},
        "allowed_classes": _CLASSES,
    }
    if hasattr(nh3, "Cleaner"):  # nh3 ≥ 0.3: the allowlist is built once
        return nh3.Cleaner(**options).clean
    return functools.partial(nh3.clean, **options)
