"""Articles cut into sections: headings, anchors the page shares, plain text, long sections split."""

from __future__ import annotations

from javari.retrieval.chunking import Section, heading_anchor, heading_anchors, split_sections


def test_the_intro_is_a_section_with_no_heading():
    sections = split_sections("Welcome to **Javari**.\n\n## Credits\nYou get 100 credits.\n")
    assert sections == [
        Section(heading="", anchor="", text="Welcome to Javari."),
        Section(heading="Credits", anchor="credits", text="You get 100 credits."),
    ]


def test_an_article_with_no_headings_is_one_section():
    sections = split_sections("Just a paragraph.\n\nAnd another one.")
    assert sections == [Section(heading="", anchor="", text="Just a paragraph.\nAnd another one.")]


def test_empty_markdown_has_no_sections():
    assert split_sections("") == []
    assert split_sections("   \n\n") == []


def test_h3_starts_a_section_but_h1_and_h4_stay_text():
    sections = split_sections("# Big\n## Two\nA.\n### Three\nB.\n#### Four\nC.\n")
    assert [(s.heading, s.text) for s in sections] == [("", "Big"), ("Two", "A."), ("Three", "B.\nFour\nC.")]


def test_duplicate_headings_get_numbered_anchors():
    sections = split_sections("## Steps\nOne.\n## Steps\nTwo.\n## Steps\nThree.\n")
    assert [s.anchor for s in sections] == ["steps", "steps-2", "steps-3"]


def test_a_hash_line_inside_a_code_block_is_code_not_a_heading():
    markdown = "## Setup\nRun this:\n\n```bash\n# install it\npip install javari\n```\n\n"
    markdown += "    ## indented code\n"
    sections = split_sections(markdown)
    assert len(sections) == 1
    assert sections[0].heading == "Setup"
    assert "# install it\npip install javari" in sections[0].text
    assert "## indented code" in sections[0].text


def test_markdown_syntax_is_stripped():
    markdown = (
        "## Using `/v1/chat` *fast*\n"
        "Open [the settings](/settings/) and press **Save**. ![A gear icon](/static/gear.png)\n\n"
        "- first item\n- second ~~old~~ item\n\n"
        "| Plan | Credits |\n|---|---|\n| Pro | 1,000 |\n"
    )
    section = split_sections(markdown)[0]
    assert section.heading == "Using /v1/chat fast"
    assert section.anchor == "using-v1chat-fast"
    assert section.text == (
        "Open the settings and press Save. A gear icon\n"
        "first item\nsecond old item\nPlan | Credits\nPro | 1,000"
    )


def test_raw_html_is_kept_as_text_not_markup():
    section = split_sections("## X\n<script>alert(1)</script> hello\n")[0]
    assert section.text == "<script>alert(1)</script> hello"


def test_a_heading_with_no_text_under_it_is_left_out_but_keeps_its_anchor():
    sections = split_sections("## Setup\n### Setup\nDo it.\n")
    assert sections == [Section(heading="Setup", anchor="setup-2", text="Do it.")]


def test_a_long_section_is_split_on_paragraphs_keeping_the_heading():
    paragraphs = [f"Paragraph {n} " + "word " * 60 for n in range(10)]  # 311 characters each
    sections = split_sections("## Long\n" + "\n\n".join(paragraphs), max_chars=1_200)
    assert len(sections) == 4  # three paragraphs a part (935 characters), the fourth would pass 1,200
    assert all(s.heading == "Long" and s.anchor == "long" for s in sections)
    assert all(len(s.text) <= 1_200 for s in sections)
    assert sections[0].text.startswith("Paragraph 0 ")
    assert sections[1].text.startswith("Paragraph 3 ")  # cut between paragraphs, not inside one
    assert "\n".join(s.text for s in sections).count("Paragraph") == 10


def test_one_huge_paragraph_is_cut_at_spaces():
    sections = split_sections("## Huge\n" + "abcdefghi " * 500, max_chars=1_200)
    assert len(sections) == 5
    assert all(len(s.text) <= 1_200 for s in sections)
    assert all(word == "abcdefghi" for s in sections for word in s.text.split())


def test_heading_anchor_slugifies_and_deduplicates():
    seen: set[str] = set()
    assert heading_anchor("Primera sección", seen) == "primera-seccion"
    assert heading_anchor("Primera sección", seen) == "primera-seccion-2"
    assert heading_anchor("¿Qué es un crédito?", seen) == "que-es-un-credito"
    assert heading_anchor("¿?", seen) == "section"
    assert heading_anchor("", seen) == "section-2"
    assert seen == {"primera-seccion", "primera-seccion-2", "que-es-un-credito", "section", "section-2"}


def test_heading_anchor_skips_a_number_a_literal_heading_took():
    seen: set[str] = set()
    anchors = [heading_anchor(text, seen) for text in ("Steps", "Steps 2", "Steps")]
    assert anchors == ["steps", "steps-2", "steps-3"]


def test_heading_anchor_is_bounded():
    assert len(heading_anchor("word " * 200, set())) <= 100


def test_heading_anchors_lists_the_page_headings_with_the_sections_anchors():
    markdown = "Intro.\n## Steps\nA.\n### Steps\nB.\n#### Deep\n## Other\nC.\n"
    headings = heading_anchors(markdown)
    assert [(h.level, h.text, h.anchor) for h in headings] == [
        (2, "Steps", "steps"),
        (3, "Steps", "steps-2"),
        (2, "Other", "other"),
    ]
    assert [s.anchor for s in split_sections(markdown) if s.anchor] == [h.anchor for h in headings]


def test_hostile_text_does_not_raise():
    for text in ("\x00## a\x00", "\ud800 ## \udfff", "#" * 100_000, "## " + "x" * 1_000_000):
        sections = split_sections(text)
        assert all(len(s.text) <= 1_200 for s in sections)
