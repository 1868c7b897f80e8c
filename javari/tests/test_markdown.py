"""Markdown rendering: nothing unsafe reaches the page, code is highlighted, and the artifacts the side
panel shows agree with the rendered code blocks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.utils import translation

from javari.markdown import (
    AUTO_OPEN_CODE_LINES,
    HIGHLIGHT_MAX_CHARS,
    extract_artifacts,
    is_allowed_image_url,
    render_markdown,
    render_with_artifacts,
)


class _Elements(HTMLParser):
    """Every start tag of a fragment as (tag, attributes): assertions on what the browser would build."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


def _fence(language: str, lines: int) -> str:
    body = "\n".join(f"x = {n}" for n in range(lines))
    return f"```{language}\n{body}\n```\n"


def _assert_no_active_content(rendered: str) -> None:
    elements = _Elements(rendered)
    assert not elements.tags("script")
    assert not elements.tags("iframe")
    assert not elements.tags("style")
    for tag, attrs in elements.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in ("href", "src"):
                assert not re.match(r"\s*(javascript|vbscript|data):", value or "", re.I), (tag, value)


class TestItIsSafe:
    def test_it_shows_raw_html_as_text(self) -> None:
        rendered = render_markdown("Hi <script>alert(1)</script> and <b>bold</b>")
        _assert_no_active_content(rendered)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
        assert not _Elements(rendered).tags("b")

    def test_it_drops_event_handlers(self) -> None:
        rendered = render_markdown('<img src="x" onerror="alert(1)">\n\n<div onclick="x()">hi</div>')
        _assert_no_active_content(rendered)
        assert not _Elements(rendered).tags("img")

    @pytest.mark.parametrize(
        "link",
        [
            "[a](javascript:alert(1))",
            "[a](JaVaScRiPt:alert(1))",
            "[a](java&#115;cript:alert(1))",
            "[a](  javascript:alert(1) )",
            "<javascript:alert(1)>",
            "[a](vbscript:msgbox(1))",
            "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "[a](data:image/png;base64,iVBORw0KGgo=)",
            "[a][ref]\n\n[ref]: javascript:alert(1)",
        ],
    )
    def test_it_never_links_to_script_or_data(self, link: str) -> None:
        rendered = render_markdown(link)
        _assert_no_active_content(rendered)
        assert all(
            not (a.get("href") or "").strip().lower().startswith(("javascript", "data"))
            for a in _Elements(rendered).tags("a")
        )

    def test_it_has_no_style_attributes_even_on_aligned_tables(self) -> None:
        rendered = render_markdown("| left | right |\n|:-----|------:|\n| 1 | 2 |\n")
        _assert_no_active_content(rendered)
        cells = _Elements(rendered).tags("td")
        assert [cell.get("class") for cell in cells] == ["align-left", "align-right"]

    def test_it_escapes_html_inside_a_fence(self) -> None:
        rendered = render_markdown("```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```")
        _assert_no_active_content(rendered)
        assert not _Elements(rendered).tags("img")
        assert "alert(1)" in rendered  # shown as text

    def test_a_closing_code_tag_inside_a_fence_stays_text(self) -> None:
        rendered = render_markdown("```\n</code></pre><script>alert(1)</script>\n```\n\nafter")
        _assert_no_active_content(rendered)
        elements = _Elements(rendered)
        assert len(elements.tags("pre")) == 1
        assert "&lt;/code&gt;&lt;/pre&gt;" in rendered
        assert "<p>after</p>" in rendered

    def test_links_out_open_in_a_new_tab_without_referrer(self) -> None:
        rendered = render_markdown(
            "[out](https://example.com/a) and [in](/settings/) and [mail](mailto:a@b.org)"
        )
        links = {a["href"]: a for a in _Elements(rendered).tags("a")}
        assert links["https://example.com/a"]["target"] == "_blank"
        assert "target" not in links["/settings/"]
        for link in links.values():
            assert set((link.get("rel") or "").split()) == {"noopener", "noreferrer", "nofollow"}

    def test_no_iframe_ever(self) -> None:
        rendered = render_markdown('<iframe src="https://example.com"></iframe>\n\n```\n<iframe>\n```')
        _assert_no_active_content(rendered)


class TestItRendersMarkdown:
    def test_tables(self) -> None:
        rendered = render_markdown("| Name | Qty |\n| --- | --- |\n| apple | 3 |\n| pear | 5 |\n")
        elements = _Elements(rendered)
        assert len(elements.tags("table")) == 1
        assert len(elements.tags("tr")) == 3
        assert [attrs.get("class") for attrs in elements.tags("div")] == ["table-scroll"]

    def test_strikethrough_lists_and_emphasis(self) -> None:
        rendered = render_markdown("~~gone~~ **bold** *em* `code`\n\n1. one\n2. two\n")
        elements = _Elements(rendered)
        for tag in ("s", "strong", "em", "code", "ol", "li"):
            assert elements.tags(tag), tag

    def test_a_fence_is_highlighted_in_a_code_block_with_copy_and_panel_buttons(self) -> None:
        rendered = render_markdown("```python\ndef greet(name):\n    return name\n```\n")
        elements = _Elements(rendered)
        wrapper = next(d for d in elements.tags("div") if d.get("class") == "code-block")
        assert wrapper["data-language"] == "python"
        assert wrapper["data-artifact"] == "0"
        buttons = {b["class"]: b for b in elements.tags("button")}
        assert "data-copy" in buttons["copy-button"]
        assert buttons["copy-button"]["type"] == "button"
        assert buttons["copy-button"]["data-copied"] == "Copied"
        assert buttons["open-artifact"]["data-open-artifact"] == "0"
        assert elements.tags("pre") == [
            {
                "class": "highlight",
                "tabindex": "0",
                "role": "region",
                "aria-label": "Code block: Python · 2 lines",
            }
        ]
        span_classes = {attrs.get("class") for attrs in elements.tags("span")}
        assert "k" in span_classes  # `def`, a keyword, in Pygments' short class names
        assert "code-block__lang" in span_classes

    def test_button_labels_are_translated(self) -> None:
        with translation.override("es"):
            rendered = render_markdown("```\nx\n```")
        assert ">Copiar</button>" in rendered
        assert ">Abrir en el panel</button>" in rendered
        assert 'data-copied="Copiado"' in rendered

    def test_an_unknown_or_missing_language_falls_back_to_plain_text(self) -> None:
        for source in ("```no-such-language\nplain <b>\n```", "```\nplain <b>\n```"):
            rendered = render_markdown(source)
            elements = _Elements(rendered)
            assert elements.tags("pre")
            assert "plain &lt;b&gt;" in rendered
            assert not [s for s in elements.tags("span") if s.get("class") != "code-block__lang"]
        assert extract_artifacts("```no-such-language\nx\n```")[0]["title"] == "no-such-language · 1 line"
        assert extract_artifacts("```\nx\n```")[0]["title"] == "Code · 1 line"

    def test_a_half_written_fence_renders_as_a_code_block_so_far(self) -> None:
        text = "Here you go:\n\n```python\ndef f():\n    return 1"
        rendered = render_markdown(text)
        elements = _Elements(rendered)
        assert len(elements.tags("pre")) == 1
        assert "Here you go:" in rendered
        assert "return" in rendered
        [artifact] = extract_artifacts(text)
        assert artifact["kind"] == "code"
        assert artifact["content"] == "def f():\n    return 1"
        # The fence opener itself, half typed, is no problem either.
        for partial in ("```", "``", "```py", "Text\n\n```js\n"):
            _assert_no_active_content(render_markdown(partial))

    def test_code_past_the_highlighting_limit_is_shown_escaped_not_highlighted(self) -> None:
        # What bounds the cost of a long reply (a timing belongs in bench/, not in a test).
        line = "value = compute(1, '<text>')  # note"
        long_code = "\n".join([line] * (HIGHLIGHT_MAX_CHARS // len(line) + 1))
        [long] = extract_artifacts(f"```python\n{long_code}\n```")
        assert len(long["content"]) > HIGHLIGHT_MAX_CHARS
        assert "<span" not in long["html"]
        assert "&lt;text&gt;" in long["html"]
        [short] = extract_artifacts(f"```python\n{line}\n```")
        assert '<span class="n">value</span>' in short["html"]


class TestKeyboardReachesWhatScrolls:
    def test_a_code_block_is_a_focusable_labelled_region(self) -> None:
        rendered = render_markdown("```python\n" + "x = 1\n" * 7 + "```\n\n```\n[1, 2]\n```")
        blocks = _Elements(rendered).tags("pre")
        assert [(pre["tabindex"], pre["role"]) for pre in blocks] == [("0", "region"), ("0", "region")]
        assert [pre["aria-label"] for pre in blocks] == ["Code block: Python · 7 lines", "Code block: JSON"]

    def test_a_half_written_fence_is_reachable_too(self) -> None:
        [pre] = _Elements(render_markdown("```js\nconsole.log(")).tags("pre")
        assert pre["tabindex"] == "0"

    def test_the_label_is_translated_and_escaped(self) -> None:
        with translation.override("es"):
            [pre] = _Elements(render_markdown("```\nx\n```")).tags("pre")
        assert pre["aria-label"] == "Bloque de código: Código · 1 línea"
        [pre] = _Elements(render_markdown('```"><script>\nx\n```')).tags("pre")
        _assert_no_active_content(render_markdown('```"><script>\nx\n```'))
        assert pre["aria-label"].startswith("Code block: ")

    def test_a_wide_table_is_a_focusable_labelled_region(self) -> None:
        rendered = render_markdown("| a | b |\n| - | - |\n| 1 | 2 |\n")
        [wrapper] = _Elements(rendered).tags("div")
        assert wrapper == {"class": "table-scroll", "tabindex": "0", "role": "region", "aria-label": "Table"}

    def test_the_sanitiser_lets_through_only_these_values(self) -> None:
        from javari.markdown import _cleaner

        cleaned = _cleaner()(
            '<pre tabindex="-1" role="button" aria-label="x">a</pre><div tabindex="5" role="alert">b</div>'
        )
        elements = _Elements(cleaned)
        assert elements.tags("pre") == [{"aria-label": "x"}]
        assert elements.tags("div") == [{}]


class TestArtifacts:
    def test_code_opens_the_panel_only_past_the_threshold(self) -> None:
        assert AUTO_OPEN_CODE_LINES == 5
        [short] = extract_artifacts(_fence("python", 5))
        [long] = extract_artifacts(_fence("python", 6))
        assert (short["kind"], short["lines"], short["auto_open"]) == ("code", 5, False)
        assert (long["kind"], long["lines"], long["auto_open"]) == ("code", 6, True)
        assert long["title"] == "Python · 6 lines"
        assert long["language"] == "python"
        assert long["content"] == "\n".join(f"x = {n}" for n in range(6)) + "\n"
        assert '<span class="n">x</span>' in long["html"]

    def test_artifacts_are_json_serialisable_with_every_key(self) -> None:
        text = (
            _fence("js", 2) + "```diff\n-a\n+b\n```\n" + '```json\n{"a": 1}\n```\n' + "![cat](/media/cat.png)"
        )
        artifacts = extract_artifacts(text)
        assert json.loads(json.dumps(artifacts)) == artifacts
        for artifact in artifacts:
            assert set(artifact) == {
                "kind",
                "title",
                "language",
                "content",
                "html",
                "toolbar",
                "lines",
                "auto_open",
            }
        assert [a["kind"] for a in artifacts] == ["code", "diff", "json", "image"]

    def test_a_diff_by_its_language(self) -> None:
        for language in ("diff", "patch"):
            [artifact] = extract_artifacts(f"```{language}\n-old\n+new\n```")
            assert artifact["kind"] == "diff"
            assert artifact["auto_open"] is True
            assert artifact["title"] == "Diff"
            # The panel's view: the diff's tables, rendered on the server (javari/panel.py).
            assert (
                '<td class="diff-code diff-del"><span class="diff-sign">-</span>old</td>' in artifact["html"]
            )
            assert (
                '<td class="diff-code diff-add"><span class="diff-sign">+</span>new</td>' in artifact["html"]
            )

    def test_a_diff_by_its_content(self) -> None:
        diff = (
            "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-x = 1\n+x = 2\n y = 3\n"
            "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-a\n+b\n"
        )
        [artifact] = extract_artifacts(f"```\n{diff}```")
        assert artifact["kind"] == "diff"
        assert artifact["auto_open"] is True
        assert artifact["title"] == "Diff · 2 files"
        assert artifact["language"] == "diff"
        [hunks_only] = extract_artifacts("```text\n@@ -10,3 +10,4 @@\n context\n+added\n```")
        assert hunks_only["kind"] == "diff"

    def test_code_that_merely_mentions_dashes_is_not_a_diff(self) -> None:
        [artifact] = extract_artifacts("```python\nprint('--- a')\nprint('+++ b')\n```")
        assert artifact["kind"] == "code"
        [plain] = extract_artifacts("```\n--- not a header\nsome text\n```")
        assert plain["kind"] == "code"

    def test_json_by_language_or_content(self) -> None:
        [labelled] = extract_artifacts('```json\n{"name": "Javari", "tags": [1, 2]}\n```')
        assert (labelled["kind"], labelled["title"], labelled["auto_open"]) == ("json", "JSON", True)
        assert labelled["html"].startswith('<ul class="json-tree">')
        [unlabelled] = extract_artifacts("```\n[1, 2, 3]\n```")
        assert unlabelled["kind"] == "json"
        assert unlabelled["language"] == "json"

    def test_invalid_json_without_a_language_is_code(self) -> None:
        for content in ('{"a": 1,}', "{'a': 1}", "[1, 2", "42", '"just a string"'):
            [artifact] = extract_artifacts(f"```\n{content}\n```")
            assert artifact["kind"] == "code", content
        # Labelled json stays JSON while it is half written (the panel shows it as text until it parses).
        [streaming] = extract_artifacts('```json\n{"a": [1,')
        assert streaming["kind"] == "json"

    def test_images_load_only_from_this_site_unless_a_host_is_allowed(self) -> None:
        text = (
            "![site](/media/b.png) ![web](https://example.com/a.png) ![plain](http://example.com/c.png)\n"
            "![data](data:image/png;base64,iVBORw0KGgo=) ![file](file:///etc/passwd) "
            "![other](//evil.example/x.png) ![relative](images/x.png) ![js](javascript:alert(1))"
        )
        artifacts = extract_artifacts(text)
        assert [(a["kind"], a["title"], a["content"], a["auto_open"]) for a in artifacts] == [
            ("image", "site", "/media/b.png", False),
        ]
        rendered = render_markdown(text)
        elements = _Elements(rendered)
        assert [img["src"] for img in elements.tags("img")] == ["/media/b.png"]
        # An image elsewhere on the web, which the CSP would block, is a link to it instead.
        links = {a["href"]: a for a in elements.tags("a")}
        assert set(links) == {"https://example.com/a.png", "http://example.com/c.png"}
        assert links["https://example.com/a.png"]["target"] == "_blank"
        assert '<a href="https://example.com/a.png"' in rendered
        assert ">web</a>" in rendered
        # The others are shown as their alt text.
        assert "data" in rendered
        assert "other" in rendered
        assert not is_allowed_image_url("/\\evil.example/x.png")
        assert not is_allowed_image_url("https://example.com/a.png")

    @pytest.mark.parametrize(
        ("url", "allowed"),
        [
            ("/media/cat.png", True),
            ("/static/img/javari.svg", True),
            ("/media/../accounts/security/", False),
            ("/", False),
            ("/accounts/security/", False),  # would use up a new API key's one showing
            ("/billing/return/?status=success&session_id=cs_1", False),  # would call Stripe
            ("/chat/", False),
            ("//evil.example/media/x.png", False),
            ("/media\\..\\accounts/", False),
        ],
    )
    def test_only_this_sites_files_load_as_images(self, url: str, allowed: bool) -> None:
        # An image is a GET the reader's browser sends signed in: only files, never a page or an action.
        assert is_allowed_image_url(url) is allowed
        rendered = render_markdown(f"![x]({url})")
        assert bool(_Elements(rendered).tags("img")) is allowed

    def test_an_image_without_alt_text_links_with_its_address(self) -> None:
        rendered = render_markdown("![](https://example.com/a.png)")
        assert not _Elements(rendered).tags("img")
        assert ">https://example.com/a.png</a>" in rendered

    def test_hosts_the_deployment_allows_load_over_https(self, settings) -> None:
        settings.CSP_IMAGE_HOSTS = ["images.example.com", "*.cdn.example.org"]
        text = (
            "![a](https://images.example.com/a.png) ![b](https://x.cdn.example.org/b.png) "
            "![c](http://images.example.com/c.png) ![d](https://cdn.example.org/d.png) "
            "![e](https://images.example.com.evil.example/e.png)"
        )
        rendered, artifacts = render_with_artifacts(text)
        assert [img["src"] for img in _Elements(rendered).tags("img")] == [
            "https://images.example.com/a.png",
            "https://x.cdn.example.org/b.png",
        ]
        assert [a["content"] for a in artifacts] == [
            "https://images.example.com/a.png",
            "https://x.cdn.example.org/b.png",
        ]
        assert [a["href"] for a in _Elements(rendered).tags("a")] == [
            "http://images.example.com/c.png",
            "https://cdn.example.org/d.png",
            "https://images.example.com.evil.example/e.png",
        ]
        settings.CSP_IMAGE_HOSTS = []
        assert not _Elements(render_markdown(text)).tags("img")  # the setting is part of the cache key

    def test_titles_are_translated(self) -> None:
        with translation.override("es"):
            artifacts = extract_artifacts(_fence("python", 1) + _fence("", 3) + "```diff\n+++ b/x\n+a\n```")
        assert [a["title"] for a in artifacts] == [
            "Python · 1 línea",
            "Código · 3 líneas",
            "Cambios · 1 archivo",
        ]

    def test_the_indexes_in_the_html_match_the_artifact_list(self) -> None:
        text = (
            "![first](/media/1.png)\n\n"
            + _fence("python", 7)
            + "\n- a list item with ![second](/media/2.png)\n\n"
            + '> ```json\n> {"quoted": true}\n> ```\n\n'
            + "```diff\n-a\n+b\n```\n"
            + "```rust\nfn main() {}"
        )
        rendered, artifacts = render_with_artifacts(text)
        assert artifacts == extract_artifacts(text)
        assert render_markdown(text) == rendered
        assert [a["kind"] for a in artifacts] == ["image", "code", "image", "json", "diff", "code"]
        elements = _Elements(rendered)
        blocks = [d for d in elements.tags("div") if d.get("class") == "code-block"]
        indexes = [int(block["data-artifact"] or "") for block in blocks]
        assert indexes == [1, 3, 4, 5]
        buttons = [
            int(b["data-open-artifact"] or "") for b in elements.tags("button") if "data-open-artifact" in b
        ]
        assert buttons == indexes
        for block, index in zip(blocks, indexes, strict=True):
            assert artifacts[index]["kind"] in ("code", "diff", "json")
            assert block["data-language"] == artifacts[index]["language"]

    def test_an_empty_text_has_nothing(self) -> None:
        assert render_markdown("") == ""
        assert extract_artifacts("") == []
