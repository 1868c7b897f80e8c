"""``manage.py reindex_help``: every article indexed again, synchronously, with counts printed."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any, cast

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from helpcenter.models import Article, Passage
from helpcenter.tests.factories import ArticleFactory
from javari.retrieval.tests.fake_embeddings import FakeEmbeddings


def make_article(**fields: Any) -> Article:
    return cast(Article, ArticleFactory(**fields))


pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeEmbeddings]:
    with FakeEmbeddings() as server:
        settings.EMBEDDINGS_BASE_URL = server.api_url
        settings.EMBEDDINGS_MODEL = "fake-model"
        yield server


def _reindex(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("reindex_help", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_it_indexes_every_article_and_prints_the_counts(fake: FakeEmbeddings) -> None:
    make_article(), make_article()
    make_article(is_published=False)
    out, err = _reindex()
    assert out == "Indexed 3 articles: 8 passages, 8 embedded, 0 embeddings kept, 0 without an embedding."
    assert err == ""
    assert Passage.objects.filter(embedding_model="fake-model").count() == 8

    out, _ = _reindex()  # nothing changed: every embedding is kept
    assert out == "Indexed 3 articles: 8 passages, 0 embedded, 8 embeddings kept, 0 without an embedding."


def test_a_new_model_re_embeds_every_passage(fake: FakeEmbeddings, settings: Settings) -> None:
    make_article(), make_article()
    _reindex()
    settings.EMBEDDINGS_MODEL = "fake-model-2"
    out, _ = _reindex("--missing-only")  # no article to index; every passage of another model
    assert out == "Indexed 0 articles: 0 passages, 8 embedded, 0 embeddings kept, 0 without an embedding."
    assert set(Passage.objects.values_list("embedding_model", flat=True)) == {"fake-model-2"}


def test_missing_only_indexes_only_articles_never_indexed(fake: FakeEmbeddings) -> None:
    make_article()
    _reindex()
    fresh = make_article()
    out, _ = _reindex("--missing-only")
    assert out == "Indexed 1 articles: 4 passages, 4 embedded, 0 embeddings kept, 0 without an embedding."
    assert Passage.objects.filter(article=fresh).count() == 4


def test_a_failing_embedder_is_reported(fake: FakeEmbeddings, settings: Settings) -> None:
    settings.EMBEDDINGS_MODEL = "rate-limited"
    make_article()
    out, err = _reindex()
    assert out == "Indexed 1 articles: 4 passages, 0 embedded, 0 embeddings kept, 4 without an embedding."
    assert "Run again later" in err
    assert Passage.objects.filter(embedding__isnull=True).count() == 4
