"""The embedded defaults: PostgreSQL with pgvector and Redis from wheels, data kept across restarts,
and `exec`, which runs a command with them and stops them however many stop signals arrive.

Each test runs the real `python -m javari.embedded` in a throwaway JAVARI_VAR_DIR. The model
server is the one the test suite shares (LLM_BASE_URL), so these never start or stop one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
from django.conf import settings

from javari import embedded

SHARED_LLM = "http://127.0.0.1:8091/v1"


def _embedded(var_dir: Path, *args: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["JAVARI_VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def outside_pytest_temp() -> Path:
    """A data folder outside pytest's /tmp/pytest-of-USER: as root, PostgreSQL runs as
    ``embedded_postgres``, and every pytest session that starts (another worktree's) resets that folder to
    mode 0700, which locks pg_ctl and initdb out of a data folder below it."""
    return Path(tempfile.mkdtemp(prefix="javari-test-var-"))


@pytest.fixture
def var_dir() -> Iterator[Path]:
    folder = outside_pytest_temp()
    yield folder
    _embedded(folder, "stop")
    shutil.rmtree(folder, ignore_errors=True)


def test_the_embedded_postgres_has_pgvector_and_keeps_data_across_a_restart(var_dir: Path) -> None:
    urls = _embedded(var_dir, "start")
    assert (var_dir / "pgdata" / "PG_VERSION").read_text().strip() == "18"
    with psycopg.connect(urls["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        # pg_trgm is contrib: the help center's typo-tolerant search needs it on the embedded server.
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        assert conn.execute("SELECT similarity('credits', 'crdits') > 0.4").fetchone() == (True,)
        conn.execute("CREATE TABLE kept (v vector(3))")
        conn.execute("INSERT INTO kept VALUES ('[1,2,3]')")

    _embedded(var_dir, "stop")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(urls["DATABASE_URL"], connect_timeout=2)

    urls_again = _embedded(var_dir, "start")
    assert urls_again["DATABASE_URL"] == urls["DATABASE_URL"]
    with psycopg.connect(urls_again["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT v <-> '[1,2,4]' FROM kept").fetchone() == (1.0,)


def test_the_embedded_redis_keeps_data_across_a_restart(var_dir: Path) -> None:
    urls = _embedded(var_dir, "start")
    redis.Redis.from_url(urls["REDIS_URL"]).set("kept", "yes")

    _embedded(var_dir, "stop")
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(urls["REDIS_URL"], socket_connect_timeout=1).ping()

    _embedded(var_dir, "start")
    assert redis.Redis.from_url(urls["REDIS_URL"]).get("kept") == b"yes"


def test_exec_runs_a_command_with_the_urls_and_stops_what_it_started(var_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["JAVARI_VAR_DIR"] = str(var_dir)
    probe = (
        "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).ping(); "
        "print(os.environ['DATABASE_URL'])"
    )
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", "exec", "--", sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "host=" in result.stdout
    assert not (var_dir / "pgdata" / "postmaster.pid").exists()  # stopped again
    assert not (var_dir / "redis" / "redis.sock").exists()


def test_exec_passes_on_the_commands_exit_code(var_dir: Path) -> None:
    env = {**os.environ, "JAVARI_VAR_DIR": str(var_dir), "DATABASE_URL": "x", "REDIS_URL": "y"}
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", "exec", "--", sys.executable, "-c", "raise SystemExit(3)"],
        cwd=settings.BASE_DIR,
        env=env,
        timeout=60,
    )
    assert result.returncode == 3
    assert not (var_dir / "pgdata").exists()  # URLs given: nothing embedded was started


# --- Stopping cleanly -----------------------------------------------------------------------------


def leftovers(var_dir: Path, llm_port: int | None = None) -> list[str]:
    """Every live process that belongs to a run on ``var_dir``: its environment names the folder
    (the runner's children and the daemons they started), it works in it (PostgreSQL and Redis
    chdir into their data), its command line names it, or it is the model server on ``llm_port``."""
    folder = str(var_dir.resolve())
    found = []
    for process in psutil.process_iter(["cmdline", "cwd", "environ", "status"]):
        if process.pid == os.getpid() or process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = process.info["cmdline"] or []
        ours = (
            (process.info["environ"] or {}).get("JAVARI_VAR_DIR") == folder
            or _within(process.info["cwd"] or "", folder)
            or any(part == folder or f"{folder}/" in part for part in cmdline)
            or (llm_port is not None and "llama_cpp.server" in cmdline and str(llm_port) in cmdline)
        )
        if ours:
            found.append(f"{process.pid}: {' '.join(cmdline)}")
    return found


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")  # not a sibling like var01 next to var0


def storm(process: subprocess.Popen, timeout: float = 180) -> int:
    """Send stop signals to ``process``'s group, a few every millisecond or so, until it exits."""
    deadline = time.monotonic() + timeout
    signals = itertools.cycle([signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
    while process.poll() is None:
        assert time.monotonic() < deadline, "still running long after the stop signals"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, next(signals))
        time.sleep(0.002)
    return process.returncode


def wait_for(condition: Callable[[], object], process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"exited early with code {process.returncode}"
        assert time.monotonic() < deadline, "the moment never came"
        time.sleep(0.01)


def _has_child(process: subprocess.Popen, word: str) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return any(word in child.cmdline() for child in psutil.Process(process.pid).children())
    return False


# A process group whose leader starts a grandchild that ignores SIGTERM, then prints its pid.
GROUP = textwrap.dedent("""
    import signal, subprocess, sys, time
    if sys.argv[1] == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
         "print(flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE,
    )
    grandchild.stdout.readline()  # its handler is in place
    print(grandchild.pid, flush=True)
    time.sleep(600)
""")


def _spawn_group(leader: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", GROUP, leader], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    grandchild = int(process.stdout.readline())
    process.stdout.close()
    return process, grandchild


def _gone(pid: int) -> bool:
    """Exited. A process reparented to a PID 1 that doesn't reap stays a zombie: that is gone too."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    process, grandchild = _spawn_group("stubborn")

    assert embedded.stop_process_groups({"stubborn": process}, grace=0.5) == ["stubborn"]

    assert process.returncode == -signal.SIGKILL
    assert _gone(grandchild)


def test_what_a_leader_leaves_behind_in_its_group_is_killed_too() -> None:
    # The leader stops on SIGTERM; its grandchild ignores it and would run on, orphaned.
    process, grandchild = _spawn_group("leader")

    assert embedded.stop_process_groups({"leader": process}, grace=30) == []

    assert process.returncode == -signal.SIGTERM
    assert _gone(grandchild)


# Records each stop signal it gets; on the first, waits for the test's go-ahead, then exits 3.
RECORDER = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    folder = Path(sys.argv[1])
    def record(signum, frame):
        with (folder / "signals").open("a") as log:
            log.write(f"{signum}\\n")
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, record)
    (folder / "ready").write_text(os.environ["DATABASE_URL"])
    while not (folder / "signals").exists():
        time.sleep(0.01)
    while not (folder / "go").exists():
        time.sleep(0.01)
    sys.exit(3)
""")


def _exec_recorder(var_dir: Path, folder: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(JAVARI_VAR_DIR=str(var_dir), LLM_BASE_URL=SHARED_LLM)
    return subprocess.Popen(
        [sys.executable, "-m", "javari.embedded", "exec", "--", sys.executable, "-c", RECORDER, str(folder)],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,  # a group of its own, as make's
    )


def test_exec_stopped_by_a_storm_of_signals_while_the_services_start_leaves_nothing_running(
    var_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("command")
    runner = _exec_recorder(var_dir, folder)
    wait_for(lambda: _has_child(runner, "start-missing"), runner)

    # The code of the first stop signal handled (a busy machine may hand over two at once).
    assert storm(runner) in {128 + signal.SIGTERM, 128 + signal.SIGINT, 128 + signal.SIGHUP}

    assert not (folder / "ready").exists()  # the command never ran
    assert leftovers(var_dir) == []
    assert not (var_dir / "pgdata" / "postmaster.pid").exists()  # PostgreSQL stopped cleanly


def test_exec_passes_a_storm_of_signals_on_to_the_command_once_and_stops_everything(
    var_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("command")
    runner = _exec_recorder(var_dir, folder)
    wait_for((folder / "ready").exists, runner)
    command = next(c for c in psutil.Process(runner.pid).children() if "-c" in c.cmdline())
    postgres_pid = int((var_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    redis_pid = int((var_dir / "redis" / "redis.pid").read_text())

    def burst_then_go() -> None:
        for _ in range(200):  # the command is still running all along: it waits for "go"
            with contextlib.suppress(ProcessLookupError):
                os.killpg(runner.pid, signal.SIGTERM)
            time.sleep(0.002)
        (folder / "go").touch()

    burst_then_go()
    assert storm(runner) == 3  # the command's own exit code

    assert (folder / "signals").read_text().split() == [str(int(signal.SIGTERM))]  # once
    assert _gone(command.pid)
    assert _gone(postgres_pid)
    assert _gone(redis_pid)
    assert leftovers(var_dir) == []


def test_with_the_switch_off_the_runners_start_nothing() -> None:
    # JAVARI_EMBEDDED=false: no database, Redis or model server behind the operator's back; the
    # settings then name whatever is missing.
    env = {"JAVARI_EMBEDDED": "false"}
    assert embedded.start_missing(env) == []
    assert env == {"JAVARI_EMBEDDED": "false"}


def test_the_runners_turn_the_switch_on_unless_told_otherwise() -> None:
    assert embedded.switch_on({}) == {"JAVARI_EMBEDDED": "true"}
    assert embedded.switch_on({"JAVARI_EMBEDDED": "false"}) == {"JAVARI_EMBEDDED": "false"}
