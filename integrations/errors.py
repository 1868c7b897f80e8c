"""The integrations app's errors.

Two families:

- ``ProviderError`` is what a provider adapter raises when the outside API fails (the healthchecks
  ``TransportError`` shape): ``permanent=True`` means the credentials or the request are wrong and
  trying again won't help (401, 403, 404 of the team or project); ``permanent=False`` means it may
  work later (a timeout, a refused connection, 5xx, 429). Its message is fit to show the person and
  never carries a secret or the provider's raw body.
- ``IntegrationsError`` (an ``AppError``) is what services raise to pages and the API.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from javari.errors import AppError, NotFound

__all__ = [
    "BlockedAddress",
    "IntegrationsError",
    "NotConnected",
    "NotFound",
    "ProviderError",
    "RotationFailed",
    "RotationInProgress",
    "RotationNotSupported",
    "UnknownProvider",
    "VerificationFailed",
]


class ProviderError(Exception):
    """An outside API refused or failed. ``permanent``: retrying won't help (bad credentials).

    ``status`` is the provider's HTTP status when there was an answer (None for a timeout or a
    refused connection). ``field`` names the form field to blame when the provider said which
    (Supabase's service-role key rather than its anon key; Vercel's team ID for a team out of
    reach). ``str(error)`` is a message for a person, with no secret in it.
    """

    def __init__(
        self, message: object, *, permanent: bool = False, status: int | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.permanent = permanent
        self.status = status
        self.field = field
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)


class BlockedAddress(ProviderError):
    """A URL whose host resolves to a loopback, private, link-local, reserved or metadata address
    (and no deployment setting allows it), or a URL that isn't http(s). Permanent."""

    def __init__(self, message: object = None) -> None:
        super().__init__(
            message
            or _("This address points to a private or local network, which integrations may not reach."),
            permanent=True,
        )


class IntegrationsError(AppError):
    code = "integrations_error"
    status = 400
    default_message = _("The integration could not be changed.")


class UnknownProvider(IntegrationsError):
    code = "unknown_provider"
    default_message = _(
        "There is no such provider. Choose Vercel, Supabase, Gmail, GitHub, Stripe or Custom."
    )


class VerificationFailed(IntegrationsError):
    """Connecting or re-entering a secret that the provider doesn't accept: nothing is saved.

    ``field`` names the form field to show it beside, when one is to blame.
    """

    code = "verification_failed"
    status = 400
    default_message = _("The provider did not accept these credentials.")

    def __init__(self, message: object = None, *, field: str | None = None, permanent: bool = True) -> None:
        super().__init__(message)
        self.field = field
        self.permanent = permanent


class NotConnected(IntegrationsError):
    """An action on a disconnected integration (rotate, verify, edit)."""

    code = "not_connected"
    status = 409
    default_message = _("This integration is disconnected. Connect it again to use it.")


class RotationInProgress(IntegrationsError):
    code = "rotation_in_progress"
    status = 409
    default_message = _("A rotation of this key is already running. Try again in a few minutes.")


class RotationNotSupported(IntegrationsError):
    code = "rotation_not_supported"
    status = 409
    default_message = _(
        "This provider can't make new keys through its API: Javari reminds you to rotate it instead."
    )


class RotationFailed(IntegrationsError):
    """A rotation that did not finish: the current key is untouched and still works. The message
    says which step failed and why (no secret)."""

    code = "rotation_failed"
    status = 502
    default_message = _("The key could not be rotated. The current key still works.")
