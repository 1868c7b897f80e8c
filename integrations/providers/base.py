"""The one shape every provider adapter has (the healthchecks ``Transport`` idea).

A provider is a folder ``integrations/providers/<slug>/`` whose ``provider.py`` defines a
``Provider`` subclass; ``integrations.providers.REGISTRY`` maps each slug to it. A provider says:

- ``fields``: what the connect form asks for, in order (``Field``: a name, a label, help text,
  whether it is a secret, whether it is required, its kind). Secrets become ``Credential`` rows;
  the others go into ``Integration.config``.
- ``capabilities``: the spec's list (``deploy``, ``logs``…), shown on its card.
- ``verify(access)``: one cheap read-only call that proves the credentials work. Returns a
  ``Verification`` (the account it answered for, an expiry when the provider says one).
- where the provider's API can make and revoke keys (``rotates_by_api``): ``create_key(access)``
  returns a ``NewKey`` for ``rotated_field``; ``revoke_key(access, upstream_id)`` revokes one.
- for the others, ``rotation_steps`` and ``token_page_url``: what the rotation reminder tells the
  person to do, and where.

Adapters are plain: no database, no models. They get an ``Access`` (the integration's settings and
its secrets, decrypted, for this one call) and raise ``ProviderError`` (``permanent`` or not) for
every failure. Every call goes through ``integrations.http`` (timeouts, no private addresses).
Their base URLs are settings (``INTEGRATIONS_<SLUG>_API_BASE``…), so tests point them at fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils.functional import Promise


@dataclass(frozen=True)
class Field:
    """One input of a provider's connect form.

    ``kind``: "text", "url", "secret" (implied by ``secret=True``), "choice" (with ``choices``), or
    "integer". ``max_length`` bounds what is accepted (before any call). ``depends_on``/``when``
    show the field only for one value of another (a custom API's header name for the header auth).
    """

    name: str
    label: str | Promise
    help_text: str | Promise = ""
    secret: bool = False
    required: bool = True
    kind: str = "text"
    max_length: int = 500
    choices: tuple[tuple[str, str | Promise], ...] = ()
    placeholder: str = ""
    depends_on: str = ""
    when: tuple[str, ...] = ()
    initial: Any = None


@dataclass(frozen=True)
class Access:
    """What one call needs: the integration's non-secret settings and its secrets, by field name.

    Built by the services for the call and dropped after it; never logged, never a task argument.
    ``repr`` hides the secrets.
    """

    config: Mapping[str, Any]
    secrets: Mapping[str, str] = field(repr=False)

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    def with_secret(self, name: str, value: str) -> Access:
        """The same access with ``name`` replaced (rotation tests a pending key this way)."""
        return Access(config=self.config, secrets={**self.secrets, name: value})


@dataclass(frozen=True)
class Verification:
    """What a successful ``verify`` learnt: the account it answered for (a login, an e-mail, a
    project name: shown on the page), when the key expires if the provider says, settings to keep
    (merged into ``Integration.config``) and the key's id upstream if the provider says."""

    account: str = ""
    expires_at: datetime | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    # The provider's id of the key that was verified, when it tells (Vercel's "current" token):
    # kept on the credential so a rotation can revoke it.
    upstream_id: str = ""


@dataclass(frozen=True)
class NewKey:
    """A key ``create_key`` made upstream: its value (the secret), the provider's id for it (to
    revoke it), and its expiry if it has one."""

    value: str = field(repr=False)
    upstream_id: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Refreshed:
    """Secrets a provider renewed by itself (an OAuth access token from its refresh token), by
    field, with their new expiry. Stored over the current values: a refresh is not a rotation."""

    secrets: Mapping[str, str] = field(repr=False)
    expires: Mapping[str, datetime | None] = field(default_factory=dict)


class Provider:
    """Base class: subclasses set the class attributes and implement ``verify`` (and, where the
    provider can, ``create_key``/``revoke_key``)."""

    slug: ClassVar[str]
    # A brand ("Vercel") or, for the custom provider, words to translate.
    name: ClassVar[str | Promise]
    description: ClassVar[str | Promise]
    capabilities: ClassVar[tuple[str, ...]] = ()
    fields: ClassVar[tuple[Field, ...]] = ()
    # Rotation by API: the secret field that create_key/revoke_key replace.
    rotates_by_api: ClassVar[bool] = False
    rotated_field: ClassVar[str] = ""
    # Rotation by reminder: where the person makes a new key, and the steps, in order.
    token_page_url: ClassVar[str] = ""
    rotation_steps: ClassVar[tuple[str | Promise, ...]] = ()
    # Connected through OAuth (Gmail): no secret fields on the form, a "Connect with …" button
    # that POSTs to this URL name (which starts the authorization code flow).
    uses_oauth: ClassVar[bool] = False
    oauth_start_url_name: ClassVar[str] = ""
    # How many days before a key's expiry the health check warns (GitHub sends an expiry).
    expiry_warning_days: ClassVar[int] = 7

    @classmethod
    def secret_fields(cls) -> tuple[Field, ...]:
        return tuple(f for f in cls.fields if f.secret)

    @classmethod
    def config_fields(cls) -> tuple[Field, ...]:
        return tuple(f for f in cls.fields if not f.secret)

    def rotates(self, access: Access) -> bool:
        """Whether this connection can be rotated by API (Supabase only with a management token)."""
        return self.rotates_by_api

    def verify(self, access: Access) -> Verification:
        """Prove ``access`` works with one read-only call. Raises ``ProviderError``."""
        raise NotImplementedError

    def create_key(self, access: Access, *, name: str) -> NewKey:
        """Make a new key upstream named ``name`` (with ``access``'s current key).
        Raises ``ProviderError``."""
        raise NotImplementedError(f"{self.slug} can't make keys by API")

    def revoke_key(self, access: Access, *, upstream_id: str) -> None:
        """Revoke the key ``upstream_id`` upstream; a key already gone counts as revoked.
        Raises ``ProviderError``."""
        raise NotImplementedError(f"{self.slug} can't revoke keys by API")

    def refresh(
        self, access: Access, *, expires: Mapping[str, datetime | None], now: datetime
    ) -> Refreshed | None:
        """Renew short-lived secrets before they expire (``expires``: each secret's expiry by field).
        None when nothing needs renewing (the default: keys that don't expire by themselves).
        Raises ``ProviderError``."""
        return None

    def disconnect(self, access: Access) -> None:
        """Tell the provider the connection is closed, where it has a way (Gmail revokes the OAuth
        grant). Most providers have none: the person deletes the key on their side. Raises
        ``ProviderError``; the disconnection goes ahead anyway."""

    def clean_secrets(self, secrets: Mapping[str, str]) -> dict[str, str]:
        """Check the secrets' shape before any call (a Stripe key's ``sk_`` prefix). ``secrets``
        holds only the ones entered (an edit may re-enter one). Returns them; raises
        ``ValidationError`` by field. Never put the secret itself in a message."""
        return dict(secrets)

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Normalise and check the non-secret settings before any call (a base URL's shape, a
        custom API's auth type). Returns the settings to store; raises ``ValidationError`` by field."""
        return dict(config)
