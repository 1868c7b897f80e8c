"""The accounts app's errors (``javari.errors.AppError``s): API keys that aren't the caller's or
don't authenticate.

``InvalidApiKey``'s ``code`` is its reason (``malformed``, ``unknown``, ``revoked``…): DRF's
``AuthenticationFailed`` (accounts/authentication.py) answers the 401 with that same code, so a
partner's program reads one set of codes whichever way the key was refused.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from javari.errors import AppError, NotFound


class ApiKeyNotFound(NotFound):
    """No such key among the user's own; another user's key reads the same as a missing one."""

    default_message = _("No such API key.")


class InvalidApiKey(AppError):
    """A presented key that doesn't authenticate; ``reason`` says why, ``str()`` says it to people."""

    status = 401

    class Reason(models.TextChoices):
        MALFORMED = (
            "malformed",
            _("Malformed API key. Keys look like jv_xxxxxxxx_ followed by 43 characters."),
        )
        UNKNOWN = "unknown", _("This API key is not valid.")
        REVOKED = "revoked", _("This API key has been revoked.")
        EXPIRED = "expired", _("This API key has expired.")
        INACTIVE = "inactive", _("The account this API key belongs to is deactivated.")

    def __init__(self, reason: InvalidApiKey.Reason) -> None:
        self.reason = reason
        self.code = reason.value
        # The lazy label: rendered when read, so the message follows the request's language.
        super().__init__(reason.label)
