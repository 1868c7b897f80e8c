from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; the id is a UUID so it can be shown."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email address"), max_length=254)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the interface; empty follows the browser."),
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Staff can sign in to the back office."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive users cannot sign in. Deactivate instead of deleting."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            # Serves sign-in (email__iexact) and keeps "Ana@x.com" and "ana@x.com" one account.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]


def display_name_of(user: User) -> str:
    """How allauth names a user in its messages and pages."""
    return user.get_full_name()


class ApiKey(models.Model):
    """A personal key for the partner API. Only a hash of it is stored; the prefix identifies it.

    The full key reads ``jv_<8 chars>_<secret>``: its first 11 characters are ``prefix``, so a
    request's key is found by one indexed lookup and then checked against ``key_hash``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    # SHA-256 hex of the whole key. A fast hash is right here: the key carries 256 random bits, so
    # there is nothing to brute-force, and a slow KDF (PBKDF2) would only cost time on every request.
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        indexes = [
            # Serves the owner's list on the Security page and the API: user = … ORDER BY -created_at.
            models.Index(fields=["user", "-created_at"], name="accounts_apikey_user_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="accounts_apikey_name_not_empty"),
        ]

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        """Revoked wins over expired: a revoked key says so even once its date has passed."""
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


class OutgoingEmail(models.Model):
    """An account email (verification, password reset) rendered during the request, sent after commit.

    The request renders it (its language, links and host are the request's) and stores it in its own
    transaction; ``accounts.tasks.send_account_email`` sends it from the worker and deletes it, so a
    slow or failing mail server never holds up or breaks a sign-up, and a rolled-back request sends
    nothing. The row holds a live link (a reset key) only until it is sent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_email = models.CharField(max_length=320)
    to = models.JSONField()  # a list of addresses
    subject = models.TextField()
    body = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")

    def __str__(self) -> str:
        return self.subject
