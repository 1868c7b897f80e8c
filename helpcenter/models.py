"""Help center (spec §5): categories, articles, their indexed passages, and what people do with them.

Articles are Markdown, translated (title, summary, content, tags, search keywords: django-modeltranslation
adds ``title_en``, ``title_es``…), edited by staff in the admin. Each saved article is cut into
passages, one per heading and language (``helpcenter.services.indexing``); a passage carries the
full-text vector of its language and an embedding, which ``javari.retrieval.search`` ranks.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from pgvector.django import HnswIndex, VectorField

from javari.retrieval.embeddings import DIMENSIONS

# The longest comment a person can leave with "Was this helpful?", in characters.
FEEDBACK_MAX_CHARS = 2_000
# The longest search query recorded (and searched), in characters.
QUERY_MAX_CHARS = 200


# django-modeltranslation swaps each translated model's manager for a MultilingualManager class made at
# start-up. django-stubs resolves it or not depending on mypy's cache (fresh: yes; warm: no), so the
# ignore allows for both (preferences.models sits in the baseline for the same).
class Category(models.Model):  # type: ignore[django-manager-missing, unused-ignore]
    """A group of articles on the help page (spec: Getting started, Features…, Settings, …)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Features — chat, code generation, integrations, reminders: the spec groups these four.
    is_feature = models.BooleanField(_("a feature"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("helpcenter:category", kwargs={"slug": self.slug})


class Article(models.Model):  # type: ignore[django-manager-missing, unused-ignore]  # see Category
    """A help article (the spec's ``documentation_pages``). Only published ones reach people."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=300, blank=True, help_text=_("One sentence, shown under the title in lists.")
    )
    content = MarkdownxField(_("content"), help_text=_("Markdown. Each ## heading starts a section."))
    tags = models.CharField(_("tags"), max_length=300, blank=True, help_text=_("Separated by commas."))
    search_keywords = models.CharField(
        _("search keywords"),
        max_length=500,
        blank=True,
        help_text=_("Words people search with, separated by commas. They rank above the text."),
    )
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Within its category."))
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["category__order", "order", "slug"]
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        indexes = [models.Index(fields=["category", "order"], name="help_article_cat_order")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("helpcenter:article", kwargs={"slug": self.slug})

    @staticmethod
    def split_list(value: str) -> list[str]:
        """``"a, b,,c "`` → ``["a", "b", "c"]`` (tags and search keywords)."""
        return [item.strip() for item in value.split(",") if item.strip()]


class Passage(models.Model):
    """One section of an article in one language: what search ranks and chat cites.

    ``search`` is the section's full-text vector in its language's configuration, weighted title A,
    search keywords B, heading and text C. ``embedding`` is null until the index task has run, and is
    only compared with query embeddings of the same ``embedding_model``.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="passages")
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    position = models.PositiveSmallIntegerField(_("position"))
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    anchor = models.CharField(_("anchor"), max_length=120, blank=True)
    text = models.TextField(_("text"))
    # SHA-256 of what was embedded: an unchanged section keeps its embedding on re-index.
    content_hash = models.CharField(max_length=64)
    search = SearchVectorField(null=True)
    embedding = VectorField(dimensions=DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["article", "language", "position"]
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        constraints = [
            models.UniqueConstraint(fields=["article", "language", "position"], name="help_passage_unique")
        ]
        indexes = [
            GinIndex(fields=["search"], name="help_passage_search"),
            GinIndex(fields=["text"], opclasses=["gin_trgm_ops"], name="help_passage_text_trgm"),
            HnswIndex(
                name="help_passage_embedding",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} [{self.language}] #{self.position} {self.heading}"


class InteractionKind(models.TextChoices):
    VIEW = "view", _("View")
    SEARCH = "search", _("Search")
    HELPFUL = "helpful", _("Helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")
    FEEDBACK = "feedback", _("Feedback")


class Interaction(models.Model):
    """What people do in the help center (the spec's ``help_interactions``), for the admin's reports.

    A vote (helpful / not helpful) is one row per person and article: voting again changes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="interactions"
    )
    # Kept when the article is deleted, so the reports still name it.
    page_slug = models.CharField(_("page"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    query = models.CharField(_("search query"), max_length=QUERY_MAX_CHARS, blank=True)
    result_count = models.PositiveIntegerField(_("results"), null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)
    language = models.CharField(_("language"), max_length=5, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("help interaction")
        verbose_name_plural = _("help interactions")
        indexes = [
            models.Index(fields=["kind", "created_at"], name="help_interaction_kind_time"),
            models.Index(fields=["article", "kind"], name="help_interaction_article"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=InteractionKind.values), name="help_interaction_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "article"],
                condition=models.Q(kind__in=[InteractionKind.HELPFUL, InteractionKind.NOT_HELPFUL]),
                name="help_one_vote_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.page_slug or self.query}"
