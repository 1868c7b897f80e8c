"""Stopping cleanly: stop signals turned into a request, and process groups stopped and reaped."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time

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
