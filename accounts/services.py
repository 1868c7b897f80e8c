"""Writes to accounts: the language choice, account deletion, personal API keys."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import string
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import ApiKeyNotFound, InvalidApiKey
from accounts.models import ApiKey, User

logger = logging.getLogger(__name__)


def set_user_language(*, user: User, language: str) -> User:
    """Save the interface language on the user; it then follows them to every device."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unsupported language: {language!r}")
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language"])
    return user


def delete_account(*, user: User) -> None:
    """Remove the user and everything that belongs to them.

    Every model that holds a user's data points at the user with ``on_delete=CASCADE``
    (allauth's addresses, authenticators and sessions included), so one delete removes it all
    in one transaction. Django's own sessions are keyed by session id, not user: we end those too.
    """
    from allauth.usersessions.models import UserSession

    user_id = user.pk
    with transaction.atomic(durable=True):
        for session in UserSession.objects.filter(user=user):
            session.end()
        user.delete()
    logger.info("account %s deleted", user_id)


# --- Personal API keys ---------------------------------------------------------------------------

API_KEY_PREFIX = "jv_"
# The visible part after "jv_": lowercase letters and digits only, so "_" can only separate it
# from the secret. 36^8 ≈ 2.8e12 values; the unique constraint on ``prefix`` is the guarantee.
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_PREFIX_LENGTH = 8
# secrets.token_urlsafe(32): 32 random bytes, always 43 URL-safe base64 characters.
_API_KEY_PATTERN = re.compile(r"^jv_([a-z0-9]{8})_[A-Za-z0-9_-]{43}$")
MAX_ACTIVE_API_KEYS = 20
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_prefix() -> str:
    while True:
        prefix = API_KEY_PREFIX + "".join(secrets.choice(_PREFIX_ALPHABET) for _i in range(_PREFIX_LENGTH))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix


def create_api_key(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create a key for ``user``; return it with its plaintext, which is never stored or shown again.

    Raises ``ValidationError`` (nothing created) for an empty name, a past expiry, or when the user
    already has ``MAX_ACTIVE_API_KEYS`` active keys.
    """
    name = (name or "").strip()
    errors: dict[str, list[ValidationError]] = {}
    if not name:
        errors["name"] = [ValidationError(_("Give the key a name."), code="required")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [ValidationError(_("The expiry must be in the future."), code="past")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic(durable=True):
        # Lock the owner's row so two concurrent creations can't both slip under the cap.
        User.objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        active = (
            ApiKey.objects.filter(user=user, revoked_at__isnull=True)
            .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
            .count()
        )
        if active >= MAX_ACTIVE_API_KEYS:
            raise ValidationError(
                _("You already have %(max)d active API keys. Revoke one before creating another.")
                % {"max": MAX_ACTIVE_API_KEYS},
                code="too_many",
            )
        prefix = _new_prefix()
        plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey(
            user=user, name=name, prefix=prefix, key_hash=_hash_api_key(plaintext), expires_at=expires_at
        )
        api_key.full_clean()
        api_key.save()
    logger.info("api key %s (%s) created for user %s", api_key.pk, prefix, user.pk)
    return api_key, plaintext


def revoke_api_key(*, user: User, key_id: uuid.UUID | str) -> ApiKey:
    """Revoke one of ``user``'s keys at once; revoking a revoked key changes nothing.

    Raises ``ApiKeyNotFound`` for an id that isn't one of the user's keys (another user's too).
    """
    try:
        key_id = uuid.UUID(str(key_id))
    except ValueError:
        raise ApiKeyNotFound() from None
    with transaction.atomic(durable=True):
        api_key = ApiKey.objects.select_for_update().filter(pk=key_id, user=user).first()
        if api_key is None:
            raise ApiKeyNotFound()
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
            logger.info("api key %s (%s) revoked", api_key.pk, api_key.prefix)
    return api_key


def revoke_api_keys(*, keys: models.QuerySet[ApiKey]) -> int:
    """Revoke every still-active key of ``keys`` (staff, from the admin); return how many."""
    with transaction.atomic(durable=True):
        count = keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    logger.info("%d api keys revoked by staff", count)
    return count


def authenticate_api_key(raw: str) -> ApiKey:
    """The active key ``raw`` is, with its user loaded; ``InvalidApiKey`` with a reason otherwise."""
    match = _API_KEY_PATTERN.match(raw or "")
    if match is None:
        raise InvalidApiKey(InvalidApiKey.Reason.MALFORMED)
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(prefix=raw[: len(API_KEY_PREFIX) + _PREFIX_LENGTH])
        .first()
    )
    # The hash is checked before the state, so knowing a (visible) prefix tells nothing about a key.
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_api_key(raw)):
        raise InvalidApiKey(InvalidApiKey.Reason.UNKNOWN)
    status = api_key.status
    if status == ApiKey.Status.REVOKED:
        raise InvalidApiKey(InvalidApiKey.Reason.REVOKED)
    if status == ApiKey.Status.EXPIRED:
        raise InvalidApiKey(InvalidApiKey.Reason.EXPIRED)
    if not api_key.user.is_active:
        raise InvalidApiKey(InvalidApiKey.Reason.INACTIVE)
    return api_key


def record_api_key_use(api_key: ApiKey) -> None:
    """Note that ``api_key`` was just used, writing at most once per ``LAST_USED_RESOLUTION``.

    The row in hand decides whether to write at all; the conditional UPDATE keeps concurrent
    requests from writing it more than once in the same minute.
    """
    now = timezone.now()
    threshold = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at > threshold:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=threshold)
    ).update(last_used_at=now)
    api_key.last_used_at = now
