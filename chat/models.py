"""Chat: the models staff offer, people's conversations and their messages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from javari.fields import EncryptedCharField
from javari.text import truncate_graphemes


class ChatModel(models.Model):
    """A model people may pick, at a price per 1,000 prompt and completion tokens.

    Every model is reached the same way: Chat Completions at an OpenAI-compatible base URL. A blank
    base URL, key or model name means the deployment's own (``LLM_BASE_URL``, ``LLM_API_KEY``,
    ``LLM_MODEL``), which, with nothing configured, is the embedded local demo server.
    """

    name = models.CharField(_("name"), max_length=80, help_text=_("What people see in the model menu."))
    model = models.CharField(
        _("model name at the endpoint"),
        max_length=200,
        blank=True,
        help_text=_("Sent as “model” in each request. Blank: the deployment's LLM_MODEL."),
    )
    base_url = models.URLField(
        _("base URL"),
        blank=True,
        help_text=_("An OpenAI-compatible API, e.g. https://api.openai.com/v1. Blank: the deployment's."),
    )
    api_key = EncryptedCharField(
        _("API key"), max_length=500, blank=True, help_text=_("Stored encrypted. Blank: the deployment's.")
    )
    prompt_price_per_1k = models.PositiveIntegerField(_("credits per 1,000 prompt tokens"), default=1)
    completion_price_per_1k = models.PositiveIntegerField(_("credits per 1,000 completion tokens"), default=2)
    context_window = models.PositiveIntegerField(
        _("context window (tokens)"),
        default=4096,
        help_text=_("Prompt and reply together; older history is left out to fit."),
    )
    max_output_tokens = models.PositiveIntegerField(_("longest reply (tokens)"), default=512)
    is_active = models.BooleanField(_("people may pick it"), default=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("The model for people who haven't picked one.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("chat model")
        verbose_name_plural = _("chat models")
        constraints = [
            # At most one default; chat.services.models.default_model copes with none.
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="chat_one_default_model"
            ),
            models.CheckConstraint(
                condition=models.Q(max_output_tokens__gt=0)
                & models.Q(context_window__gt=models.F("max_output_tokens")),
                name="chat_model_context_fits_reply",
                violation_error_message=_("The context window must be larger than the longest reply."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def endpoint(self) -> str:
        return self.base_url or settings.LLM_BASE_URL

    @property
    def model_name(self) -> str:
        return self.model or settings.LLM_MODEL

    @property
    def key(self) -> str:
        return self.api_key or settings.LLM_API_KEY

    @property
    def is_local_demo(self) -> bool:
        """Replies come from the small embedded demo model, and the page must say so."""
        return not self.base_url and settings.LLM_LOCAL_DEMO

    def cost(self, *, prompt_tokens: int, completion_tokens: int) -> int:
        """Credits for one reply: both prices per 1,000 tokens, rounded up to a whole credit."""
        thousandths = (
            prompt_tokens * self.prompt_price_per_1k + completion_tokens * self.completion_price_per_1k
        )
        return -(-thousandths // 1000)


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(_("title"), max_length=120, blank=True)
    model = models.ForeignKey(
        ChatModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("model")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Moves with every message: the list shows the most recently used first.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            # The conversation list, most recent first; a title search filters these same rows.
            models.Index(fields=["user", "-updated_at"], name="chat_conv_user_recent"),
        ]

    def __str__(self) -> str:
        return self.title or str(_("New conversation"))


class Role(models.TextChoices):
    USER = "user", _("You")
    ASSISTANT = "assistant", _("Javari")


class MessageStatus(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    STREAMING = "streaming", _("Writing")
    STOPPED = "stopped", _("Stopped")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    content = models.TextField(_("content"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.COMPLETE
    )
    # Why a reply failed: a stable code (model_unavailable, timeout, rate_limited, provider_error,
    # broken_stream) and the message shown with the retry button.
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    model = models.ForeignKey(
        ChatModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("model")
    )
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    credits_charged = models.PositiveIntegerField(_("credits charged"), default=0)
    # The help-center passages a reply was given (chat.services.grounding): a list of {passage_id,
    # article_id, slug, anchor, title, heading, url, language}, kept as they were when it was written,
    # so a reload shows the same sources without searching again. Empty: not about Javari itself.
    sources = models.JSONField(_("sources"), default=list, blank=True)
    # How long the help-center search took for this reply, in milliseconds; null when none ran
    # (a reply written before grounding, a message too long or empty to search).
    retrieval_ms = models.PositiveIntegerField(_("retrieval time (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # A conversation's messages in order (the page, the history sent to the model).
            models.Index(fields=["conversation", "created_at"], name="chat_msg_conv_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="chat_message_role_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="chat_message_status_valid"
            ),
            # A person's message is always complete; only replies stream, stop or fail.
            models.CheckConstraint(
                condition=~models.Q(role=Role.USER) | models.Q(status=MessageStatus.COMPLETE),
                name="chat_user_message_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {truncate_graphemes(self.content, 40)}"
