"""javari/panel.py: the side panel's views (diff tables, JSON trees, code) rendered on the server."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.utils import translation

from javari.markdown import extract_artifacts
from javari.panel import JSON_MAX_NODES, diff_view, json_view, panel_views, parse_diff

DIFF = (
    "--- a/app/greet.py\n+++ b/app/greet.py\n@@ -1,5 +1,7 @@ def greet\n def greet(name: str) -> str:\n"
    '-    return "Hello " + name\n+    if not name:\n+        raise ValueError("a name, please")\n'
    '+    return f"Hello, {name}!"\n \n \n def main() -> None:\n'
)


def _rows(table: str) -> list[str]:
    """The body's rows of plain lines (not the header, file name or hunk rows)."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", table))
    return re.findall(r"<tr>(.*?)</tr>", body)


def _table(view: str, kind: str) -> str:
    match = re.search(rf'<table class="diff-table diff-{kind}">.*?</table>', view)
    assert match is not None
    return match.group(0)


class TestDiff:
    def test_files_hunks_and_line_numbers(self) -> None:
        [file] = parse_diff(DIFF)
        assert file.name == "app/greet.py"
        [hunk] = file.hunks
        assert hunk.header == "@@ -1,5 +1,7 @@ def greet"
        assert [(row.type, row.old, row.new) for row in hunk.rows] == [
            ("ctx", 1, 1),
            ("del", 2, None),
            ("add", None, 2),
            ("add", None, 3),
            ("add", None, 4),
            ("ctx", 3, 5),
            ("ctx", 4, 6),
            ("ctx", 5, 7),
        ]

    def test_side_by_side_pairs_removed_and_added_lines(self) -> None:
        split = _table(diff_view(DIFF), "split")
        rows = _rows(split)
        paired = [row for row in rows if "diff-code diff-del" in row]
        assert len(paired) == 1
        assert "diff-code diff-add" in paired[0]
        assert sum("diff-empty" in row for row in rows) == 2
        assert '<tr class="diff-file"><th colspan="4" scope="colgroup">app/greet.py</th></tr>' in split

    def test_unified_has_a_row_per_line(self) -> None:
        unified = _table(diff_view(DIFF), "unified")
        rows = _rows(unified)
        assert len(rows) == 8
        assert rows[-1] == (
            '<td class="diff-num diff-ctx">5</td><td class="diff-num diff-ctx">7</td>'
            '<td class="diff-code diff-ctx"><span class="diff-sign"> </span>def main() -&gt; None:</td>'
        )

    def test_the_holder_names_the_view_the_css_shows(self) -> None:
        assert diff_view(DIFF).startswith('<div class="sidebar__diff" tabindex="0" data-view="split">')

    def test_hunks_without_file_headers_have_numbers_and_no_name(self) -> None:
        [file] = parse_diff("@@ -10,2 +10,3 @@\n context\n+added\n more\n")
        assert file.name == ""
        assert [(row.type, row.old, row.new) for row in file.hunks[0].rows] == [
            ("ctx", 10, 10),
            ("add", None, 11),
            ("ctx", 11, 12),
        ]

    def test_a_hand_written_or_cut_short_diff_is_shown_unnumbered(self) -> None:
        for source in ("-old\n+new\n", "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-old\n"):
            [file] = parse_diff(source)
            [hunk] = file.hunks
            assert [row.type for row in hunk.rows][:1] == ["del"]
            assert all(row.old is None and row.new is None for row in hunk.rows)

    def test_new_file_and_no_newline_note(self) -> None:
        source = (
            "diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n"
            "@@ -0,0 +1 @@\n+hi\n\\ No newline at end of file\n"
        )
        [file] = parse_diff(source)
        assert file.name == "x"
        assert [(row.type, row.text) for row in file.hunks[0].rows] == [
            ("add", "hi"),
            ("note", "\\ No newline at end of file"),
        ]

    def test_nothing_changed_says_so(self) -> None:
        assert "No changed lines in this diff." in diff_view("index 123..456\n")

    @pytest.mark.parametrize(
        "hostile",
        [
            "--- a/<img src=x onerror=alert(1)>\n+++ b/<img src=x onerror=alert(1)>\n"
            '@@ -1 +1 @@\n-<script>alert(1)</script>\n+"><svg onload=alert(1)>\n',
            '-<script>alert(1)</script>\n+<b onclick="x">\n',
        ],
    )
    def test_every_text_is_escaped(self, hostile: str) -> None:
        view = diff_view(hostile)
        assert "<script" not in view
        assert "<img" not in view
        assert "<svg" not in view
        assert "<b " not in view
        assert html.escape("<script>alert(1)</script>", quote=True) in view

    def test_the_toolbar_has_the_two_views_and_copy(self) -> None:
        _body, toolbar = panel_views("diff", language="diff", content=DIFF, code_html="")
        assert re.findall(r'data-diff-view="(\w+)"', toolbar) == ["split", "unified"]
        assert "data-sidebar-copy" in toolbar


class TestJson:
    def test_a_tree_open_two_levels_deep(self) -> None:
        document = {
            "name": "Javari",
            "version": 2,
            "features": {"chat": True, "sidebar": {"open": False}},
            "x": None,
        }
        tree, is_tree = json_view(json.dumps(document))
        assert is_tree
        assert tree.startswith('<ul class="json-tree"><li><details class="json-node" open>')
        assert tree.count("<details") == 3
        assert tree.count('<details class="json-node" open>') == 2  # the third level starts folded
        assert '<span class="json-string">&quot;Javari&quot;</span>' in tree
        assert '<span class="json-number">2</span>' in tree
        assert '<span class="json-boolean">true</span>' in tree
        assert '<span class="json-null">null</span>' in tree
        assert '<span class="json-count">4 keys</span>' in tree

    def test_numbers_as_written(self) -> None:
        tree, _ = json_view("[1.50, 123456789012345678901234567890, -0, 1e3]")
        assert re.findall(r'<span class="json-number">([^<]*)</span>', tree) == [
            "1.50",
            "123456789012345678901234567890",
            "-0",
            "1e3",
        ]

    def test_counts_are_translated_and_localized(self) -> None:
        with translation.override("es"):
            tree, _ = json_view(json.dumps({"items": list(range(1200)), "a": 1}))
        assert '<span class="json-count">2 claves</span>' in tree
        assert '<span class="json-count">1.200 elementos</span>' in tree

    def test_not_json_yet_is_text_with_a_notice(self) -> None:
        view, is_tree = json_view('{"a": [1, <b>')
        assert not is_tree
        assert "Not valid JSON (yet): shown as text." in view
        assert "<code>{&quot;a&quot;: [1, &lt;b&gt;</code>" in view

    def test_too_big_or_too_deep_is_text_with_a_notice(self) -> None:
        for source in (json.dumps(list(range(JSON_MAX_NODES + 1))), "[" * 100_000 + "]" * 100_000):
            view, is_tree = json_view(source)
            assert not is_tree
            assert "Too large to show as a tree: shown as text." in view or "Not valid JSON" in view

    def test_hostile_keys_and_values_are_escaped(self) -> None:
        tree, _ = json_view(json.dumps({"<script>": "</span><img src=x onerror=alert(1)>"}))
        assert "<script" not in tree
        assert "<img" not in tree

    def test_the_toolbar_folds_only_a_tree(self) -> None:
        _body, toolbar = panel_views("json", language="json", content="[1]", code_html="")
        assert "data-json-expand" in toolbar
        assert "data-json-collapse" in toolbar
        _body, toolbar = panel_views("json", language="json", content="[1", code_html="")
        assert "data-json-expand" not in toolbar
        assert "data-sidebar-copy" in toolbar


def test_code_is_the_highlighted_html_in_a_focusable_block() -> None:
    [artifact] = extract_artifacts("```python\ndef f():\n    return 1\n```")
    assert artifact["html"].startswith('<pre class="highlight sidebar__code" tabindex="0"><code>')
    assert '<span class="k">def</span>' in artifact["html"]
    assert artifact["toolbar"].startswith('<span class="sidebar__meta">python</span>')
