"""Shortening and flattening text: never half a character, never Markdown's syntax."""

from __future__ import annotations

import pytest

from javari.text import graphemes, plain_text, truncate_graphemes

FLAG = "🇪🇸"  # two regional indicators
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # seven code points joined by ZWJ
ACCENTED = "e\u0301\u0302"  # a letter with two combining accents
THUMB = "👍🏽"  # an emoji and its skin-tone modifier


def test_short_text_is_kept_whole():
    assert truncate_graphemes("Hello", 5) == "Hello"
    assert truncate_graphemes(FAMILY * 3, 3) == FAMILY * 3


@pytest.mark.parametrize("character", [FLAG, FAMILY, ACCENTED, THUMB])
@pytest.mark.parametrize("prefix_length", range(0, 8))
def test_a_cut_never_splits_a_character(character, prefix_length):
    # Whatever lands at the cut, the result is the prefix plus whole characters and the ellipsis.
    text = "a" * prefix_length + character * 5
    for limit in range(1, 12):
        result = truncate_graphemes(text, limit)
        assert len(graphemes(result)) <= limit
        body = result.removesuffix("…")
        assert body == text[: len(body)]
        assert body.removeprefix("a" * min(prefix_length, len(body))).replace(character, "") == ""


def test_a_flag_at_the_cut_is_kept_or_dropped_whole():
    text = "x" * 58 + FLAG + "y" * 10
    assert truncate_graphemes(text, 60) == "x" * 58 + FLAG + "…"
    assert truncate_graphemes(text, 59) == "x" * 58 + "…"


def test_a_zwj_family_at_the_cut_is_kept_or_dropped_whole():
    text = "x" * 58 + FAMILY + "y" * 10
    assert truncate_graphemes(text, 60) == "x" * 58 + FAMILY + "…"
    assert truncate_graphemes(text, 59) == "x" * 58 + "…"


def test_combining_accents_stay_on_their_letter():
    text = "x" * 58 + ACCENTED + "y" * 10
    assert truncate_graphemes(text, 60) == "x" * 58 + ACCENTED + "…"
    assert truncate_graphemes(text, 59) == "x" * 58 + "…"


def test_a_code_point_budget_is_kept_between_characters():
    # Ten families are ten characters but 70 code points: a 30-code-point column holds four.
    result = truncate_graphemes(FAMILY * 10, 60, max_length=30)
    assert result == FAMILY * 4 + "…"
    assert len(result) <= 30
    assert truncate_graphemes("abc", 60, max_length=3) == "abc"


def test_at_word_cuts_between_words_when_one_is_near():
    assert truncate_graphemes("How do I rotate my keys safely", 20, at_word=True) == "How do I rotate my…"
    # One long word: cut inside it rather than keep almost nothing.
    assert truncate_graphemes("a " + "b" * 40, 20, at_word=True) == "a " + "b" * 17 + "…"


def test_no_ellipsis_or_a_bad_limit():
    assert truncate_graphemes(FLAG * 5, 2, ellipsis="") == FLAG * 2
    with pytest.raises(ValueError, match="at least 1"):
        truncate_graphemes("abc", 0)


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("**bold** and _em_", "bold and em"),
        ("See [the docs](https://example.com) now", "See the docs now"),
        ("`code` ~~gone~~", "code gone"),
        ("# A heading\n\nA paragraph", "A heading\nA paragraph"),
        ("```python\nprint(1)\n```", "print(1)"),
        ("![a cat](https://example.com/cat.png)", "a cat"),
        ("- one\n- two", "one\ntwo"),
        ("> quoted **words**", "quoted words"),
        ("<b>raw</b> &amp; tags", "<b>raw</b> & tags"),
        ("line one\nline two", "line one\nline two"),
    ],
)
def test_plain_text_is_what_a_reader_sees(markdown, text):
    assert plain_text(markdown) == text
