"""The help center's writes (HackSoft style: views, tasks and commands call these)."""

from __future__ import annotations

from helpcenter.services.indexing import (
    IndexResult,
    embed_missing,
    index_article,
    rebuild_vocabulary,
    reindex_all,
)

__all__ = ["IndexResult", "embed_missing", "index_article", "rebuild_vocabulary", "reindex_all"]
