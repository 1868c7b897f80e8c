"""The side panel's views of a reply's artifacts, rendered on the server (static/js/sidebar.js only
inserts them and keeps the state: which tab, which diff view, focus).

For each artifact ``javari.markdown`` extracts, ``panel_views`` gives two HTML fragments:

- ``html``, the panel's body: code highlighted by Pygments (already sanitised by nh3), a diff as two
  tables (side by side and unified; CSS shows the one ``data-view`` names), or a JSON document as a
  tree of ``<details>``;
- ``toolbar``, its buttons: Copy (``data-sidebar-copy``), the diff view (``data-diff-view``), expand
  and collapse a tree (``data-json-expand``/``data-json-collapse``).

Every piece of text from the reply goes through ``html.escape``: the markup is ours alone. The diff is
read by ``unidiff``; what it can't read (a hand-written ``+``/``-`` block, a diff cut short while it
streams) is shown line by line without line numbers.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, pgettext
from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

# Levels of a JSON document open at first.
JSON_OPEN_DEPTH = 2
# Past this many values a JSON document is shown as text: the tree would weigh too much in the page.
JSON_MAX_NODES = 5000

_SIGNS = {"del": "-", "add": "+", "ctx": " ", "note": ""}
_UNIDIFF_TYPES = {"-": "del", "+": "add", " ": "ctx", "\\": "note"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _button(label: str, attribute: str, extra_class: str = "") -> str:
    classes = f"button button-ghost button-small{extra_class}"
    return f'<button type="button" class="{classes}" {attribute}>{_e(label)}</button>'


def _copy_button() -> str:
    return _button(gettext("Copy"), "data-sidebar-copy", " sidebar__copy")


def _notice(text: str) -> str:
    return f'<p class="sidebar__notice">{_e(text)}</p>'


def code_block(code_html: str) -> str:
    """The panel's code: ``code_html`` is Pygments' output already sanitised, or escaped text."""
    return f'<pre class="highlight sidebar__code" tabindex="0"><code>{code_html}</code></pre>'


def panel_views(kind: str, *, language: str, content: str, code_html: str) -> tuple[str, str]:
    """The panel body and toolbar (HTML) for an artifact of ``kind`` ("code", "diff" or "json")."""
    if kind == "diff":
        return diff_view(content), _diff_toolbar()
    if kind == "json":
        body, is_tree = json_view(content)
        toolbar = (
            _button(gettext("Expand all"), "data-json-expand")
            + _button(gettext("Collapse all"), "data-json-collapse")
            if is_tree
            else ""
        )
        return body, toolbar + _copy_button()
    meta = f'<span class="sidebar__meta">{_e(language)}</span>'
    return code_block(code_html), meta + _copy_button()


# --- Diffs ----------------------------------------------------------------------------------------


@dataclass
class Row:
    type: str  # "del", "add", "ctx" or "note"
    text: str
    old: int | None = None
    new: int | None = None


@dataclass
class Hunk:
    header: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class File:
    name: str
    hunks: list[Hunk] = field(default_factory=list)


def parse_diff(source: str) -> list[File]:
    """A unified diff's files, hunks and rows (line numbers from the hunk headers)."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    nameless = "\n--- " not in f"\n{text}" and "\ndiff --git " not in f"\n{text}"
    try:
        # Hunks with no file header (a diff quoted from the middle): a placeholder name, not shown.
        patch = PatchSet("--- -\n+++ -\n" + text if nameless else text)
    except UnidiffParseError:
        return _loose_rows(text)
    files = []
    for patched in patch:
        hunks = []
        for hunk in patched:
            header = (
                f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
            )
            rows = []
            for line in hunk:
                kind = _UNIDIFF_TYPES.get(line.line_type, "ctx")
                value = line.value.rstrip("\n")
                if kind == "note":
                    rows.append(Row("note", "\\" + value))
                else:
                    rows.append(Row(kind, value, line.source_line_no, line.target_line_no))
            hunks.append(
                Hunk(f"{header} {hunk.section_header}".rstrip() if hunk.section_header else header, rows)
            )
        files.append(File("" if nameless else patched.path, hunks))
    return files if any(file.hunks for file in files) else _loose_rows(text)


def _loose_rows(text: str) -> list[File]:
    """A diff unidiff can't read (no hunk header, or cut short): its +/-/space lines, unnumbered."""
    rows = []
    for line in text.split("\n"):
        if line.startswith(("@@", "diff --git ", "--- ", "+++ ", "index ")):
            continue
        if line[:1] in ("-", "+", " "):
            rows.append(Row({"-": "del", "+": "add", " ": "ctx"}[line[0]], line[1:]))
        elif line.startswith("\\"):
            rows.append(Row("note", line))
    return [File("", [Hunk("", rows)])] if rows else []


def diff_view(source: str) -> str:
    """Both tables, side by side and unified, in a scrolling holder whose ``data-view`` picks one."""
    files = parse_diff(source)
    if not any(hunk.rows for file in files for hunk in file.hunks):
        return _notice(gettext("No changed lines in this diff."))
    tables = _diff_table(files, split=True) + _diff_table(files, split=False)
    return f'<div class="sidebar__diff" tabindex="0" data-view="split">{tables}</div>'


def _diff_toolbar() -> str:
    label = _e(gettext("Diff view"))
    buttons = "".join(
        f'<button type="button" data-diff-view="{view}" aria-pressed="false">{_e(text)}</button>'
        for view, text in (("split", gettext("Side by side")), ("unified", gettext("Unified")))
    )
    return (
        f'<div class="sidebar__segmented" role="group" aria-label="{label}">{buttons}</div>' + _copy_button()
    )


def _number(value: int | None, kind: str = "") -> str:
    # Line numbers stay plain digits, as in an editor.
    classes = f"diff-num diff-{kind}" if kind else "diff-num"
    return f'<td class="{classes}">{"" if value is None else value}</td>'


def _code(row: Row, colspan: int = 0) -> str:
    span = f' colspan="{colspan}"' if colspan else ""
    sign = _SIGNS[row.type]
    sign_html = f'<span class="diff-sign">{sign}</span>' if sign else ""
    return f'<td class="diff-code diff-{row.type}"{span}>{sign_html}{_e(row.text)}</td>'


_EMPTY = '<td class="diff-num diff-empty"></td><td class="diff-code diff-empty"></td>'


def _diff_table(files: list[File], *, split: bool) -> str:
    view = "split" if split else "unified"
    columns = 4 if split else 3
    # Column widths from <col>: with table-layout: fixed, the spanning header row would split them evenly.
    cols = "".join(
        f'<col class="diff-col-{kind}">'
        for kind in (("num", "code", "num", "code") if split else ("num", "num", "code"))
    )
    if split:
        head = f'<th colspan="2">{_e(gettext("Before"))}</th><th colspan="2">{_e(gettext("After"))}</th>'
    else:
        head = "".join(f"<th>{_e(gettext(name))}</th>" for name in ("Line before", "Line after", "Code"))
    parts = [
        f'<table class="diff-table diff-{view}"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
    ]
    for file in files:
        parts.append("<tbody>")
        if file.name:
            parts.append(
                f'<tr class="diff-file"><th colspan="{columns}" scope="colgroup">{_e(file.name)}</th></tr>'
            )
        for hunk in file.hunks:
            if hunk.header:
                parts.append(f'<tr class="diff-hunk"><td colspan="{columns}">{_e(hunk.header)}</td></tr>')
            parts.extend(_split_rows(hunk.rows) if split else _unified_rows(hunk.rows))
        parts.append("</tbody>")
    parts.append("</table>")
    return "".join(parts)


def _unified_rows(rows: list[Row]) -> list[str]:
    return [f"<tr>{_number(row.old, row.type)}{_number(row.new, row.type)}{_code(row)}</tr>" for row in rows]


def _split_rows(rows: list[Row]) -> list[str]:
    """Side by side: a run of removed lines and the added lines after it share rows, paired in order."""
    out: list[str] = []
    removed: list[Row] = []
    added: list[Row] = []

    def flush() -> None:
        for i in range(max(len(removed), len(added))):
            left = f"{_number(removed[i].old, 'del')}{_code(removed[i])}" if i < len(removed) else _EMPTY
            right = f"{_number(added[i].new, 'add')}{_code(added[i])}" if i < len(added) else _EMPTY
            out.append(f"<tr>{left}{right}</tr>")
        removed.clear()
        added.clear()

    for row in rows:
        if row.type == "del":
            if added:
                flush()
            removed.append(row)
        elif row.type == "add":
            added.append(row)
        else:
            flush()
            if row.type == "note":
                out.append(f"<tr>{_number(None)}{_code(row, 3)}</tr>")
            else:
                out.append(f"<tr>{_number(row.old)}{_code(row)}{_number(row.new)}{_code(row)}</tr>")
    flush()
    return out


# --- JSON -----------------------------------------------------------------------------------------


class _Literal(str):
    """A JSON number as written (1.50 stays 1.50, a 30-digit integer keeps every digit)."""


class _TooBig(Exception):
    pass


def json_view(source: str) -> tuple[str, bool]:
    """The document as a tree, or a notice and its text when it doesn't parse or is too big.
    Returns the HTML and whether it is a tree."""
    try:
        data = json.loads(source, parse_int=_Literal, parse_float=_Literal, parse_constant=_Literal)
    except (ValueError, RecursionError):
        return _notice(gettext("Not valid JSON (yet): shown as text.")) + code_block(_e(source)), False
    try:
        budget = [JSON_MAX_NODES]
        tree = f'<ul class="json-tree">{_json_item(None, data, last=True, depth=0, budget=budget)}</ul>'
    except (_TooBig, RecursionError):  # so deep it would exhaust the stack: too big as well
        return _notice(gettext("Too large to show as a tree: shown as text.")) + code_block(_e(source)), False
    return tree, True


def _json_value(value: Any) -> str:
    if value is None:
        return '<span class="json-null">null</span>'
    if isinstance(value, bool):
        return f'<span class="json-boolean">{"true" if value else "false"}</span>'
    if isinstance(value, _Literal):
        return f'<span class="json-number">{_e(value)}</span>'
    return f'<span class="json-string">{_e(json.dumps(value, ensure_ascii=False))}</span>'


def _json_item(key: str | None, value: Any, *, last: bool, depth: int, budget: list[int]) -> str:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    label = (
        f'<span class="json-key">{_e(json.dumps(key, ensure_ascii=False))}</span>: '
        if key is not None
        else ""
    )
    comma = "" if last else '<span class="json-punct">,</span>'
    if not isinstance(value, (dict, list)):
        return f'<li class="json-leaf">{label}{_json_value(value)}{comma}</li>'
    opening, closing = ("[", "]") if isinstance(value, list) else ("{", "}")
    if not value:
        return f'<li class="json-leaf">{label}<span class="json-punct">{opening}{closing}</span>{comma}</li>'
    count = len(value)
    shown = number_format(count, force_grouping=True)  # a count people read: localized
    if isinstance(value, list):
        counted = ngettext("%(count)s item", "%(count)s items", count) % {"count": shown}
        children = [(None, child) for child in value]
    else:
        counted = ngettext("%(count)s key", "%(count)s keys", count) % {"count": shown}
        children = list(value.items())
    items = "".join(
        _json_item(name, child, last=i == count - 1, depth=depth + 1, budget=budget)
        for i, (name, child) in enumerate(children)
    )
    is_open = " open" if depth < JSON_OPEN_DEPTH else ""
    summary = (
        f'<summary>{label}<span class="json-punct">{opening}</span>'
        f'<span class="json-collapsed">…{closing}{"" if last else ","}</span>'
        f'<span class="json-count">{_e(counted)}</span></summary>'
    )
    end = f'<div class="json-end"><span class="json-punct">{closing}</span>{comma}</div>'
    return f'<li><details class="json-node"{is_open}>{summary}<ul>{items}</ul>{end}</details></li>'


# --- Sources --------------------------------------------------------------------------------------


def sources_artifact(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The side panel's "Sources" view of a reply's help-center sources, as an artifact.

    ``sources`` are ``chat.services.grounding.shown_sources`` entries: a ``url`` of None (an article
    no longer published) is named but not linked, and only addresses on this site are linked.
    """
    items = []
    lines = []
    for source in sources:
        label = str(source.get("title", ""))
        if source.get("heading"):
            label += f" — {source['heading']}"
        url = source.get("url")
        if isinstance(url, str) and url.startswith("/") and not url.startswith(("//", "/\\")):
            items.append(f'<li><a href="{_e(url)}" target="_blank" rel="noopener">{_e(label)}</a></li>')
            lines.append(f"{label}: {url}")
        else:
            gone = gettext("no longer published")
            items.append(f'<li>{_e(label)} <span class="sidebar__sources-gone">({_e(gone)})</span></li>')
            lines.append(label)
    intro = _e(gettext("Javari answered from these help-center articles."))
    body = f'<p class="sidebar__sources-intro">{intro}</p><ul class="sidebar__sources">{"".join(items)}</ul>'
    return {
        "kind": "sources",
        "title": pgettext("help-center sources of a reply", "Sources"),
        "language": "",
        "content": "\n".join(lines),
        "html": body,
        "toolbar": "",
        "lines": len(lines),
        "auto_open": False,
    }
