"""The index task: queued on commit when an article is saved or deleted, run by a real worker,
retried when the embedder fails (the passages are searchable by text meanwhile)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings

from helpcenter.models import Article, Passage
from helpcenter.tasks import EMBEDDING_RETRY, index_article_task
from helpcenter.tests.factories import ArticleFactory
from javari.retrieval.embeddings import EmbeddingError
from javari.retrieval.tests.fake_embeddings import FakeEmbeddings
from javari.tests.test_celery import worker  # noqa: F401 (a fixture: a real worker)


def make_article(**fields: Any) -> Article:
    return cast(Article, ArticleFactory(**fields))


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeEmbeddings]:
    """The deployment's embedder is an OpenAI-compatible endpoint: this local fake."""
    with FakeEmbeddings() as server:
        settings.EMBEDDINGS_BASE_URL = server.api_url
        settings.EMBEDDINGS_MODEL = "fake-model"
        yield server


def test_saving_an_article_queues_its_index_on_commit(db: None, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        article = make_article()
    assert [(c.func, c.args) for c in callbacks] == [(index_article_task.delay, (article.pk,))]

    with django_capture_on_commit_callbacks() as callbacks:
        article.title = "Renamed"
        article.save()
    assert [c.args for c in callbacks] == [(article.pk,)]


def test_deleting_an_article_queues_it_too(db: None, django_capture_on_commit_callbacks) -> None:
    article = make_article()
    article_id = article.pk
    with django_capture_on_commit_callbacks() as callbacks:
        article.delete()
    assert [(c.func, c.args) for c in callbacks] == [(index_article_task.delay, (article_id,))]


def test_a_fixture_load_queues_nothing(db: None, django_capture_on_commit_callbacks) -> None:
    now = timezone.now()  # a raw save sets no auto_now field
    article = ArticleFactory.build(category=make_article().category, created_at=now, updated_at=now)
    with django_capture_on_commit_callbacks() as callbacks:
        article.save_base(raw=True)  # what loaddata does
    assert callbacks == []


def test_the_task_indexes_the_article_and_returns_counts(db: None, fake: FakeEmbeddings) -> None:
    article = make_article()
    result = index_article_task.apply(args=[article.pk]).get()
    assert result == {"passages": 4, "embedded": 4, "reused": 0, "missing": 0}
    assert set(Passage.objects.filter(article=article).values_list("embedding_model", flat=True)) == {
        "fake-model"
    }
    assert index_article_task.apply(args=[article.pk]).get()["reused"] == 4  # twice is harmless


def test_the_task_of_a_deleted_article_does_nothing(db: None, fake: FakeEmbeddings) -> None:
    assert index_article_task.apply(args=[987654]).get() == {
        "passages": 0,
        "embedded": 0,
        "reused": 0,
        "missing": 0,
    }
    assert fake.requests == []


def test_a_failing_embedder_leaves_searchable_passages_and_retries(
    db: None, fake: FakeEmbeddings, settings: Settings
) -> None:
    settings.EMBEDDINGS_MODEL = "server-error"  # the fake answers 503
    article = make_article()
    result = index_article_task.apply(args=[article.pk])
    assert isinstance(result.result, EmbeddingError)  # given up after its retries
    assert len(fake.requests) == 1 + EMBEDDING_RETRY["max_retries"]
    assert Passage.objects.filter(article=article, embedding__isnull=True).count() == 4


def test_a_worker_indexes_a_saved_article(worker: None, fake: FakeEmbeddings) -> None:  # noqa: F811
    article = make_article()  # committed at once (no test transaction): the task is queued
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and Passage.objects.filter(article=article, embedding__isnull=False).count() < 4
    ):
        time.sleep(0.1)
    assert Passage.objects.filter(article=article, embedding_model="fake-model").count() == 4

    Article.objects.filter(pk=article.pk).update(is_published=False)
    article.refresh_from_db()
    article.save()  # unpublished: the worker removes its passages
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Passage.objects.filter(article=article).exists():
        time.sleep(0.1)
    assert not Passage.objects.filter(article=article).exists()
    with connection.cursor() as cursor:  # not a model: the flush after this test doesn't empty it
        cursor.execute("DELETE FROM helpcenter_vocabulary")
