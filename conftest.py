"""Shared fixtures. The people of every access test, as in healthchecks' BaseTestCase:

- alice: a user with her own data;
- bob: another user (later issues put him on alice's team);
- charlie: "should have no access to Alice's stuff".
"""

from __future__ import annotations

import importlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def asgi_url(transactional_db: None) -> Iterator[str]:
    """uvicorn serving javari.asgi in a thread, on the test database."""
    from javari.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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
