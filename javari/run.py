"""``make run``: the whole system in one terminal.

1. Start the embedded PostgreSQL and Redis for each of ``DATABASE_URL``/``REDIS_URL`` left unset,
   and with ``LLM_BASE_URL`` unset the embedded model server (Gemma 3 270M on
   ``127.0.0.1:LLM_EMBEDDED_PORT``), or reuse one already answering there.
2. Migrate, compile translations, collect static files, seed the demo users.
3. Start the web server (gunicorn with uvicorn workers on ``javari.asgi``), a Celery worker and
   Celery beat.
4. Once ``/healthz`` answers, print the URL, the demo logins and which model answers chats.
5. On SIGINT, SIGTERM or SIGHUP (or if any child dies): SIGTERM every child once, wait for them
   to finish what they hold, SIGKILL any still running after the grace period, then stop the
   embedded services this run started. Exit 0 on a requested stop, 1 when a child died by itself,
   start-up failed or something could not be stopped.

Stop signals usually come more than once and at any moment (a terminal's Ctrl-C and ``docker
stop`` signal the whole process group, and make passes a SIGTERM on to us as well). The handler
only records the request (``embedded.StopSignals``) and never raises into running code; the steps
above check it between and while they wait, so the clean-up runs exactly once, to its end, and
later signals are absorbed. Every process we start, the start-up steps included, has a session of
its own, so the group's signals reach it only through us. SIGKILL can't be handled: after one,
whatever this run started keeps running (``make stop`` stops the embedded services).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from javari import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
GRACE_SECONDS = embedded.STOP_GRACE_SECONDS


def _python() -> str:
    return sys.executable


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class _Stopped(Exception):
    """A stop was requested: raised by our own checks between steps, never by a signal handler."""


def _manage(
    env: dict[str, str], stop_signals: embedded.StopSignals, *args: str, capture: bool = False
) -> str:
    """Run a management command in a session of its own; on a stop request, pass the signal on."""
    if stop_signals.requested:
        raise _Stopped
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [_python(), str(BASE_DIR / "manage.py"), *args],
            env=env,
            cwd=BASE_DIR,
            stdout=output if capture else None,
            start_new_session=True,
        )
        while embedded.exit_status(process) is None:
            if stop_signals.wait(0.25):
                signum = stop_signals.received or signal.SIGTERM
                embedded.stop_process_groups({args[0]: process}, grace=GRACE_SECONDS, signum=signum)
                raise _Stopped
        embedded.stop_process_groups({args[0]: process}, grace=0)  # reap it
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, ["manage.py", *args])
        output.seek(0)
        return output.read()


def _wait_until_up(
    url: str, processes: dict[str, subprocess.Popen], stop_signals: embedded.StopSignals, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if (status := embedded.exit_status(process)) is not None:
                raise RuntimeError(f"{name} exited with code {status} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if stop_signals.wait(0.3):
            raise _Stopped
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _probe_host(host: str) -> str:
    """Where to reach a server bound to ``host``: a wildcard bind answers on loopback."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104


def _started_line(name: str, env: dict[str, str]) -> str:
    if name == "llm":
        llm_port = embedded.llm_port(env)
        return (
            f"javari: started the embedded model server (Gemma 3 270M) at {embedded.llm_url(llm_port)}"
            f" (log: {embedded.llm_log_path(llm_port)})"
        )
    return f"javari: started the embedded {name} (data under {embedded.var_dir()})"


def _model_notice(env: dict[str, str]) -> str:
    if env.get("LLM_BASE_URL"):
        return f"  Chat model: {env.get('LLM_MODEL', '')} at {env['LLM_BASE_URL']}."
    return (
        "  Chat replies come from a small local demo model (Gemma 3 270M): fluent, often wrong.\n"
        "  Set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL (see .env.example) to use a real one."
    )


def _serve(
    env: dict[str, str],
    processes: dict[str, subprocess.Popen],
    started: list[str],
    stop_signals: embedded.StopSignals,
) -> int:
    """Steps 1 to 4, then watch the children until a stop is requested (0) or one dies (1)."""
    port = env.get("PORT", "8000")
    host = env.get("HOST", "127.0.0.1")
    # The names are recorded in `started` even if this fails or a stop arrives meanwhile.
    embedded.start_missing_apart(env, started, stop_signals)
    for name in started:
        print(_started_line(name, env), flush=True)
    if not env.get("LLM_BASE_URL") and "llm" not in started:
        url = embedded.llm_url(embedded.llm_port(env))
        print(f"javari: using the model server already answering at {url} (left running)", flush=True)
    _manage(env, stop_signals, "migrate", "--noinput")
    _manage(env, stop_signals, "compile_translations")
    _manage(env, stop_signals, "collectstatic", "--noinput", "--verbosity", "0")
    logins = _manage(env, stop_signals, "seed_demo", capture=True)

    workers = env.get("WEB_CONCURRENCY", "2")
    commands = {
        "web": [
            _bin("gunicorn"), "javari.asgi:application",
            "--worker-class", "uvicorn_worker.UvicornWorker",
            "--bind", f"{host}:{port}", "--workers", workers,
            "--graceful-timeout", str(max(1, GRACE_SECONDS - 5)), "--access-logfile", "-",
        ],
        "worker": [
            _bin("celery"), "--app", "javari", "worker", "--loglevel", "INFO",
            "--concurrency", env.get("CELERY_CONCURRENCY", "2"),
        ],
        "beat": [
            _bin("celery"), "--app", "javari", "beat", "--loglevel", "INFO",
            "--pidfile", "",  # the database scheduler keeps its state; no pid file needed
        ],
    }  # fmt: skip
    # The web server keeps a pool of database connections (DATABASE_POOL); Celery's forked
    # children must not share one, so only the web process gets it.
    envs = {"web": {"DATABASE_POOL": "true", **env}}
    for name, command in commands.items():
        if stop_signals.requested:
            raise _Stopped
        # Each in a session of its own: a terminal's Ctrl-C or a signal to our group reaches it
        # only through us, once.
        processes[name] = subprocess.Popen(
            command, env=envs.get(name, env), cwd=BASE_DIR, start_new_session=True
        )
    _wait_until_up(f"http://{_probe_host(host)}:{port}/healthz", processes, stop_signals)
    print(logins, flush=True)
    print(_model_notice(env), flush=True)
    print("  Web, worker and beat are running. Press Ctrl-C to stop everything.\n", flush=True)
    while not stop_signals.wait(0.5):
        for name, process in processes.items():
            if (status := embedded.exit_status(process)) is not None:
                print(f"javari: {name} exited with code {status}; stopping", flush=True)
                return 1
    raise _Stopped


def _clean_up(processes: dict[str, subprocess.Popen], started: list[str]) -> bool:
    """Stop every child, then the embedded services this run started; say whether all stopped."""
    for name in embedded.stop_process_groups(processes, grace=GRACE_SECONDS):
        print(f"javari: {name} did not stop within {GRACE_SECONDS} s; killed it", flush=True)
    try:
        embedded.stop(started)
    except RuntimeError as exc:
        print(f"javari: {exc}", file=sys.stderr, flush=True)
        return False
    return True


def main() -> int:
    # First, before anything is started: from here on a stop signal is only recorded.
    stop_signals = embedded.StopSignals()
    embedded.load_dotenv()
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    embedded.switch_on(env)  # a local run: embedded services and generated keys for what is unset
    env.setdefault("SITE_URL", f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '8000')}")
    processes: dict[str, subprocess.Popen] = {}
    started: list[str] = []
    code = 1
    try:
        code = _serve(env, processes, started, stop_signals)
    except _Stopped:
        code = 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"javari: {exc}", file=sys.stderr, flush=True)
    finally:
        # Also after an unexpected error. Nothing in here can be interrupted by a signal.
        if stop_signals.received is not None:
            name = signal.Signals(stop_signals.received).name
            print(f"javari: {name} received; stopping (further stop signals are ignored)", flush=True)
        if not _clean_up(processes, started):
            code = 1
        if processes or started:
            print("javari: stopped", flush=True)
        stop_signals.ignore_from_now()
    return code


if __name__ == "__main__":
    sys.exit(main())
