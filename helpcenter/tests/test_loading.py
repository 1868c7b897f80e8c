"""The article loader (``manage.py load_help_articles``): files in, articles out, staff edits kept."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from helpcenter.models import Article
from helpcenter.services import LoadError, load_articles
from helpcenter.services.loading import CONTENT_DIR

pytestmark = pytest.mark.django_db

EN = """---
slug: {slug}
category: settings
order: 3
title: API keys
summary: Create and revoke keys.
tags: [api, keys]
keywords: [token, secret key]
---
Intro.

## Create a key
Open **Security & Keys**.
"""

ES = """---
slug: {slug}
category: settings
order: 3
title: Claves de API
summary: Crea y revoca claves.
tags: [api, claves]
keywords: token, clave secreta
---
Introducción.

## Crear una clave
Abre **Seguridad y claves**.
"""


def translated(obj: object, *names: str) -> tuple:
    """modeltranslation's fields (``title_en``…), which the type checker doesn't know."""
    return tuple(getattr(obj, name) for name in names)


def write(directory: Path, language: str, slug: str, text: str) -> Path:
    path = directory / language / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    write(tmp_path, "en", "api-keys", EN.format(slug="api-keys"))
    write(tmp_path, "es", "api-keys", ES.format(slug="api-keys"))
    return tmp_path


def test_it_creates_missing_articles_in_both_languages(content: Path) -> None:
    result = load_articles(directory=content)
    assert (result.created, result.updated, result.unchanged, result.kept) == (1, 0, 0, 0)
    article = Article.objects.get(slug="api-keys")
    assert translated(article, "title_en", "title_es") == ("API keys", "Claves de API")
    assert translated(article, "summary_en", "summary_es") == (
        "Create and revoke keys.",
        "Crea y revoca claves.",
    )
    assert translated(article, "content_en")[0].startswith("Intro.\n\n## Create a key")
    assert translated(article, "content_es")[0].startswith("Introducción.")
    assert translated(article, "tags_en", "tags_es") == ("api, keys", "api, claves")
    assert translated(article, "search_keywords_en", "search_keywords_es") == (
        "token, secret key",
        "token, clave secreta",
    )
    assert (article.category.slug, article.order, article.is_published) == ("settings", 3, True)


def test_running_it_again_changes_nothing(content: Path) -> None:
    load_articles(directory=content)
    result = load_articles(directory=content)
    assert (result.created, result.unchanged) == (0, 1)


def test_without_update_it_never_overwrites_an_edited_article(content: Path) -> None:
    load_articles(directory=content)
    Article.objects.filter(slug="api-keys").update(title_en="Edited by staff", is_published=False)
    result = load_articles(directory=content)
    assert (result.kept, result.updated) == (1, 0)
    article = Article.objects.get(slug="api-keys")
    assert translated(article, "title_en", "is_published") == ("Edited by staff", False)


def test_with_update_it_overwrites_changed_articles_but_not_their_published_state(content: Path) -> None:
    load_articles(directory=content)
    Article.objects.filter(slug="api-keys").update(title_en="Edited by staff", is_published=False)
    result = load_articles(directory=content, update=True)
    assert result.updated == 1
    article = Article.objects.get(slug="api-keys")
    assert translated(article, "title_en", "is_published") == ("API keys", False)


@pytest.mark.parametrize(
    ("language", "text", "reason"),
    [
        ("en", "no front matter\n", "no front matter"),
        ("en", "---\nslug: api-keys\n", "no closing"),
        ("en", "---\nslug: [unclosed\n---\nBody\n", "bad YAML"),
        ("en", "---\n- a list\n---\nBody\n", "not a mapping"),
        ("en", EN.format(slug="api-keys").replace("title: API keys\n", ""), "no 'title'"),
        ("en", EN.format(slug="other-name"), "not the file's name"),
        ("en", EN.format(slug="api-keys").replace("category: settings", "category: nowhere"), "differs"),
        ("es", ES.format(slug="api-keys").replace("order: 3", "order: 4"), "'order' differs"),
        ("en", EN.format(slug="api-keys").split("---\nIntro")[0] + "---\n  \n", "no text"),
        ("en", EN.format(slug="api-keys").replace("title: API keys", "title: " + "x" * 201), "title_en"),
        ("en", EN.format(slug="api-keys").replace("tags: [api, keys]", "tags: {a: 1}"), "text or a list"),
    ],
)
def test_a_bad_file_is_an_error_naming_it_and_nothing_is_written(
    content: Path, language: str, text: str, reason: str
) -> None:
    write(content, "en", "another", EN.format(slug="another"))
    write(content, "es", "another", ES.format(slug="another"))
    path = write(content, language, "api-keys", text)
    with pytest.raises(LoadError) as error:
        load_articles(directory=content)
    assert str(path) in str(error.value) or "api-keys" in str(error.value)
    assert reason in str(error.value)
    assert not Article.objects.exists()


def test_an_unknown_category_is_an_error(content: Path) -> None:
    write(content, "en", "api-keys", EN.format(slug="api-keys").replace("settings", "nowhere"))
    write(content, "es", "api-keys", ES.format(slug="api-keys").replace("settings", "nowhere"))
    with pytest.raises(LoadError, match="unknown category 'nowhere'"):
        load_articles(directory=content)


def test_a_missing_language_is_an_error(content: Path) -> None:
    (content / "es" / "api-keys.md").unlink()
    with pytest.raises(LoadError, match="no es version"):
        load_articles(directory=content)


def test_a_file_that_is_not_utf8_is_an_error(content: Path) -> None:
    (content / "en" / "api-keys.md").write_bytes(b"---\nslug: api-keys\n\xff\xfe\n---\n")
    with pytest.raises(LoadError, match="unreadable"):
        load_articles(directory=content)


def test_the_command_prints_counts(content: Path) -> None:
    out = StringIO()
    call_command("load_help_articles", directory=content, stdout=out)
    assert "1 created, 0 updated, 0 unchanged, 0 kept as edited" in out.getvalue()
    Article.objects.filter(slug="api-keys").update(title_en="Edited")
    call_command("load_help_articles", directory=content, stdout=out)
    assert "1 kept as edited (use --update to overwrite them)" in out.getvalue()
    call_command("load_help_articles", "--update", directory=content, stdout=out)
    assert "0 created, 1 updated" in out.getvalue()


def test_the_command_turns_a_bad_file_into_a_command_error(content: Path) -> None:
    write(content, "en", "api-keys", "nothing\n")
    with pytest.raises(CommandError, match=r"api-keys\.md: no front matter"):
        call_command("load_help_articles", directory=content, stdout=StringIO())


def test_the_repositorys_own_content_loads() -> None:
    """Every article written under helpcenter/content/ loads (the demo seed loads them)."""
    result = load_articles(directory=CONTENT_DIR)
    english = sorted(path.stem for path in (CONTENT_DIR / "en").glob("*.md"))
    assert result.created == len(english)
    assert sorted(Article.objects.values_list("slug", flat=True)) == english


def test_the_demo_seed_loads_the_articles() -> None:
    call_command("seed_demo", stdout=StringIO())
    english = sorted(path.stem for path in (CONTENT_DIR / "en").glob("*.md"))
    assert sorted(Article.objects.values_list("slug", flat=True)) == english
