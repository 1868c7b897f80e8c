"""Celery tasks of the help center: thin callers of ``helpcenter.services.indexing``."""

from __future__ import annotations

from celery import Task, shared_task

from helpcenter.services.indexing import index_article
from javari.celery import DATABASE_TASK_OPTIONS
from javari.retrieval.embeddings import EmbeddingError

# An article whose passages were written without embeddings (the embedder failed) is indexed
# again later: minutes apart, for about an hour, then `manage.py reindex_help` catches up.
EMBEDDING_RETRY = {"countdown": 60, "max_retries": 6}


@shared_task(bind=True, **DATABASE_TASK_OPTIONS)
def index_article_task(self: Task, article_id: int) -> dict[str, int]:
    """Index one article (queued on commit when it is saved or deleted); returns the counts.

    Safe to run twice: each run rewrites the article's passages from its current row. Passages left
    without an embedding are searchable by text at once; the task retries for their embeddings.
    """
    result = index_article(article_id=int(article_id))
    if result.missing:
        raise self.retry(exc=EmbeddingError(f"{result.missing} passages not embedded"), **EMBEDDING_RETRY)
    return result.as_dict()
