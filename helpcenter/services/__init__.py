"""The help center's writes (HackSoft style: views, tasks and commands call these)."""

from __future__ import annotations

from helpcenter.services.indexing import (
    IndexResult,
    embed_missing,
    index_article,
    rebuild_vocabulary,
    reindex_all,
)

# The help pages: what people do (interactions) and the article loader.
from helpcenter.services.interactions import clean_query as clean_query
from helpcenter.services.interactions import leave_feedback as leave_feedback
from helpcenter.services.interactions import record_search as record_search
from helpcenter.services.interactions import record_view as record_view
from helpcenter.services.interactions import vote as vote
from helpcenter.services.loading import LoadError as LoadError
from helpcenter.services.loading import LoadResult as LoadResult
from helpcenter.services.loading import load_articles as load_articles

__all__ = ["IndexResult", "embed_missing", "index_article", "rebuild_vocabulary", "reindex_all"]
