"""What people do in the help center, recorded for the admin's reports (the spec's ``help_interactions``).

Views, searches, votes and comments each write one row. A vote is one row per person and article
(``help_one_vote_per_person``): voting again changes the row, so the reports count people, not clicks.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from helpcenter.models import FEEDBACK_MAX_CHARS, QUERY_MAX_CHARS, Article, Interaction, InteractionKind
from javari.text import truncate_graphemes

VOTE_KINDS = (InteractionKind.HELPFUL, InteractionKind.NOT_HELPFUL)


def clean_query(query: str) -> str:
    """A search query as it is searched and recorded: trimmed, one line of spaces, no NUL or lone
    surrogate (PostgreSQL refuses both), at most ``QUERY_MAX_CHARS`` characters."""
    query = "".join(ch for ch in query if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)
    query = " ".join(query.split())
    if not query:
        return ""
    return truncate_graphemes(query, QUERY_MAX_CHARS, max_length=QUERY_MAX_CHARS, ellipsis="")


def record_view(*, article: Article, user: Any, language: str) -> Interaction:
    """One view of ``article`` (a page load) by ``user`` (signed out: ``None`` or anonymous)."""
    return Interaction.objects.create(
        kind=InteractionKind.VIEW,
        article=article,
        page_slug=article.slug,
        user=_person(user),
        language=language,
    )


def record_search(*, query: str, result_count: int, user: Any, language: str) -> Interaction | None:
    """One search: the query (cleaned and capped, see ``clean_query``) and how many articles it found.
    An empty query records nothing and returns ``None``."""
    query = clean_query(query)
    if not query:
        return None
    return Interaction.objects.create(
        kind=InteractionKind.SEARCH,
        query=query,
        result_count=max(0, result_count),
        user=_person(user),
        language=language,
    )


def vote(*, article: Article, user: Any, helpful: bool, language: str) -> Interaction:
    """``user``'s answer to "Was this helpful?" on ``article``: their one vote, created or changed.

    Two votes sent at once from two tabs meet the unique constraint: the loser updates the winner's row.
    """
    kind = InteractionKind.HELPFUL if helpful else InteractionKind.NOT_HELPFUL
    with transaction.atomic(durable=True):
        votes = Interaction.objects.filter(user=user, article=article, kind__in=VOTE_KINDS)
        if votes.update(kind=kind, language=language):
            return votes.get()
        try:
            with transaction.atomic():  # a savepoint: a lost race must not spoil the transaction
                return Interaction.objects.create(
                    kind=kind, article=article, page_slug=article.slug, user=user, language=language
                )
        except IntegrityError:  # the other request created it first
            votes.update(kind=kind, language=language)
            return votes.get()


def leave_feedback(*, article: Article, user: Any, text: str, language: str) -> Interaction:
    """A comment on ``article`` (at most ``FEEDBACK_MAX_CHARS`` characters, not empty).

    Raises ``ValueError`` for an empty or too long comment: the form says so before this is called.
    """
    text = text.replace("\x00", "").strip()
    if not text or len(text) > FEEDBACK_MAX_CHARS:
        raise ValueError("feedback must be 1 to FEEDBACK_MAX_CHARS characters")
    return Interaction.objects.create(
        kind=InteractionKind.FEEDBACK,
        article=article,
        page_slug=article.slug,
        user=user,
        feedback=text,
        language=language,
    )


def _person(user: Any) -> Any:
    return user if user is not None and user.is_authenticated else None
