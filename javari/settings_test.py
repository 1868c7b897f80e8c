"""Test settings: the real ones, with tests kept apart from a running dev server's data.

- Redis database 15 (``TEST_REDIS_DB``) for the cache, broker and results, so flushing it between tests never
  touches the data of a ``make run`` sharing the same Redis. Under pytest-xdist each worker takes the next
  database up (gw0 the base, gw1 base + 1, ...), so workers never flush each other's keys.
- Plain static storage served through the finders: tests don't run ``collectstatic``.
- The embedded switch on (``JAVARI_EMBEDDED``): a test run never needs production's variables.
- A fast password hasher: PBKDF2's cost is the point in production, not in 300 tests.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

# Tests run on the embedded services unless DATABASE_URL/REDIS_URL name others; the subprocesses
# tests start inherit the switch (a test of the switch itself sets it explicitly).
os.environ.setdefault("JAVARI_EMBEDDED", "true")

from javari.settings import *
from javari.settings import REDIS_URL, _kombu_url, env

# Redis's default number of databases (`databases 16`); 0 belongs to the dev server.
REDIS_DATABASES = 16


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        return f"unix://{parts.path}?{urlencode(query)}"  # urlunsplit would drop the "//"
    return urlunsplit(parts._replace(path=f"/{db}"))


def _test_redis_db() -> int:
    """TEST_REDIS_DB, plus the xdist worker's index, so each worker clears only its own keys per test.

    Without TEST_REDIS_DB the workers take the top databases (15 for a serial run; 14 and 15 with
    ``-n 2``), far from the dev server's database 0.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... only under xdist
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    db = env.int("TEST_REDIS_DB", default=REDIS_DATABASES - workers) + index
    if not 0 < db < REDIS_DATABASES:
        raise ImproperlyConfigured(
            f"Test worker {worker or 'main'} would use Redis database {db}: set TEST_REDIS_DB so that "
            f"TEST_REDIS_DB + workers - 1 stays within 1..{REDIS_DATABASES - 1}."
        )
    return db


# TEST_REDIS_DB lets two test runs share one Redis without flushing each other's keys.
REDIS_URL = _with_db(REDIS_URL, _test_redis_db())
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = _kombu_url(REDIS_URL)
CELERY_RESULT_BACKEND = _kombu_url(REDIS_URL)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic before tests: WhiteNoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The integrations' fake providers listen on 127.0.0.1: the only private network tests may reach.
INTEGRATIONS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
INTEGRATIONS_HTTP_TIMEOUT = 2.0
# No test reaches a real provider: each base points at a closed local port until a test sets a fake's.
INTEGRATIONS_VERCEL_API_BASE = "http://127.0.0.1:9"
INTEGRATIONS_SUPABASE_API_BASE = "http://127.0.0.1:9"
INTEGRATIONS_GITHUB_API_BASE = "http://127.0.0.1:9"
INTEGRATIONS_STRIPE_API_BASE = "http://127.0.0.1:9"
INTEGRATIONS_GMAIL_API_BASE = "http://127.0.0.1:9"
INTEGRATIONS_GOOGLE_AUTH_URL = "http://127.0.0.1:9/o/oauth2/v2/auth"
INTEGRATIONS_GOOGLE_TOKEN_URL = "http://127.0.0.1:9/token"  # noqa: S105 (an address)
INTEGRATIONS_GOOGLE_REVOKE_URL = "http://127.0.0.1:9/revoke"
