"""Shared fixtures. The people of every access test, as in healthchecks' BaseTestCase:

- alice: a user with her own data;
- bob: another user (later issues put him on alice's team);
- charlie: "should have no access to Alice's stuff".
"""

from __future__ import annotations

import importlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

__all__ = ["PASSWORD", "free_port", "make_user"]  # what test modules import from here


def make_user(email: str, *, display_name: str = "", verified: bool = True, **extra: object) -> User:
    """A user who signs in with PASSWORD, their email address verified unless ``verified=False``."""
    return UserFactory.create(email=email, display_name=display_name, verified=verified, **extra)


# --- Markers and xdist groups ---------------------------------------------------------------------
# Marked here by path, so a new module in these places is marked without anyone remembering to:
# `make test-quick` (-m "not browser and not embedded and not slow") leaves these out.
BROWSER_DIRS = ("tests/browser/",)
# Tests that start PostgreSQL, Redis or llama.cpp servers of their own, or the whole `make run`.
EMBEDDED_MODULES = (
    "javari/tests/test_run.py",
    "javari/tests/test_embedded.py",
    "javari/tests/test_embedded_llm.py",
)
# The hostile walk over every URL, and the races that need real threads and connections.
SLOW_MODULES = ("tests/test_hostile_input.py", "credits/tests/test_concurrency.py")
# The shared embedded model server (127.0.0.1:8091, LLM_BASE_URL) answers one request at a time:
# two workers streaming from it would each wait on the other's reply, so its users share a worker.
SHARED_LLM_FIXTURES = {"local_model"}


# tryfirst: pytest-xdist's own hook reads the xdist_group markers (to suffix node ids for
# --dist loadgroup), so they must be on the items before it runs.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        path = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if path.startswith(BROWSER_DIRS):
            item.add_marker(pytest.mark.browser)
        if path in EMBEDDED_MODULES:
            item.add_marker(pytest.mark.embedded)
            # One worker per module: their module-scoped servers start once, not once per worker,
            # and two of them never compete for the two cores while timing a server's start.
            item.add_marker(pytest.mark.xdist_group(path))
        if path in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        if SHARED_LLM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("shared-llm"))


def _seed_defaults() -> None:
    from django.apps import apps

    for migration in (
        "credits.migrations.0002_seed_plans_prices_packs",
        "chat.migrations.0002_seed_default_model",
        "preferences.migrations.0002_seed_presets_and_platform_prompt",
        "helpcenter.migrations.0003_categories",
    ):
        importlib.import_module(migration).seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database, with the data migrations' rows even when it is reused (--reuse-db): the last
    transactional test of the previous run flushed them, and a reused database is not migrated again."""
    with django_db_blocker.unblock():
        _seed_defaults()


@pytest.fixture(autouse=True)
def _seeded_defaults(request: pytest.FixtureRequest) -> None:
    """Plans, prices, packs, the default chat model and the behaviour presets, as the data migrations
    make them, for every transactional test.

    A transactional test (live server, real Celery worker) ends by flushing every table, data
    migrations' rows included; pytest-django runs those tests last, so each one re-seeds first.
    Under pytest-xdist each worker has a test database of its own (``<name>_gw0``, ...), so one
    worker's flush and re-seed never reaches another's tests.
    """
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    _seed_defaults()


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


class _ASGIServer(uvicorn.Server):
    """uvicorn's server, with an event set once it listens (uvicorn itself only sets a flag)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


@pytest.fixture
def asgi_url(transactional_db: None) -> Iterator[str]:
    """uvicorn serving javari.asgi in a thread, on the test database, on a free port."""
    from javari.asgi import application

    port = free_port()
    server = _ASGIServer(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert server.listening.wait(timeout=10), "uvicorn did not start"
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
