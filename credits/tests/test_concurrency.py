"""Many processes debiting one account at once, against the real PostgreSQL, never overspend.

Eight worker processes (not threads: each has its own connection, as web and Celery workers do)
wait at a barrier (a "go" line on their stdin, written to all of them at once), then each tries 50
one-credit debits with unique keys. The account holds less than the 400 asked for, so
exactly what it holds must succeed and the rest be refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import User
from credits import services
from credits.models import CreditAccount, EntryKind, LedgerEntry
from credits.tests.test_services import assert_ledger_matches, seeded_plans  # noqa: F401 (a fixture)

# transaction=True: the rows must be committed for the worker processes to see them.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_plans")]

WORKERS = 8
DEBITS_PER_WORKER = 50

# Run by each worker: set up Django, say "ready", wait for "go" on stdin, debit, print the counts.
WORKER = """
import json, sys
import django
django.setup()
from accounts.models import User
from credits import services
from credits.errors import InsufficientCredits, SpendingCapReached
from django.db import connection

user_id, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
user = User.objects.get(pk=user_id)
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()  # blocks until the parent says "go": no polling, no sleep
counts = {"ok": 0, "insufficient": 0, "capped": 0}
for i in range(count):
    try:
        services.debit(user=user, action_type="chat", amount=1, idempotency_key=f"conc:{worker}:{i}")
        counts["ok"] += 1
    except InsufficientCredits:
        counts["insufficient"] += 1
    except SpendingCapReached:
        counts["capped"] += 1
print(json.dumps(counts), flush=True)
"""


def _test_database_url() -> str:
    """A URL for the test database (not the dev one), whose host may be a Unix socket directory."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        user += ":" + quote(db["PASSWORD"], safe="")
    # django-environ puts a socket directory given as ?host= into OPTIONS, not HOST.
    options = db.get("OPTIONS") or {}
    host = db.get("HOST") or options.get("host") or ""
    port = str(db.get("PORT") or options.get("port") or "")
    if host.startswith("/"):
        # The socket directory stays unescaped: django-environ reads ?host= as it is.
        query = f"host={quote(host, safe='/')}" + (f"&port={port}" if port else "")
        return f"postgres://{user}@/{quote(db['NAME'])}?{query}"
    netloc = f"{user}@{host}" + (f":{port}" if port else "")
    return f"postgres://{netloc}/{quote(db['NAME'])}"


def _debit_from_many_processes(user: User) -> dict[str, int]:
    """Start the workers, release them together, and add up what they report."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "javari.settings_test",
        "DATABASE_URL": _test_database_url(),
        "PYTHONPATH": str(settings.BASE_DIR),
        # Commits don't wait for the disk: the locking under test is the same, the run is faster.
        "PGOPTIONS": "-c synchronous_commit=off",
    }
    args = [str(user.pk), "", str(DEBITS_PER_WORKER)]
    procs = []
    for worker in range(WORKERS):
        args[1] = str(worker)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, *args],
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
        for proc in procs:  # everyone is ready: release them together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        totals = {"ok": 0, "insufficient": 0, "capped": 0}
        deadline = time.monotonic() + 60
        for proc in procs:
            out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
            assert proc.returncode == 0, err
            for key, value in json.loads(out.strip().splitlines()[-1]).items():
                totals[key] += value
        return totals
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_concurrent_debits_never_overspend(alice: User) -> None:
    # 300 credits in both buckets: 200 of allowance, 100 purchased.
    services.get_account(alice)
    services.debit(user=alice, action_type="chat", amount=300, idempotency_key="setup")
    services.grant(user=alice, amount=100, idempotency_key="setup-grant")
    debits_before = LedgerEntry.objects.filter(user=alice, kind=EntryKind.DEBIT).count()

    totals = _debit_from_many_processes(alice)

    assert totals == {"ok": 300, "insufficient": WORKERS * DEBITS_PER_WORKER - 300, "capped": 0}
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining) == (0, 0)
    assert LedgerEntry.objects.filter(user=alice, kind=EntryKind.DEBIT).count() - debits_before == 300
    assert not LedgerEntry.objects.filter(user=alice, balance_after__lt=0).exists()
    # Each success left its own balance: 299, 298, ... 0, each exactly once.
    after = LedgerEntry.objects.filter(user=alice, idempotency_key__startswith="conc:")
    assert sorted(after.values_list("balance_after", flat=True)) == list(range(300))


def test_concurrent_debits_never_pass_the_monthly_cap(alice: User) -> None:
    services.get_account(alice)  # 500 credits of allowance
    services.set_monthly_cap(user=alice, cap=150)

    totals = _debit_from_many_processes(alice)

    assert totals == {"ok": 150, "insufficient": 0, "capped": WORKERS * DEBITS_PER_WORKER - 150}
    account = assert_ledger_matches(alice)
    assert (account.balance, account.spent_in_month) == (350, 150)
    assert CreditAccount.objects.get(user=alice).monthly_cap == 150
