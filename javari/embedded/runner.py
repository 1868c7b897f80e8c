"""Starting what is missing, stopping what was started, and ``exec``: running a command with them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from javari.embedded.common import BASE_DIR
from javari.embedded.llm import ensure_llm, llm_port, stop_llm
from javari.embedded.postgres import ensure_postgres, postgres_running, stop_postgres
from javari.embedded.process import STOP_GRACE_SECONDS, StopSignals, exit_status, stop_process_groups
from javari.embedded.redis_server import ensure_redis, redis_running, stop_redis

SWITCH = "JAVARI_EMBEDDED"


def switch_on(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the embedded switch on unless it says otherwise (the runners are local tools).

    The settings read the same variable: on, they start what is missing and generate local keys;
    off (their default, and production's), a missing variable stops start-up instead.
    """
    env.setdefault(SWITCH, "true")
    return env


def _switched_on(env: dict[str, str]) -> bool:
    return env.get(SWITCH, "").strip().lower() in {"true", "on", "yes", "1"}


def start_missing(env: dict[str, str], started: list[str] | None = None) -> list[str]:
    """Fill ``DATABASE_URL``/``REDIS_URL`` in ``env`` from embedded services; name those started.

    With ``LLM_BASE_URL`` unset it also makes sure the embedded model server answers on
    ``LLM_EMBEDDED_PORT``, but writes no ``LLM_BASE_URL``: the settings derive the same URL from the
    port, and a URL set would make them treat the server as an external one.

    PostgreSQL and Redis are named in ``started`` before they start, so a start that fails half-way
    (the server running, its database not yet created) still leaves them to the caller to stop.
    The model server stops itself when its start fails.
    """
    started = [] if started is None else started
    if not _switched_on(env):
        # JAVARI_EMBEDDED=false: nothing starts behind the operator's back; the settings name
        # whatever is missing when the command starts.
        return started
    if not env.get("DATABASE_URL"):
        if not postgres_running():
            started.append("postgres")
        env["DATABASE_URL"] = ensure_postgres().url
    if not env.get("REDIS_URL"):
        if not redis_running():
            started.append("redis")
        env["REDIS_URL"] = ensure_redis().url
    if not env.get("LLM_BASE_URL"):
        llm = ensure_llm(llm_port(env))
        if llm.started_here:
            started.append("llm")
    return started


def _start_missing_command(report: Path) -> int:
    """``start-missing REPORT``: ``start_missing`` for a runner, which reads REPORT (JSON) afterwards.

    The report is written even when the start fails, so the runner stops what did start.
    """
    env = dict(os.environ)
    started: list[str] = []
    try:
        start_missing(env, started)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"javari: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        urls = {key: env[key] for key in ("DATABASE_URL", "REDIS_URL") if env.get(key)}
        partial = report.with_name(f"{report.name}.partial")
        partial.write_text(json.dumps({"env": urls, "started": started}))
        partial.replace(report)  # the runner never reads half a report
    return 0


ALL = ["postgres", "redis", "llm"]


def stop(names: list[str]) -> None:
    """Stop the named services; "llm" is the server on this environment's ``LLM_EMBEDDED_PORT``.

    Each one is stopped even when another fails to stop; the failures are raised together after.
    """
    stoppers = {"llm": stop_llm, "postgres": stop_postgres, "redis": stop_redis}
    failures = []
    for name in ALL:
        if name in names:
            try:
                stoppers[name]()
            # Whatever went wrong with one (a library's assertion included), the others are still
            # to be stopped; the error is reported after.
            except Exception as exc:
                failures.append(f"{name}: {exc!r}")
    if failures:
        raise RuntimeError("could not stop the embedded " + "; ".join(failures))


def start_missing_apart(env: dict[str, str], started: list[str], stop_signals: StopSignals) -> None:
    """``start_missing`` in a helper process of its own session, out of reach of our group's signals.

    A stop requested meanwhile waits for it to finish (each service's start is bounded), so that
    what it started is known and can be stopped. With every URL given there is nothing to start.
    """
    if all(env.get(key) for key in ("DATABASE_URL", "REDIS_URL", "LLM_BASE_URL")):
        return
    with tempfile.TemporaryDirectory(prefix="javari-start-") as folder:
        report = Path(folder) / "started.json"
        helper = subprocess.Popen(
            [sys.executable, "-m", "javari.embedded", "start-missing", str(report)],
            env=env,
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        told = False
        while helper.poll() is None:
            if stop_signals.wait(0.25) and not told:
                print("javari: stopping once the embedded services have started", flush=True)
                told = True
        result = json.loads(report.read_text()) if report.exists() else {}
    started.extend(name for name in result.get("started", []) if name not in started)
    env.update(result.get("env", {}))
    if helper.returncode != 0:
        raise RuntimeError(f"the embedded services did not start (exit code {helper.returncode})")


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode  # a shell's 128+N for signal N


def _exec(command: list[str]) -> int:
    """Run ``command`` with the embedded services; stop those this call started when it ends.

    The first stop signal is passed on to the command once (SIGINT stays SIGINT, so pytest prints
    its summary); it gets ``STOP_GRACE_SECONDS`` before SIGKILL. Exits with the command's
    code (128+N if signal N ended it).
    """
    stop_signals = StopSignals()
    env = switch_on(dict(os.environ))
    started: list[str] = []
    code = 1
    try:
        start_missing_apart(env, started, stop_signals)
        if stop_signals.received is not None:  # stopped while the services started
            code = 128 + stop_signals.received
        else:
            code = _run_command(command, env, stop_signals)
    except RuntimeError as exc:
        print(f"javari: {exc}", file=sys.stderr, flush=True)
    finally:
        try:
            stop(started)
        except RuntimeError as exc:
            print(f"javari: {exc}", file=sys.stderr, flush=True)
            code = code or 1
        stop_signals.ignore_from_now()
    return code


def _run_command(command: list[str], env: dict[str, str], stop_signals: StopSignals) -> int:
    # Its own session: our group's signals reach it only through us, and only once.
    child = subprocess.Popen(command, env=env, start_new_session=True)
    while exit_status(child) is None and not stop_signals.wait(0.25):
        pass
    if exit_status(child) is None and stop_signals.received is not None:
        stop_process_groups({"command": child}, grace=STOP_GRACE_SECONDS, signum=stop_signals.received)
    else:
        stop_process_groups({"command": child}, grace=0)  # reap it; end what it left behind
    return _exit_code(child.returncode)
