"""An article saved or deleted is indexed again after commit (``helpcenter.tasks.index_article_task``).

A signal rather than a call in a service because staff edit articles in the admin (and the loader
writes them), and every one of those saves must reach the index.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from helpcenter.models import Article
from javari.tasks import enqueue_on_commit


@receiver(post_save, sender=Article, dispatch_uid="helpcenter.index_saved_article")
@receiver(post_delete, sender=Article, dispatch_uid="helpcenter.index_deleted_article")
def queue_article_index(sender: type[Article], instance: Article, **kwargs: Any) -> None:
    from helpcenter.tasks import index_article_task

    if kwargs.get("raw"):  # loaddata: the fixture's rows are indexed by `manage.py reindex_help`
        return
    enqueue_on_commit(index_article_task, instance.pk)
