"""Connecting, editing, verifying and disconnecting integrations.

The rule for every write here: **call the provider first, write after**. A connection is saved
only once the provider has accepted its credentials (``verify``); a re-entered secret replaces the
stored one only once it is verified too. Nothing is half-written: the provider call happens
outside any transaction, and the rows (integration, credentials, activity) are written together in
one durable transaction after it.

Secrets reach this module as plain text from a form or the API, are checked (length, no spaces or
control characters), sent to the provider, then stored encrypted (``Credential.value``). They never
go into ``Activity``, an error message, a log line or a task argument.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import providers
from integrations.errors import NotConnected, NotFound, ProviderError, VerificationFailed
from integrations.models import (
    NAME_MAX_CHARS,
    SECRET_MAX_CHARS,
    ActivityAction,
    Credential,
    CredentialState,
    Integration,
    IntegrationStatus,
    RotationSchedule,
)
from integrations.providers import Access, Provider, Verification
from integrations.services.activity import log
from javari.secrets import mask_secret
from reminders.text import clean_text

if TYPE_CHECKING:
    from accounts.models import User

# How often the scheduled health check verifies a live connection.
CHECK_INTERVAL = timedelta(hours=6)
# A token is one run of visible characters: spaces or control characters inside mean a bad paste.
_TOKEN = re.compile(r"^[\x21-\x7e\u00a0-\ud7ff\ue000-\U0010ffff]+$")
# An integer field's text (ASCII digits only: int() would take "١٢" or "1_000"), and the largest
# number any field takes (a bigger int could not even be turned into text past 4,300 digits).
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_INT_MAX = 10**18


# --- Reads ------------------------------------------------------------------------------------------


def get_integration(*, user: User, integration_id: UUID | str) -> Integration:
    """``user``'s integration ``integration_id`` (disconnected ones too). Raises ``NotFound``."""
    try:
        return Integration.objects.get(pk=integration_id, user=user)
    except (Integration.DoesNotExist, ValidationError, ValueError):
        raise NotFound() from None


def _locked(*, user: User, integration_id: UUID | str) -> Integration:
    try:
        return Integration.objects.select_for_update().get(pk=integration_id, user=user)
    except (Integration.DoesNotExist, ValidationError, ValueError):
        raise NotFound() from None


def access_for(integration: Integration, *, state: str = CredentialState.CURRENT) -> Access:
    """The integration's settings and its ``state`` secrets (decrypted), for one provider call."""
    secrets = {
        credential.field: credential.value
        for credential in integration.credentials.filter(state=state)
        if credential.value
    }
    return Access(config=dict(integration.config), secrets=secrets)


def usable_access(integration: Integration, *, now: datetime | None = None) -> Access:
    """``access_for(integration)``, with short-lived secrets renewed first where the provider does
    that (``Provider.refresh``: Gmail's access token, from its refresh token, before it expires).
    Renewed values are stored over the current ones (joins the caller's transaction if any).
    Raises ``ProviderError`` when renewing fails."""
    now = now or timezone.now()
    access = access_for(integration)
    adapter = providers.get(integration.provider)
    current = list(integration.credentials.filter(state=CredentialState.CURRENT))
    refreshed = adapter.refresh(access, expires={c.field: c.expires_at for c in current}, now=now)
    if refreshed is None:
        return access
    with transaction.atomic():
        for credential in current:
            if credential.field in refreshed.secrets:
                Credential.objects.filter(pk=credential.pk).update(
                    value=refreshed.secrets[credential.field],
                    expires_at=refreshed.expires.get(credential.field),
                )
        for field_name, value in refreshed.secrets.items():
            if field_name not in {c.field for c in current}:
                Credential.objects.create(
                    integration=integration,
                    field=field_name,
                    state=CredentialState.CURRENT,
                    value=value,
                    expires_at=refreshed.expires.get(field_name),
                    created_at=now,
                )
    return Access(config=access.config, secrets={**access.secrets, **refreshed.secrets})


def masked_secrets(integration: Integration) -> dict[str, str]:
    """Each current secret's mask ("•••• 4f2a"), by field: what pages, the API and the admin show."""
    return {
        credential.field: mask_secret(credential.value)
        for credential in integration.credentials.filter(state=CredentialState.CURRENT)
    }


# --- Validation -------------------------------------------------------------------------------------


def _clean_name(value: Any, errors: dict[str, list[Any]]) -> str:
    name = clean_text(str(value or "")).strip() if isinstance(value, str | None) else ""
    if not name:
        errors.setdefault("name", []).append(_("Give this connection a name."))
    elif len(name) > NAME_MAX_CHARS:
        errors.setdefault("name", []).append(
            _("Use at most %(limit)d characters.") % {"limit": NAME_MAX_CHARS}
        )
    return name


def clean_values(
    *, provider: Provider, values: Mapping[str, Any], partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check ``values`` against ``provider.fields``: returns (settings, secrets).

    ``partial``: a field left out (or a secret left blank) keeps what is stored; otherwise every
    required field must be there. A field that ``depends_on`` another is required only when it
    applies. ``kind="integer"`` fields are stored as ``int``. Unknown names are refused. Then the
    provider's ``clean_secrets`` and ``clean_config`` check shapes (a key's prefix, a URL's
    address). Raises ``ValidationError`` by field, every problem at once; calls no provider.
    """
    errors: dict[str, list[Any]] = {}
    known = {f.name for f in provider.fields}
    for name in sorted(set(values) - known):
        errors.setdefault(name, []).append(_("Unknown field."))
    config: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for spec in provider.fields:
        if spec.name not in values or values[spec.name] is None:
            if spec.required and not partial and not (spec.depends_on and not _shown(spec, values)):
                errors.setdefault(spec.name, []).append(_("This field is required."))
            continue
        raw = values[spec.name]
        # A huge int is refused before str(): past 4,300 digits str() raises ValueError.
        wrong_type = not isinstance(raw, str | int) or isinstance(raw, bool)
        if wrong_type or (isinstance(raw, int) and abs(raw) > _INT_MAX):
            errors.setdefault(spec.name, []).append(_("Enter text."))
            continue
        text = str(raw).strip()
        if spec.secret:
            if not text:
                if spec.required and not partial and _shown(spec, values):
                    errors.setdefault(spec.name, []).append(_("This field is required."))
                continue
            if len(text) > min(spec.max_length, SECRET_MAX_CHARS):
                errors.setdefault(spec.name, []).append(
                    _("This is longer than any %(label)s (at most %(limit)d characters).")
                    % {"label": spec.label, "limit": min(spec.max_length, SECRET_MAX_CHARS)}
                )
            elif not _TOKEN.match(text) and spec.kind != "multiline":
                errors.setdefault(spec.name, []).append(
                    _("This has spaces or control characters in it: paste the key alone.")
                )
            else:
                secrets[spec.name] = text
            continue
        text = clean_text(text)
        if not text:
            if spec.required and not partial and _shown(spec, values):
                errors.setdefault(spec.name, []).append(_("This field is required."))
            config[spec.name] = ""
            continue
        if len(text) > spec.max_length:
            errors.setdefault(spec.name, []).append(
                _("Use at most %(limit)d characters.") % {"limit": spec.max_length}
            )
            continue
        if spec.choices and text not in {value for value, _label in spec.choices}:
            errors.setdefault(spec.name, []).append(_("Choose one of the options."))
            continue
        if spec.kind == "integer":
            if not _INTEGER.fullmatch(text):
                errors.setdefault(spec.name, []).append(_("Enter a whole number."))
                continue
            config[spec.name] = int(text)
            continue
        config[spec.name] = text
    try:
        secrets = provider.clean_secrets(secrets)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return provider.clean_config(config), secrets


def _shown(spec: providers.Field, values: Mapping[str, Any]) -> bool:
    """Whether a field that depends on another applies (a header name only for header auth)."""
    if not spec.depends_on:
        return True
    return str(values.get(spec.depends_on) or "") in spec.when


def _clean_schedule(auto_rotate: Any, schedule: Any, errors: dict[str, list[Any]]) -> tuple[bool, str]:
    if not isinstance(auto_rotate, bool):
        errors.setdefault("auto_rotate", []).append(_("Choose on or off."))
        auto_rotate = False
    if schedule not in RotationSchedule.values:
        errors.setdefault("rotation_schedule", []).append(_("Choose weekly, monthly or quarterly."))
        schedule = RotationSchedule.MONTHLY
    return auto_rotate, str(schedule)


def _verified(provider: Provider, access: Access, *, secret_field: str | None = None) -> Verification:
    """``provider.verify(access)``, or ``VerificationFailed`` with the provider's reason."""
    try:
        return provider.verify(access)
    except ProviderError as exc:
        # The field the provider blamed (a team it doesn't know), else the secret for a refused key.
        field = exc.field if exc.permanent and exc.field else None
        if field is None and exc.permanent and exc.status in (401, 403):
            field = secret_field
        raise VerificationFailed(str(exc), field=field, permanent=exc.permanent) from exc


# --- Writes -----------------------------------------------------------------------------------------


def connect(
    *,
    user: User,
    provider: str,
    name: str,
    values: Mapping[str, Any],
    auto_rotate: bool = False,
    rotation_schedule: str = RotationSchedule.MONTHLY,
    now: datetime | None = None,
) -> Integration:
    """Connect ``user`` to ``provider`` (a registry slug) with the form's ``values`` (the provider's
    fields by name: secrets in plain text, settings), verified before anything is saved.

    Returns the new integration, connected, with its current credentials stored encrypted and a
    "connected" activity row. Raises ``UnknownProvider``, ``ValidationError`` (by field; nothing is
    sent anywhere) or ``VerificationFailed`` (the provider refused or couldn't be reached: nothing
    is saved). The first secret field is blamed for a refusal (401/403).
    """
    adapter = providers.get(provider)
    errors: dict[str, list[Any]] = {}
    clean_name = _clean_name(name, errors)
    auto_rotate, rotation_schedule = _clean_schedule(auto_rotate, rotation_schedule, errors)
    try:
        config, secrets = clean_values(provider=adapter, values=values)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        config, secrets = {}, {}
    if errors:
        raise ValidationError(errors)
    secret_fields = adapter.secret_fields()
    access = Access(config=config, secrets=secrets)
    verification = _verified(adapter, access, secret_field=secret_fields[0].name if secret_fields else None)
    return create_connected(
        user=user,
        provider=adapter,
        name=clean_name,
        config=config,
        secrets=secrets,
        verification=verification,
        auto_rotate=auto_rotate,
        rotation_schedule=rotation_schedule,
        now=now,
    )


def create_connected(
    *,
    user: User,
    provider: Provider,
    name: str,
    config: Mapping[str, Any],
    secrets: Mapping[str, str],
    verification: Verification,
    auto_rotate: bool = False,
    rotation_schedule: str = RotationSchedule.MONTHLY,
    expires: Mapping[str, datetime | None] | None = None,
    now: datetime | None = None,
) -> Integration:
    """Write a verified connection: the integration, its current credentials and its activity.

    For ``connect`` and for flows that verify their own way (Gmail's OAuth callback). ``expires``
    gives a secret's own expiry by field (an OAuth access token's). Durable. Then plans rotation.
    """
    from integrations.services import rotation

    now = now or timezone.now()
    with transaction.atomic(durable=True):
        integration = Integration.objects.create(
            user=user,
            provider=provider.slug,
            name=name,
            config={**config, **verification.config, "account": verification.account},
            status=IntegrationStatus.CONNECTED,
            last_verified_at=now,
            key_expires_at=verification.expires_at,
            auto_rotate=auto_rotate,
            rotation_schedule=rotation_schedule,
            next_check_at=now + CHECK_INTERVAL,
            created_at=now,
        )
        for field_name, value in secrets.items():
            Credential.objects.create(
                integration=integration,
                field=field_name,
                state=CredentialState.CURRENT,
                value=value,
                upstream_id=verification.upstream_id if field_name == provider.rotated_field else "",
                expires_at=(expires or {}).get(field_name),
                created_at=now,
            )
        log(
            integration=integration,
            action=ActivityAction.CONNECTED,
            message=gettext("Connected to %(provider)s and verified.") % {"provider": provider.name},
            metadata={"account": verification.account} if verification.account else {},
        )
    rotation.plan_rotation(integration_id=integration.pk, now=now)
    integration.refresh_from_db()
    return integration


def update_integration(
    *,
    user: User,
    integration_id: UUID | str,
    name: str | None = None,
    values: Mapping[str, Any] | None = None,
    auto_rotate: bool | None = None,
    rotation_schedule: str | None = None,
    now: datetime | None = None,
) -> Integration:
    """Edit a connection: its name, settings, re-entered secrets, auto-rotation and schedule.

    ``values`` is partial: a field left out or a secret left blank keeps what is stored. When a
    secret or a setting changes, the new combination is verified first (nothing changes if the
    provider refuses: ``VerificationFailed``); a re-entered secret replaces the current one (the old
    one is wiped) and completes a pending rotation reminder. Raises ``NotFound``, ``NotConnected``
    (disconnected), ``ValidationError`` (by field), ``VerificationFailed``.
    """
    from integrations.services import rotation

    now = now or timezone.now()
    integration = get_integration(user=user, integration_id=integration_id)
    if not integration.is_active:
        raise NotConnected()
    adapter = providers.get(integration.provider)
    errors: dict[str, list[Any]] = {}
    clean_name = _clean_name(name, errors) if name is not None else integration.name
    auto, schedule = _clean_schedule(
        integration.auto_rotate if auto_rotate is None else auto_rotate,
        rotation_schedule or integration.rotation_schedule,
        errors,
    )
    try:
        config, secrets = clean_values(provider=adapter, values=values or {}, partial=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        config, secrets = {}, {}
    if errors:
        raise ValidationError(errors)
    current = access_for(integration)
    merged_config = {**integration.config, **config}
    changed_config = {key: value for key, value in config.items() if integration.config.get(key) != value}
    changed_secrets = {key: value for key, value in secrets.items() if current.secret(key) != value}
    verification: Verification | None = None
    if changed_config or changed_secrets:
        access = Access(config=merged_config, secrets={**current.secrets, **changed_secrets})
        blamed = next(iter(changed_secrets), None)
        try:
            verification = _verified(adapter, access, secret_field=blamed)
        except VerificationFailed as exc:
            with transaction.atomic(durable=True):
                log(
                    integration=integration,
                    action=ActivityAction.VERIFICATION_FAILED,
                    success=False,
                    message=gettext("New settings not saved: %(reason)s") % {"reason": exc},
                )
            raise
    with transaction.atomic(durable=True):
        integration = _locked(user=user, integration_id=integration_id)
        if not integration.is_active:
            raise NotConnected()
        integration.name = clean_name
        integration.auto_rotate = auto
        integration.rotation_schedule = schedule
        if verification is not None:
            integration.config = {**merged_config, **verification.config, "account": verification.account}
            integration.status = IntegrationStatus.CONNECTED
            integration.status_detail = ""
            integration.last_verified_at = now
            if changed_secrets.keys() & {
                adapter.rotated_field,
                *(f.name for f in adapter.secret_fields()[:1]),
            }:
                integration.key_expires_at = verification.expires_at
        integration.save()
        for field_name, value in changed_secrets.items():
            _replace_current(
                integration,
                field_name=field_name,
                value=value,
                upstream_id=(
                    verification.upstream_id if verification and field_name == adapter.rotated_field else ""
                ),
                now=now,
            )
        if changed_secrets:
            log(
                integration=integration,
                action=ActivityAction.UPDATED,
                message=gettext("New key entered and verified (%(fields)s).")
                % {
                    "fields": ", ".join(
                        str(f.label) for f in adapter.secret_fields() if f.name in changed_secrets
                    )
                },
                metadata={"masked": {key: mask_secret(value) for key, value in changed_secrets.items()}},
            )
        elif changed_config or name is not None or auto_rotate is not None or rotation_schedule:
            log(integration=integration, action=ActivityAction.UPDATED, message=gettext("Settings changed."))
    if changed_secrets:
        rotation.secret_replaced(integration_id=integration.pk, now=now)
    rotation.plan_rotation(integration_id=integration.pk, now=now)
    integration.refresh_from_db()
    return integration


def _replace_current(
    integration: Integration, *, field_name: str, value: str, upstream_id: str, now: datetime
) -> Credential:
    """Retire (wipe) the current ``field_name`` secret and store ``value`` as current. Not durable."""
    integration.credentials.filter(field=field_name, state=CredentialState.CURRENT).update(
        state=CredentialState.RETIRED, value=_wiped(), retired_at=now
    )
    return Credential.objects.create(
        integration=integration,
        field=field_name,
        state=CredentialState.CURRENT,
        value=value,
        upstream_id=upstream_id,
        created_at=now,
    )


def _wiped() -> str:
    """What a retired credential keeps of its value: nothing (an empty string, encrypted like any)."""
    return ""


def record_check(
    *, integration: Integration, verification: Verification | None, error: ProviderError | None, now: datetime
) -> Integration:
    """Store what a verification found: connected (and when), or in error with the reason.

    Not durable: the caller holds the row. Logs "verified" or "verification failed". Returns the
    integration, saved.
    """
    if error is None and verification is not None:
        integration.status = IntegrationStatus.CONNECTED
        integration.status_detail = ""
        integration.last_verified_at = now
        if verification.expires_at is not None:
            integration.key_expires_at = verification.expires_at
        if verification.account:
            integration.config = {
                **integration.config,
                **verification.config,
                "account": verification.account,
            }
        log(integration=integration, action=ActivityAction.VERIFIED, message=gettext("The connection works."))
    elif error is not None:
        integration.status = IntegrationStatus.ERROR if error.permanent else integration.status
        integration.status_detail = str(error)[:500]
        log(
            integration=integration,
            action=ActivityAction.VERIFICATION_FAILED,
            success=False,
            message=str(error),
            metadata={"permanent": error.permanent, **({"status": error.status} if error.status else {})},
        )
    integration.next_check_at = now + CHECK_INTERVAL
    integration.save()
    return integration


def verify_integration(*, user: User, integration_id: UUID | str, now: datetime | None = None) -> Integration:
    """ "Verify now": call the provider with the current key and record what it said.

    A refusal marks the connection in error (``status_detail`` says why); a timeout or a 5xx is
    logged but leaves the status as it was. Returns the integration. Raises ``NotFound``,
    ``NotConnected``.
    """
    now = now or timezone.now()
    integration = get_integration(user=user, integration_id=integration_id)
    if not integration.is_active:
        raise NotConnected()
    adapter = providers.get(integration.provider)
    verification: Verification | None = None
    error: ProviderError | None = None
    try:
        verification = adapter.verify(usable_access(integration, now=now))
    except ProviderError as exc:
        error = exc
    with transaction.atomic(durable=True):
        integration = _locked(user=user, integration_id=integration_id)
        if not integration.is_active:
            raise NotConnected()
        return record_check(integration=integration, verification=verification, error=error, now=now)


def disconnect(*, user: User, integration_id: UUID | str, now: datetime | None = None) -> Integration:
    """Disconnect: the provider is told where it can be (Gmail revokes its refresh token), the
    secrets are wiped, auto-rotation stops, an open rotation reminder is cancelled; the row and its
    activity stay (``status=disconnected``). Idempotent. Raises ``NotFound``.
    """
    from integrations.services import rotation

    now = now or timezone.now()
    integration = get_integration(user=user, integration_id=integration_id)
    if not integration.is_active:
        return integration
    adapter = providers.get(integration.provider)
    upstream_note = ""
    try:
        adapter.disconnect(access_for(integration))
    except ProviderError as exc:
        upstream_note = str(exc)
    with transaction.atomic(durable=True):
        integration = _locked(user=user, integration_id=integration_id)
        if not integration.is_active:
            return integration
        integration.credentials.exclude(state=CredentialState.RETIRED).update(
            state=CredentialState.RETIRED, value=_wiped(), retired_at=now
        )
        integration.status = IntegrationStatus.DISCONNECTED
        integration.status_detail = ""
        integration.disconnected_at = now
        integration.auto_rotate = False
        integration.next_rotation_at = None
        integration.next_check_at = None
        integration.rotation_lease_until = None
        integration.save()
        log(
            integration=integration,
            action=ActivityAction.DISCONNECTED,
            success=not upstream_note,
            message=gettext("Disconnected. The stored keys were deleted.")
            + (f" {upstream_note}" if upstream_note else ""),
        )
    rotation.plan_rotation(integration_id=integration.pk, now=now)
    return integration
