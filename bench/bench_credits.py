"""Debits per second through ``credits.services.debit``, beside a raw-SQL baseline, in one run.

1. Reset a database of its own, ``javari_bench``, on the server of ``DATABASE_URL`` (``make bench``
   runs this under ``python -m javari.embedded exec``, which sets it), and migrate it.
2. Open 100 accounts, each with plenty of purchased credits.
3. Start 8 worker PROCESSES (spawn: each sets Django up itself, with its own connection). For each
   scenario, one account and 100 accounts, all 8 wait at a barrier, then each runs a fixed number
   of operations: first the baseline, the bare conditional UPDATE in autocommit over a plain
   psycopg connection; then the service, ``services.debit`` (conditional UPDATE + ledger insert in
   one transaction, idempotency key checked). Wall time runs from the barrier to the last finisher.
4. Check the ledger still sums to every balance, write ``bench/results/credits.json``, print a
   table, and drop the database.

``BENCH_CREDITS_DEBITS`` sets the operations per worker (default 2,000).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

WORKERS = 8
ACCOUNTS = 100
DEBITS_PER_WORKER = int(os.environ.get("BENCH_CREDITS_DEBITS", "2000"))
WARM_UP = 50  # operations per worker before each measured run, not counted
BENCH_DB = "javari_bench"
RESULTS = BASE_DIR / "bench" / "results" / "credits.json"
GRANT = 1_000_000  # purchased credits per account: never the limit in this benchmark

BASELINE_SQL = (
    "UPDATE credits_creditaccount SET purchased_remaining = purchased_remaining - 1 "
    "WHERE user_id = %s AND purchased_remaining >= 1 RETURNING purchased_remaining"
)


def _with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (the host, socket directory and options kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


# --- In each worker process -----------------------------------------------------------------------

_barrier: Any = None
_raw: Any = None
_users: list[Any] = []


def _init_worker(barrier: Any, raw_url: str, user_ids: list[str]) -> None:
    """Set Django up once per process (spawn), open the raw connection, load the users."""
    global _barrier, _raw, _users
    import django
    import psycopg

    django.setup()
    from accounts.models import User

    _barrier = barrier
    _raw = psycopg.connect(raw_url, autocommit=True)
    by_id = {str(user.pk): user for user in User.objects.filter(pk__in=user_ids)}
    _users = [by_id[user_id] for user_id in user_ids]


def _run(task: tuple[str, str, int, int, int]) -> tuple[float, float, int]:
    """One worker's share of a scenario: ``count`` operations of ``kind`` on ``accounts`` accounts."""
    kind, label, worker, accounts, count = task
    from credits import services

    users = _users[:accounts]
    # Each worker walks the accounts from its own offset, so 100 accounts share the load evenly.
    picks = [users[(worker * 13 + i) % accounts] for i in range(count)]
    _barrier.wait()
    started = time.perf_counter()
    done = 0
    if kind == "baseline":
        with _raw.cursor() as cursor:
            for user in picks:
                cursor.execute(BASELINE_SQL, (user.pk,))
                done += cursor.fetchone() is not None
    else:
        for i, user in enumerate(picks):
            services.debit(
                user=user, action_type="chat", amount=1, idempotency_key=f"bench:{label}:{worker}:{i}"
            )
            done += 1
    return started, time.perf_counter(), done


# --- The run --------------------------------------------------------------------------------------


def _reset_database(server_url: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _scenario(pool: Any, kind: str, label: str, accounts: int, count: int) -> tuple[int, float]:
    tasks = [(kind, label, worker, accounts, count) for worker in range(WORKERS)]
    # chunksize=1 and the barrier inside: each of the 8 tasks runs in a different process.
    results = pool.map(_run, tasks, chunksize=1)
    seconds = max(end for _start, end, _done in results) - min(start for start, _end, _done in results)
    return sum(done for _start, _end, done in results), seconds


def main() -> None:
    """Run every scenario, write the results file, print the table."""
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("DATABASE_URL is not set: run this through `make bench` (python -m javari.embedded exec).")
    bench_url = _with_database(server_url, BENCH_DB)
    load_at_start = os.getloadavg()
    _reset_database(server_url, create=True)
    try:
        os.environ["DATABASE_URL"] = bench_url  # read by javari.settings, here and in every worker
        os.environ["DJANGO_SETTINGS_MODULE"] = "javari.settings"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        print(f"Migrating {BENCH_DB}...", flush=True)
        call_command("migrate", verbosity=0)
        user_ids = _open_accounts()
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), current_setting('synchronous_commit')")
            postgres_version, synchronous_commit = cursor.fetchone()
        connection.close()

        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(WORKERS)
        scenarios = []
        all_baseline = all_service = 0
        with ctx.Pool(WORKERS, initializer=_init_worker, initargs=(barrier, bench_url, user_ids)) as pool:
            for name, accounts in (("one_account", 1), ("100_accounts", ACCOUNTS)):
                print(f"Scenario {name}: {WORKERS} workers x {DEBITS_PER_WORKER:,} debits...", flush=True)
                warm_base, _seconds = _scenario(pool, "baseline", f"{name}-warm", accounts, WARM_UP)
                warm_service, _seconds = _scenario(pool, "service", f"{name}-warm", accounts, WARM_UP)
                base_ops, base_seconds = _scenario(pool, "baseline", name, accounts, DEBITS_PER_WORKER)
                ops, seconds = _scenario(pool, "service", name, accounts, DEBITS_PER_WORKER)
                all_baseline += warm_base + base_ops
                all_service += warm_service + ops
                scenarios.append(
                    {
                        "name": name,
                        "accounts": accounts,
                        "workers": WORKERS,
                        "ops": ops,
                        "seconds": round(seconds, 3),
                        "ops_per_s": round(ops / seconds, 1),
                        "baseline_ops": base_ops,
                        "baseline_seconds": round(base_seconds, 3),
                        "baseline_ops_per_s": round(base_ops / base_seconds, 1),
                        "ratio": round((ops / seconds) / (base_ops / base_seconds), 3),
                    }
                )
        ledger_ok = _ledger_sums_to_balances(service_ops=all_service, baseline_ops=all_baseline)
        connection.close()
    finally:
        _reset_database(server_url, create=False)

    result = {
        "benchmark": "credits debits per second: services.debit vs a raw conditional UPDATE",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_at_start": [round(value, 2) for value in load_at_start],
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgres_version": postgres_version,
            "synchronous_commit": synchronous_commit,
        },
        "debits_per_worker": DEBITS_PER_WORKER,
        "ledger_sums_to_balances": ledger_ok,
        "scenarios": scenarios,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    _print_table(result)
    if not ledger_ok:
        sys.exit("The ledger no longer sums to the balances: the benchmark found a bug.")


def _open_accounts() -> list[str]:
    """100 users, each with an account and plenty of purchased credits; their ids."""
    from accounts.models import User
    from credits import services

    user_ids = []
    for number in range(ACCOUNTS):
        user = User.objects.create_user(f"bench{number:03d}@example.com", None)
        services.grant(user=user, amount=GRANT, idempotency_key=f"bench-grant:{number}")
        user_ids.append(str(user.pk))
    return user_ids


def _ledger_sums_to_balances(*, service_ops: int, baseline_ops: int) -> bool:
    """The ledger still sums to the balances, once the baseline's unrecorded decrements are counted.

    The baseline takes purchased credits with no ledger entry (the cost it leaves out is what it
    measures), so the allowance must match its ledger account by account, and the purchased
    credits in total must fall short of the ledger by exactly the baseline's operations.
    """
    from django.db import connection

    from credits.models import EntryKind, LedgerEntry

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE acc.allowance_remaining <> coalesce(sums.a, 0)),
                   coalesce(sum(coalesce(sums.p, 0) - acc.purchased_remaining), 0)
            FROM credits_creditaccount AS acc
            LEFT JOIN (
                SELECT user_id, sum(allowance_delta) AS a, sum(purchased_delta) AS p
                FROM credits_ledgerentry GROUP BY user_id
            ) AS sums ON sums.user_id = acc.user_id
            """
        )
        allowance_off, purchased_short = cursor.fetchone()
    debits = LedgerEntry.objects.filter(kind=EntryKind.DEBIT).count()
    return allowance_off == 0 and purchased_short == baseline_ops and debits == service_ops


def _print_table(result: dict[str, Any]) -> None:
    machine = result["machine"]
    print()
    print(f"credits: {machine['cpu_count']} CPUs, {machine['postgres_version'].split(' on ')[0]}")
    print(f"{'scenario':<14}{'workers':>8}{'ops':>8}{'service/s':>12}{'baseline/s':>12}{'ratio':>8}")
    for row in result["scenarios"]:
        print(
            f"{row['name']:<14}{row['workers']:>8}{row['ops']:>8}{row['ops_per_s']:>12,.0f}"
            f"{row['baseline_ops_per_s']:>12,.0f}{row['ratio']:>8.2f}"
        )
    print(f"written to {RESULTS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
