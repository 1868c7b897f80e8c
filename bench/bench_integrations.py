"""Key rotation: 1,000 due integrations rotated against the fake Vercel, with injected failures.

1. Create ``javari_bench_integrations`` as a copy of a migrated template kept between runs (as
   ``bench_reminders.py`` does), on the server of ``DATABASE_URL``.
2. Start the fake Vercel (``integrations/providers/vercel/tests/fake.py``, real HTTP on 127.0.0.1)
   with faults injected: every ``CREATE_FAULT_EVERY``-th "make a key" call and every
   ``REVOKE_FAULT_EVERY``-th revoke answer 500. Load 100 people with 10 Vercel connections each,
   every one auto-rotating and due now, each with its own live token (bulk-created rows: the load
   is not what is measured).
3. Run the daily pass as the beat task would (``rotate_due``, batches of ``BATCH``) from
   ``THREADS`` threads at once until a batch comes back short (SKIP LOCKED shares the work).
4. Then a second pass once the backoff has passed (the next day's run): failed rotations are
   tried again and old keys still to revoke are revoked.
5. Count integrations **without a working key** (the current credential's value is not a live
   token at the fake: must be 0), live Javari tokens beyond one per integration (orphans: must be
   0), and what each pass did. Write ``bench/results/integrations.json``, print it, drop the
   database. Exit non-zero if any integration was left without a working key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

PEOPLE = int(os.environ.get("BENCH_INTEGRATIONS_PEOPLE", "100"))
PER_PERSON = int(os.environ.get("BENCH_INTEGRATIONS_PER_PERSON", "10"))
THREADS = 2
BATCH = 50
CREATE_FAULT_EVERY = 97
REVOKE_FAULT_EVERY = 89
BENCH_DB = "javari_bench_integrations"
TEMPLATE_DB = "javari_bench_integrations_migrated"
RESULTS = BASE_DIR / "bench" / "results" / "integrations.json"


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _migrations_fingerprint() -> str:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key, migration in sorted(loader.disk_migrations.items()):
        digest.update(repr(key).encode())
        digest.update(Path(sys.modules[type(migration).__module__].__file__ or "").read_bytes())
    return digest.hexdigest()


def _create_database(server_url: str) -> None:
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    fingerprint = f"javari bench migrations {_migrations_fingerprint()}"
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (TEMPLATE_DB,)
        ).fetchone()
        if row is not None and row[0] == fingerprint:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}" TEMPLATE "{TEMPLATE_DB}"')
            return
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    print(f"Migrating {BENCH_DB} (kept as {TEMPLATE_DB} for the next runs)...", flush=True)
    call_command("migrate", verbosity=0)
    connection.close()
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE "{BENCH_DB}"')
        conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")


def _faulty_vercel() -> Any:
    from integrations.providers.vercel.tests.fake import FakeVercel

    class FaultyVercel(FakeVercel):
        """The fake with every Nth create and every Mth revoke answered 500."""

        def __init__(self) -> None:
            super().__init__()
            self.counters = {
                "POST /v3/user/tokens": itertools.count(1),
                "DELETE /v3/user/tokens/{id}": itertools.count(1),
            }
            self.injected = {"create": 0, "revoke": 0}

        def fault(self, route: str) -> int | str | None:
            with self.lock:
                if route == "POST /v3/user/tokens" and next(self.counters[route]) % CREATE_FAULT_EVERY == 0:
                    self.injected["create"] += 1
                    return 500
                if (
                    route == "DELETE /v3/user/tokens/{id}"
                    and next(self.counters[route]) % REVOKE_FAULT_EVERY == 0
                ):
                    self.injected["revoke"] += 1
                    return 500
            return super().fault(route)

    return FaultyVercel()


def _load(fake: Any, *, now: datetime) -> int:
    """People, their Vercel connections (due a minute ago) and current credentials, in bulk."""
    from accounts.models import User
    from integrations.models import Credential, CredentialState, Integration

    users = User.objects.bulk_create(
        [User(email=f"bench{number}@example.com", display_name=f"Bench {number}") for number in range(PEOPLE)]
    )
    integrations: list[Integration] = []
    credentials: list[Credential] = []
    for user in users:
        for number in range(PER_PERSON):
            integration = Integration(
                user=user,
                provider="vercel",
                name=f"Project {number}",
                config={"team_id": "team_javari", "account": "ada"},
                auto_rotate=True,
                rotation_schedule="monthly",
                next_rotation_at=now - timedelta(minutes=1),
                last_verified_at=now,
                created_at=now - timedelta(days=31),
            )
            integrations.append(integration)
            token = fake.new_token(name="made by hand")
            credentials.append(
                Credential(
                    integration=integration,
                    field="api_token",
                    state=CredentialState.CURRENT,
                    value=token,
                    upstream_id=fake.token_id(token),
                    created_at=now - timedelta(days=31),
                )
            )
    Integration.objects.bulk_create(integrations, batch_size=500)
    Credential.objects.bulk_create(credentials, batch_size=500)
    return len(integrations)


def _pass(*, now: datetime) -> dict[str, Any]:
    """``rotate_due`` from THREADS threads until nothing is left to claim; summed counts and time."""
    from django.db import connection

    from integrations.services.rotation import rotate_due

    totals: dict[str, int] = {}
    lock = threading.Lock()

    def worker(_index: int) -> None:
        try:
            while True:
                counts = rotate_due(now=now, limit=BATCH)
                with lock:
                    for key, value in counts.items():
                        totals[key] = totals.get(key, 0) + value
                # A short batch means nothing more is due now (an old key whose revoke keeps failing
                # would otherwise be claimed again at once: the daily task runs one pass a day).
                if counts["claimed"] < BATCH:
                    return
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))
    return {"seconds": round(time.perf_counter() - started, 3), **totals}


def _state(fake: Any) -> dict[str, int]:
    from integrations.models import Credential, CredentialState, Integration

    live = fake.live_values()
    currents = {
        integration_id: value
        for integration_id, value in (
            (credential.integration_id, credential.value)
            for credential in Credential.objects.filter(state=CredentialState.CURRENT).only(
                "integration_id", "value"
            )
        )
    }
    without_working_key = Integration.objects.count() - sum(1 for value in currents.values() if value in live)
    return {
        "integrations": Integration.objects.count(),
        "without_working_key": without_working_key,
        "rotated": Integration.objects.filter(last_rotated_at__isnull=False).count(),
        "old_keys_to_revoke": Credential.objects.filter(state=CredentialState.PREVIOUS).count(),
        "pending_left": Credential.objects.filter(state=CredentialState.PENDING).count(),
        "live_tokens": len(live),
        "orphan_tokens": len(live) - len(currents),
    }


def main() -> None:
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("DATABASE_URL is not set: run this through `make bench` (python -m javari.embedded exec).")
    load_at_start = os.getloadavg()
    os.environ["DATABASE_URL"] = _with_database(server_url, BENCH_DB)
    os.environ["DJANGO_SETTINGS_MODULE"] = "javari.settings"
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("JAVARI_EMBEDDED", "true")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # the injected failures log a warning each
    from django.conf import settings

    _create_database(server_url)
    fake = _faulty_vercel().start()
    try:
        settings.INTEGRATIONS_VERCEL_API_BASE = fake.base_url
        settings.INTEGRATIONS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        from integrations.services.rotation import BACKOFF_BASE, LEASE

        now = datetime.now(UTC)
        print(f"Loading {PEOPLE * PER_PERSON:,} due Vercel integrations...", flush=True)
        total = _load(fake, now=now)
        print(f"Rotating with {THREADS} threads, batches of {BATCH}...", flush=True)
        first = _pass(now=now)
        after_first = _state(fake)
        print("Next day's pass (failed rotations retried, old keys revoked)...", flush=True)
        second = _pass(now=now + max(BACKOFF_BASE, LEASE) + timedelta(minutes=1))
        after_second = _state(fake)
        injected = dict(fake.injected)
    finally:
        fake.stop()
        from django.db import connection

        connection.close()
        import psycopg

        with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

    result = {
        "benchmark": "integrations",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_at_start": [round(value, 2) for value in load_at_start],
            "load_at_end": [round(value, 2) for value in os.getloadavg()],
        },
        "integrations": total,
        "threads": THREADS,
        "batch": BATCH,
        "injected_failures": injected,
        "first_pass": first,
        "after_first_pass": after_first,
        "second_pass": second,
        "after_second_pass": after_second,
        "seconds": first["seconds"],
        "per_second": round(total / first["seconds"], 1) if first["seconds"] else None,
        # The aim: nobody is ever left without a working key, after either pass.
        "without_working_key": max(after_first["without_working_key"], after_second["without_working_key"]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if result["without_working_key"]:
        sys.exit("Some integrations were left without a working key.")


if __name__ == "__main__":
    main()
