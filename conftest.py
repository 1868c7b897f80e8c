"""Shared fixtures. The people of every access test, as in healthchecks' BaseTestCase:

- alice: a user with her own data;
- bob: another user (later issues put him on alice's team);
- charlie: "should have no access to Alice's stuff".
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from accounts.models import User

PASSWORD = "correct-horse-battery-9"


def make_user(email: str, *, display_name: str = "", verified: bool = True, **extra: object) -> User:
    user = User.objects.create_user(email, PASSWORD, display_name=display_name, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


@pytest.fixture(autouse=True)
def _seeded_defaults(request: pytest.FixtureRequest) -> None:
    """Plans, prices, packs and the default chat model, as the data migrations make them, for every
    transactional test.

    A transactional test (live server, real Celery worker) ends by flushing every table, data
    migrations' rows included; pytest-django runs those tests last, so each one re-seeds first.
    """
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for migration in (
        "credits.migrations.0002_seed_plans_prices_packs",
        "chat.migrations.0002_seed_default_model",
    ):
        importlib.import_module(migration).seed(apps, None)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in Spanish leaves Spanish active in the thread (as a server's next request would
    # re-activate its own); each test starts in the default language instead.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    # Rate-limit counters live in the cache (Redis db 15 under test settings): start each test clean.
    cache.clear()


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice@example.com", display_name="Alice Example")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob@example.com", display_name="Bob Example")


@pytest.fixture
def charlie(db: None) -> User:
    return make_user("charlie@example.com", display_name="Charlie Example")


@pytest.fixture
def staff(db: None) -> User:
    return make_user("staff@example.com", display_name="Sam Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff: User) -> Client:
    """The staff user signed in with password and TOTP, as the back office requires."""
    from accounts.tests.helpers import signed_in_with_totp

    return signed_in_with_totp(staff)
