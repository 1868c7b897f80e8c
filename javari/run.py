"""``make run``: the whole system in one terminal.

1. Start the embedded PostgreSQL and Redis for each of ``DATABASE_URL``/``REDIS_URL`` left unset,
   and with ``LLM_BASE_URL`` unset the embedded model server (Gemma 3 270M on
   ``127.0.0.1:LLM_EMBEDDED_PORT``), or reuse one already answering there.
2. Migrate, compile translations, collect static files, seed the demo users.
3. Start the web server (gunicorn with uvicorn workers on ``javari.asgi``), a Celery worker and
   Celery beat, each in its own process group so a terminal's Ctrl-C reaches them only through us.
4. Once ``/healthz`` answers, print the URL, the demo logins and which model answers chats.
5. On SIGINT or SIGTERM (or if any child dies): SIGTERM every child, wait for them to finish what
   they hold, SIGKILL any still running after the grace period, then stop the embedded services
   this run started. Exit 0 on a requested stop, 1 when a child died by itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from javari import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 20


def _python() -> str:
    return sys.executable


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [_python(), str(BASE_DIR / "manage.py"), *args],
        env=env,
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return result.stdout or ""


def _wait_until_up(url: str, processes: dict[str, subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _stop_children(processes: dict[str, subprocess.Popen]) -> None:
    for proc in processes.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in processes.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"javari: {name} did not stop within {GRACE_SECONDS} s; killing it", flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signum)


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


def main() -> int:
    embedded.load_dotenv()
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    port = env.get("PORT", "8000")
    host = env.get("HOST", "127.0.0.1")
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    processes: dict[str, subprocess.Popen] = {}
    started: list[str] = []
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    code = 0
    try:
        embedded.start_missing(env, started)
        for name in started:
            print(_started_line(name, env), flush=True)
        if not env.get("LLM_BASE_URL") and "llm" not in started:
            url = embedded.llm_url(embedded.llm_port(env))
            print(f"javari: using the model server already answering at {url} (left running)", flush=True)
        _manage(env, "migrate", "--noinput")
        _manage(env, "compile_translations")
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        logins = _manage(env, "seed_demo", capture=True)

        workers = env.get("WEB_CONCURRENCY", "2")
        commands = {
            "web": [
                _bin("gunicorn"), "javari.asgi:application",
                "--worker-class", "uvicorn_worker.UvicornWorker",
                "--bind", f"{host}:{port}", "--workers", workers,
                "--graceful-timeout", str(GRACE_SECONDS - 5), "--access-logfile", "-",
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
            processes[name] = subprocess.Popen(
                command, env=envs.get(name, env), cwd=BASE_DIR, start_new_session=True
            )
        _wait_until_up(f"http://{_probe_host(host)}:{port}/healthz", processes)
        print(logins, flush=True)
        print(_model_notice(env), flush=True)
        print("  Web, worker and beat are running. Press Ctrl-C to stop everything.\n", flush=True)
        while True:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    print(f"javari: {name} exited with code {proc.returncode}; stopping", flush=True)
                    code = 1
                    raise _Stop(0)
            time.sleep(0.5)
    except _Stop:
        pass
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"javari: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        # A second Ctrl-C must not interrupt the clean-up half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_children(processes)
        embedded.stop(started)
        if processes or started:
            print("javari: stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
