"""Reads of integrations for pages, the API, the admin and other apps. Always for one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from integrations import providers
from integrations.errors import UnknownProvider
from integrations.models import Activity, Credential, CredentialState, Integration, IntegrationStatus
from javari.secrets import mask_secret

if TYPE_CHECKING:
    from accounts.models import User

ACTIVITY_PAGE_SIZE = 25


def integrations_for(*, user: User, include_disconnected: bool = False) -> QuerySet[Integration]:
    """``user``'s integrations (live ones unless ``include_disconnected``), by provider and name."""
    queryset = Integration.objects.filter(user=user)
    if not include_disconnected:
        queryset = queryset.exclude(status=IntegrationStatus.DISCONNECTED)
    return queryset.order_by("provider", "name", "created_at")


def activity_for(*, user: User, integration_id: UUID | str) -> QuerySet[Activity]:
    """The activity of ``user``'s integration, newest first (empty for another person's)."""
    return Activity.objects.filter(integration_id=integration_id, user=user).order_by("-created_at")


def activity_page(*, user: User, integration_id: UUID | str, page_number: int | str | None = 1) -> Page:
    """One page (25 rows) of ``activity_for``; a bad or too-large page number gives the last page."""
    paginator = Paginator(activity_for(user=user, integration_id=integration_id), ACTIVITY_PAGE_SIZE)
    return paginator.get_page(page_number)


@dataclass(frozen=True)
class StoredCredential:
    """One stored secret as the Security page lists it: never its value, only its mask."""

    integration: Integration
    field: str
    masked: str
    created_at: datetime
    expires_at: datetime | None
    last_rotated_at: datetime | None
    next_rotation_at: datetime | None
    # The provider's name and the field's label ("Vercel", "Access token"); the slug and the field's
    # name for a provider no longer registered.
    provider_name: str = ""
    label: str = ""


def _labels(slug: str) -> tuple[str, dict[str, str]]:
    """A provider's name and its fields' labels by name (in the active language)."""
    try:
        provider = providers.get(slug)
    except UnknownProvider:
        return slug, {}
    return str(provider.name), {spec.name: str(spec.label) for spec in provider.fields}


def stored_credentials(*, user: User) -> list[StoredCredential]:
    """Every current secret of ``user``'s live integrations, with its age and rotation dates."""
    credentials = (
        Credential.objects.filter(integration__user=user, state=CredentialState.CURRENT)
        .exclude(integration__status=IntegrationStatus.DISCONNECTED)
        .select_related("integration")
        .order_by("integration__provider", "integration__name", "field")
    )
    labels = {slug: _labels(slug) for slug in {c.integration.provider for c in credentials}}
    return [
        StoredCredential(
            integration=credential.integration,
            field=credential.field,
            masked=mask_secret(credential.value),
            created_at=credential.created_at,
            expires_at=credential.expires_at or credential.integration.key_expires_at,
            last_rotated_at=credential.integration.last_rotated_at,
            next_rotation_at=credential.integration.next_rotation_at,
            provider_name=labels[credential.integration.provider][0],
            label=labels[credential.integration.provider][1].get(credential.field, credential.field),
        )
        for credential in credentials
    ]
