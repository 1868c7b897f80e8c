"""Help articles from Markdown files into the database (``manage.py load_help_articles``).

The files are ``helpcenter/content/<language>/<slug>.md``, one per article and language, each with a
YAML front matter block (``slug``, ``category``, ``order``, ``title``, ``summary``, ``tags``,
``keywords``) between ``---`` lines, then the article's Markdown.

1. Every file of every language is read and checked first; any problem (unreadable YAML, a missing
   field, an unknown category, a language missing, a field too long) raises ``LoadError`` naming the
   file, and nothing is written.
2. In one transaction: an article missing from the database is created (published). An existing
   article whose text differs from its files is overwritten only with ``update=True``: without it,
   what staff edited in the admin is never lost.

Saving an article queues its re-indexing (helpcenter's post_save hook), after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from helpcenter.models import Article, Category

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
# The front matter fields that are translated, and the article field each fills.
TRANSLATED = {"title": "title", "summary": "summary", "tags": "tags", "keywords": "search_keywords"}
# Fields that must be the same in every language's file.
SHARED = ("category", "order")


class LoadError(Exception):
    """A content file that can't be loaded: ``str(error)`` names the file and says why."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class LoadResult:
    """How many articles were created, overwritten, already matched their files, or were kept as
    edited because ``update`` was off."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0


@dataclass(frozen=True)
class _Source:
    path: Path
    meta: dict[str, Any]
    body: str


def load_articles(*, directory: Path = CONTENT_DIR, update: bool = False) -> LoadResult:
    """Create the articles of ``directory``'s files that are missing; with ``update``, also overwrite
    those whose files differ. Raises ``LoadError`` (nothing written) for any bad file."""
    wanted = _read_all(directory)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    with transaction.atomic(durable=True):
        existing = {article.slug: article for article in Article.objects.filter(slug__in=wanted)}
        for slug, fields in sorted(wanted.items()):
            article = existing.get(slug)
            if article is None:
                Article.objects.create(slug=slug, is_published=True, **fields)
                counts["created"] += 1
            elif all(getattr(article, name) == value for name, value in fields.items()):
                counts["unchanged"] += 1
            elif update:
                for name, value in fields.items():
                    setattr(article, name, value)
                article.save()
                counts["updated"] += 1
            else:
                counts["kept"] += 1
    return LoadResult(**counts)


def _read_all(directory: Path) -> dict[str, dict[str, Any]]:
    """Every article's model fields by slug, checked (``LoadError`` for the first bad file)."""
    languages = [code for code, _name in settings.LANGUAGES]
    sources: dict[str, dict[str, _Source]] = {}
    for language in languages:
        for path in sorted((directory / language).glob("*.md")):
            source = _read(path)
            sources.setdefault(source.meta["slug"], {})[language] = source
    categories = {category.slug: category for category in Category.objects.all()}
    articles = {}
    for slug, by_language in sources.items():
        any_source = next(iter(by_language.values()))
        missing = [language for language in languages if language not in by_language]
        if missing:
            raise LoadError(any_source.path, f"no {', '.join(missing)} version ({missing[0]}/{slug}.md)")
        first = by_language[languages[0]]
        for source in by_language.values():
            for name in SHARED:
                if source.meta.get(name) != first.meta.get(name):
                    raise LoadError(source.path, f"{name!r} differs from {first.path.name} in {languages[0]}")
        category = categories.get(str(first.meta["category"]))
        if category is None:
            raise LoadError(first.path, f"unknown category {first.meta['category']!r}")
        order = first.meta.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise LoadError(first.path, "'order' must be a whole number, 0 or more")
        fields: dict[str, Any] = {"category": category, "order": order}
        for language, source in by_language.items():
            fields[f"content_{language}"] = source.body
            for key, field in TRANSLATED.items():
                fields[f"{field}_{language}"] = _text(source, key)
        _check(first.path, slug, fields)
        articles[slug] = fields
    return articles


def _read(path: Path) -> _Source:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(path, f"unreadable ({error})") from error
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise LoadError(path, "no front matter (the file must start with a '---' line)")
    end = text.find("\n---\n", 3)
    if end == -1:
        raise LoadError(path, "the front matter has no closing '---' line")
    try:
        meta = yaml.safe_load(text[4:end])
    except yaml.YAMLError as error:
        raise LoadError(path, f"bad YAML front matter ({error})") from error
    if not isinstance(meta, dict):
        raise LoadError(path, "the front matter is not a mapping of fields")
    for key in ("slug", "category", "title"):
        if not meta.get(key):
            raise LoadError(path, f"the front matter has no {key!r}")
    if str(meta["slug"]) != path.stem:
        raise LoadError(path, f"slug {meta['slug']!r} is not the file's name")
    body = text[end + len("\n---\n") :].strip() + "\n"
    if not body.strip():
        raise LoadError(path, "the article has no text")
    return _Source(path=path, meta=meta, body=body)


def _text(source: _Source, key: str) -> str:
    """A front matter field as the article stores it: lists (tags, keywords) comma-separated."""
    value = source.meta.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item).strip() for item in value if str(item).strip())
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    raise LoadError(source.path, f"{key!r} must be text or a list")


def _check(path: Path, slug: str, fields: dict[str, Any]) -> None:
    """The model's own validation (lengths, slug format), reported against the file."""
    try:
        Article(slug=slug, **fields).full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        raise LoadError(path, problems) from error
