"""The provider registry: each slug maps to the dotted path of its ``Provider`` class, imported on
first use (the healthchecks shape). Adding a provider is adding a folder and a line here.

``get(slug)`` returns an instance; ``UnknownProvider`` for a slug that isn't here.
"""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from integrations.errors import UnknownProvider
from integrations.providers.base import Access, Field, NewKey, Provider, Refreshed, Verification

__all__ = [
    "REGISTRY",
    "Access",
    "Field",
    "NewKey",
    "Provider",
    "Refreshed",
    "Verification",
    "all_providers",
    "get",
]

# The spec's order: Vercel, Supabase, Gmail, GitHub, Stripe, Custom.
REGISTRY: dict[str, str] = {
    "vercel": "integrations.providers.vercel.provider.VercelProvider",
    "supabase": "integrations.providers.supabase.provider.SupabaseProvider",
    "gmail": "integrations.providers.gmail.provider.GmailProvider",
    "github": "integrations.providers.github.provider.GitHubProvider",
    "stripe": "integrations.providers.stripe.provider.StripeProvider",
    "custom": "integrations.providers.custom.provider.CustomProvider",
}


@cache
def _load(slug: str) -> type[Provider]:
    cls: type[Provider] = import_string(REGISTRY[slug])
    return cls


def get(slug: str) -> Provider:
    """The provider for ``slug``. Raises ``UnknownProvider``."""
    if not isinstance(slug, str) or slug not in REGISTRY:
        raise UnknownProvider()
    return _load(slug)()


def all_providers() -> list[Provider]:
    """Every registered provider, in the registry's order."""
    return [get(slug) for slug in REGISTRY]
