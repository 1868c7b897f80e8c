"""Template source checks that Django itself doesn't make.

A ``{# … #}`` comment ends on its own line: Django's lexer only recognises the single-line form,
so one spread over two lines is printed to the page as text (the bell's once was, in the header).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
NOT_OURS = {".venv", "var", "node_modules", "test-artifacts"}


def _project_templates() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("*.html") if "templates" in path.parts and not NOT_OURS & set(path.parts)
    )


def test_there_are_templates_to_check() -> None:
    assert len(_project_templates()) > 50


def test_every_comment_tag_closes_on_its_own_line() -> None:
    unclosed = []
    for path in _project_templates():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            rest = line
            while "{#" in rest:
                rest = rest.split("{#", 1)[1]
                if "#}" not in rest:
                    unclosed.append(f"{path.relative_to(ROOT)}:{number}")
                    break
                rest = rest.split("#}", 1)[1]
    assert unclosed == [], "use {% comment %} for comments over several lines: " + ", ".join(unclosed)
