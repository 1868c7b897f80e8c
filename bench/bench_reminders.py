"""Reminder dispatch: 100,000 due deliveries over 10,000 users, sent once, on time.

1. Create ``javari_bench_reminders`` as a copy of a migrated template kept between runs (as
   ``bench_chat.py`` does: migrating from scratch takes minutes), on the server of ``DATABASE_URL``.
2. Load 10,000 users (verified addresses) and 50,000 one-off reminders, 5 a user, each with email
   and in-app on and no lead time: 100,000 deliveries. Their due times:
   - **burst**: 5,000 reminders (10%) due at the start, all at once;
   - **spread**: 45,000 due evenly over the next ``SPREAD_SECONDS`` (30 s), so lateness measures
     keeping up, not a backlog that was there before the run began.
   Loaded with COPY, not ``create_reminder`` (50,000 durable creates would be the benchmark).
3. Start ``WORKERS`` dispatcher processes (spawn; each sets Django up and holds its own connection,
   as Celery worker processes do). Each loops as the beat task and the send task would, back to
   back: ``write_due_notices`` until nothing is due, then ``claim_emails`` (100) and
   ``send_emails`` on what it claimed, and again, until nothing is due or ready; then it sleeps
   ``TICK`` seconds. (Writing before each claimed batch stands for the beat task running beside
   the send tasks: notices don't wait for an email backlog to drain.)
   The email backend builds each message's MIME bytes, as the SMTP backend does, and counts it (the
   SMTP server is not what is measured).
4. When every email is sent: total time, lateness (``sent_at - due_at`` for each delivery: in-app
   and email, burst and spread apart; p50/p99/max), and ``duplicates``: messages handed to the
   backend beyond one per delivery (must be 0).
5. Baseline, same database, same run: a bare SQL claim loop over 100,000 rows of a plain table
   (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 100) RETURNING id``, one
   transaction per batch), by the same number of processes: the floor the claim alone costs.
6. Write ``bench/results/reminders.json`` (with the machine's load average at the start and the end:
   other processes share the CPUs), print a table with each aim and whether it was met, drop the
   database.

``BENCH_REMINDERS_USERS`` and ``BENCH_REMINDERS_PER_USER`` scale the run (defaults 10,000 and 5).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

USERS = int(os.environ.get("BENCH_REMINDERS_USERS", "10000"))
PER_USER = int(os.environ.get("BENCH_REMINDERS_PER_USER", "5"))
WORKERS = 4
BURST_SHARE = 0.10
SPREAD_SECONDS = 30.0
START_DELAY = 3.0  # seconds between the warmed-up workers' start and the first due time
TICK = 1.0
TIMEOUT = 600.0
AIM_ALL_SENT_SECONDS = 60.0  # the aims: every delivery sent within a minute of the first due
AIM_P99_SECONDS = 2.0  # time, and p99 lateness under 2 s plus the tick
BENCH_DB = "javari_bench_reminders"
TEMPLATE_DB = "javari_bench_reminders_migrated"
RESULTS = BASE_DIR / "bench" / "results" / "reminders.json"

CLAIM_SQL = (
    "UPDATE bench_claim SET claimed_at = now() WHERE id IN ("
    "SELECT id FROM bench_claim WHERE claimed_at IS NULL AND due_at <= now() "
    "ORDER BY due_at LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING id"
)


class CountingBackend:
    """An email backend that counts what it is handed, per (recipient, subject), in this process."""

    sent: dict[tuple[str, str], int] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        for message in messages:
            message.message().as_bytes()  # the MIME message the SMTP backend would build and send
            key = (message.to[0], message.subject)
            CountingBackend.sent[key] = CountingBackend.sent.get(key, 0) + 1
        return len(messages)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# --- In each worker process -----------------------------------------------------------------------


def _init_worker() -> None:
    import django

    django.setup()


def _dispatcher(task: tuple[float, int]) -> dict[str, Any]:
    """Dispatch until ``expected`` emails are sent (read from the database) or the timeout."""
    deadline, expected = task
    from bench_reminders import CountingBackend as Backend  # the class Django's settings name
    from django.db import connection

    from reminders.models import Delivery
    from reminders.services.dispatch import claim_emails, send_emails, write_due_notices

    passes = idle = 0
    while time.time() < deadline:
        busy = False
        while True:
            # The beat task writes notices while send tasks run in other processes: a worker here
            # writes what has come due before each batch it sends, so notices never queue behind
            # an email backlog (which the beat, running apart, would not make them do).
            while write_due_notices(batch=500) == 500:
                busy = True
            ids = claim_emails(batch=100, queue=False)
            if not ids:
                break
            busy = True
            send_emails(ids)
        passes += 1
        if not busy:
            if Delivery.objects.filter(channel="email", status="sent").count() >= expected:
                break
            idle += 1
            time.sleep(TICK)
    connection.close()
    return {"passes": passes, "idle_ticks": idle, "sent": dict(Backend.sent)}


def _claimer(task: tuple[str, int]) -> tuple[float, float, int]:
    import psycopg

    url, _worker = task
    claimed = 0
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        while True:
            with conn.transaction():
                rows = conn.execute(CLAIM_SQL).fetchall()
            if not rows:
                break
            claimed += len(rows)
        return started, time.perf_counter(), claimed


# --- The run --------------------------------------------------------------------------------------


def _migrations_fingerprint() -> str:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key, migration in sorted(loader.disk_migrations.items()):
        digest.update(repr(key).encode())
        digest.update(Path(sys.modules[type(migration).__module__].__file__ or "").read_bytes())
    return digest.hexdigest()


def _create_database(server_url: str) -> bool:
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
            return False
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    print(f"Migrating {BENCH_DB} (kept as {TEMPLATE_DB} for the next runs)...", flush=True)
    call_command("migrate", verbosity=0)
    connection.close()
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE "{BENCH_DB}"')
        conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")
    return True


def _load(bench_url: str, start: datetime) -> tuple[int, int]:
    """Users, verified addresses and reminders by COPY; returns (reminders, burst reminders)."""
    import psycopg

    now = datetime.now(UTC)
    total = USERS * PER_USER
    burst = int(total * BURST_SHARE)
    with psycopg.connect(bench_url) as conn:
        user_ids = [uuid.uuid4() for _ in range(USERS)]
        with conn.cursor().copy(
            "COPY accounts_user (id, email, display_name, language, is_staff, is_active, is_superuser, "
            "date_joined, password) FROM STDIN"
        ) as copy:
            for number, user_id in enumerate(user_ids):
                copy.write_row(
                    (user_id, f"b{number}@example.com", f"B{number}", "", False, True, False, now, "!")
                )
        with conn.cursor().copy(
            'COPY account_emailaddress (user_id, email, verified, "primary") FROM STDIN'
        ) as copy:
            for number, user_id in enumerate(user_ids):
                copy.write_row((user_id, f"b{number}@example.com", True, True))
        with conn.cursor().copy(
            "COPY reminders_reminder (id, user_id, title, description, reminder_type, start_date, "
            "start_time, time_zone, recurrence, rule, due_at, fire_occurrence, next_fire_at, snooze_round, "
            "related_project, action_url, status, notify_email, notify_in_app, lead_minutes, created_at, "
            "updated_at) FROM STDIN"
        ) as copy:
            spread = total - burst
            for number in range(total):
                if number < burst:
                    due = start
                else:
                    due = start + timedelta(seconds=SPREAD_SECONDS * (number - burst) / spread)
                due = due.replace(microsecond=(due.microsecond // 1000) * 1000)
                copy.write_row(
                    (
                        uuid.uuid4(),
                        user_ids[number % USERS],
                        f"B{number}",
                        "",
                        "custom",
                        due.date(),
                        due.time().replace(tzinfo=None),
                        "UTC",
                        "none",
                        "",
                        due,
                        due,
                        due,
                        0,
                        "",
                        "",
                        "pending",
                        True,
                        True,
                        0,
                        now,
                        now,
                    )
                )
        conn.execute(
            "CREATE TABLE bench_claim (id bigserial PRIMARY KEY, due_at timestamptz, claimed_at timestamptz)"
        )
        conn.execute("CREATE INDEX bench_claim_ready ON bench_claim (due_at) WHERE claimed_at IS NULL")
        conn.execute(
            "INSERT INTO bench_claim (due_at) SELECT now() - interval '1 second' FROM generate_series(1, %s)",
            (total * 2,),
        )
        conn.commit()
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return total, burst


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 3)

    return {"count": len(ordered), "p50_s": at(0.5), "p99_s": at(0.99), "max_s": round(ordered[-1], 3)}


def main() -> None:
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("DATABASE_URL is not set: run this through `make bench` (python -m javari.embedded exec).")
    bench_url = _with_database(server_url, BENCH_DB)
    load_at_start = os.getloadavg()
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "javari.settings"
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("JAVARI_EMBEDDED", "true")
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "bench_reminders.CountingBackend"
    migrated = _create_database(server_url)
    try:
        from django.db import connection

        placeholder = datetime(2030, 1, 1, tzinfo=UTC)
        print(f"Loading {USERS:,} users and {USERS * PER_USER:,} reminders...", flush=True)
        total, burst = _load(bench_url, placeholder)
        expected_emails = total
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), current_setting('synchronous_commit')")
            postgres_version, synchronous_commit = cursor.fetchone()
        connection.close()

        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(WORKERS, initializer=_init_worker_with_backend) as pool:
            pool.map(_warm_up, range(WORKERS), chunksize=1)
            # The due times move to the run's start once loading is done, however long it took.
            start = datetime.now(UTC) + timedelta(seconds=START_DELAY)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE reminders_reminder SET due_at = due_at + %s, "
                    "fire_occurrence = fire_occurrence + %s, next_fire_at = next_fire_at + %s",
                    [start - placeholder] * 3,
                )
            connection.close()
            start_wait = (start - datetime.now(UTC)).total_seconds()
            print(f"Dispatching with {WORKERS} processes; first due in {start_wait:.1f} s...", flush=True)
            deadline = time.time() + start_wait + TIMEOUT
            results = pool.map(_dispatcher, [(deadline, expected_emails)] * WORKERS, chunksize=1)
            finished = datetime.now(UTC)

            print("Baseline: a bare SQL claim loop...", flush=True)
            claims = pool.map(_claimer, [(bench_url, worker) for worker in range(WORKERS)], chunksize=1)

        sends: dict[tuple[str, str], int] = {}
        for result in results:
            for key, count in result["sent"].items():
                sends[key] = sends.get(key, 0) + count
        handed = sum(sends.values())
        duplicates = handed - len(sends)

        from reminders.models import Delivery

        rows = list(
            Delivery.objects.filter(status="sent").values_list(
                "channel", "due_at", "sent_at", "reminder__title"
            )
        )
        last_sent = max(sent for _c, _d, sent, _t in rows)
        lateness: dict[str, list[float]] = {}
        for channel, due, sent, title in rows:
            kind = "burst" if int(title[1:]) < burst else "spread"
            lateness.setdefault(f"{channel}_{kind}", []).append((sent - due).total_seconds())
        unsent = Delivery.objects.exclude(status="sent").count()
        connection.close()
    finally:
        import psycopg

        with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

    load_at_end = os.getloadavg()
    claim_seconds = max(end for _s, end, _n in claims) - min(begin for begin, _e, _n in claims)
    claimed = sum(n for _s, _e, n in claims)
    send_seconds = (last_sent - start).total_seconds()
    result = {
        "benchmark": "reminder dispatch: due deliveries written, claimed and sent once",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_at_start": [round(value, 2) for value in load_at_start],
            "load_average_at_end": [round(value, 2) for value in load_at_end],
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgres_version": postgres_version,
            "synchronous_commit": synchronous_commit,
        },
        "database_migrated_this_run": migrated,
        "setup": {
            "users": USERS,
            "reminders": total,
            "deliveries": total * 2,
            "channels": ["email", "in_app"],
            "burst_reminders_due_at_start": burst,
            "spread_reminders": total - burst,
            "spread_seconds": SPREAD_SECONDS,
            "dispatcher_processes": WORKERS,
            "tick_seconds": TICK,
            "email_backend": "counting (in process; no SMTP)",
            "due_times": "10% all at the start (burst), 90% evenly over the next 30 s (spread); "
            "lateness = sent_at - due_at per delivery",
        },
        "seconds_until_all_sent": round(send_seconds, 2),
        "seconds_until_workers_stopped": round((finished - start).total_seconds(), 2),
        "deliveries_per_s": round(total * 2 / max(send_seconds, SPREAD_SECONDS), 1),
        "duplicates": duplicates,
        "unsent": unsent,
        "emails_handed_to_backend": handed,
        "lateness": {name: _percentiles(values) for name, values in sorted(lateness.items())},
        "workers": [{"passes": r["passes"], "idle_ticks": r["idle_ticks"]} for r in results],
        "baseline_bare_sql_claim": {
            "rows": claimed,
            "seconds": round(claim_seconds, 3),
            "rows_per_s": round(claimed / claim_seconds, 1),
            "statement": CLAIM_SQL,
        },
        "aims": {
            "all_sent_under_s": AIM_ALL_SENT_SECONDS,
            "all_sent_met": send_seconds < AIM_ALL_SENT_SECONDS,
            "duplicates": 0,
            "duplicates_met": duplicates == 0,
            "p99_lateness_under_s": AIM_P99_SECONDS + TICK,
            "p99_lateness_met": all(
                _percentiles(values).get("p99_s", 0) < AIM_P99_SECONDS + TICK for values in lateness.values()
            ),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    _print_table(result)
    if duplicates or unsent:
        sys.exit("Duplicates or unsent deliveries: the benchmark found a bug.")


def _warm_up(_worker: int) -> None:
    """What a long-running worker has done before: imports, compiled templates, a connection."""
    from django.db import connection
    from django.template.loader import get_template

    import reminders.services.dispatch  # noqa: F401

    for name in (
        "reminders/email/subject.txt",
        "reminders/email/reminder.txt",
        "reminders/email/reminder.html",
    ):
        get_template(name)
    connection.ensure_connection()
    time.sleep(0.5)  # every process takes one warm-up task


def _init_worker_with_backend() -> None:
    _init_worker()
    from django.conf import settings

    settings.EMAIL_BACKEND = "bench_reminders.CountingBackend"


def _print_table(result: dict[str, Any]) -> None:
    machine, setup = result["machine"], result["setup"]
    print()
    print(
        f"reminders: {machine['cpu_count']} CPUs, load {machine['load_average_at_start'][0]} at start, "
        f"{setup['deliveries']:,} deliveries ({setup['reminders']:,} reminders x email + in-app), "
        f"{setup['users']:,} users, {setup['dispatcher_processes']} processes"
    )
    aims = result["aims"]

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"all sent after {result['seconds_until_all_sent']} s "
        f"(aim < {aims['all_sent_under_s']:g} s: {met(aims['all_sent_met'])}); "
        f"duplicates {result['duplicates']} (aim 0: {met(aims['duplicates_met'])}); unsent {result['unsent']}"
    )
    print(f"{'lateness':<16}{'count':>8}{'p50 s':>9}{'p99 s':>9}{'max s':>9}")
    for name, row in result["lateness"].items():
        print(f"{name:<16}{row['count']:>8}{row['p50_s']:>9}{row['p99_s']:>9}{row['max_s']:>9}")
    print(
        f"p99 lateness aim < {aims['p99_lateness_under_s']:g} s in every row: {met(aims['p99_lateness_met'])}"
    )
    print(
        f"load average {machine['load_average_at_start'][0]} at start, "
        f"{machine['load_average_at_end'][0]} at end "
        f"({machine['cpu_count']} CPUs; other processes share them)"
    )
    base = result["baseline_bare_sql_claim"]
    print(
        f"bare SQL claim loop: {base['rows']:,} rows in {base['seconds']} s "
        f"= {base['rows_per_s']:,.0f} rows/s"
    )
    print(f"written to {RESULTS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
