"""The embedded model server: llama.cpp's OpenAI-compatible server with Gemma 3 270M, real processes.

One fresh start for the whole module (the model is assembled once into a throwaway var directory,
on a port of its own, so the suite's shared server is never touched); the tests then reuse, stop and
restart that server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from django.conf import settings

from javari import embedded


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _servers_on(port: int) -> list[psutil.Process]:
    """Live llama.cpp servers started for ``port``, whoever started them."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if (
            "llama_cpp.server" in cmdline
            and str(port) in cmdline
            and process.info["status"] != psutil.STATUS_ZOMBIE
        ):
            found.append(process)
    return found


def _pid(var_dir: Path, port: int) -> int:
    return int((var_dir / "llm" / f"llm-{port}.pid").read_text())


@dataclass
class Fresh:
    var_dir: Path
    port: int
    first: embedded.Started
    seconds: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fresh]:
    var_dir = tmp_path_factory.mktemp("llm-var")
    port = _free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JAVARI_VAR_DIR", str(var_dir))
        patch.setenv("LLM_EMBEDDED_PORT", str(port))
        began = time.monotonic()
        first = embedded.ensure_llm(port)
        yield Fresh(var_dir, port, first, time.monotonic() - began)
        embedded.stop_llm(port)
    assert _servers_on(port) == []


def test_a_fresh_var_dir_gets_the_model_once_and_a_server_on_its_port(fresh: Fresh) -> None:
    assert fresh.first == embedded.Started(url=fresh.url, started_here=True)
    models = fresh.var_dir / "models"
    # Only the finished file: the temporary name it was assembled under is gone.
    assert [path.name for path in models.iterdir()] == ["gemma-3-270m-q4_k_m.gguf"]
    assert (models / "gemma-3-270m-q4_k_m.gguf").stat().st_size > 200_000_000
    assert [process.pid for process in _servers_on(fresh.port)] == [_pid(fresh.var_dir, fresh.port)]
    assert fresh.seconds < 60, f"a fresh start took {fresh.seconds:.1f} s"


def test_the_server_answers_the_openai_api_under_the_model_alias(fresh: Fresh) -> None:
    models = httpx.get(f"{fresh.url}/models", timeout=5).json()
    assert [model["id"] for model in models["data"]] == ["gemma-3-270m"]

    request = {
        "model": "gemma-3-270m",
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": 1,
    }
    reply = httpx.post(f"{fresh.url}/chat/completions", json=request, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json()["usage"]["completion_tokens"] == 1
    assert isinstance(reply.json()["choices"][0]["message"]["content"], str)

    # Streamed as server-sent events, as the chat reads it.
    with httpx.stream(
        "POST", f"{fresh.url}/chat/completions", json={**request, "stream": True}, timeout=30
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("data: ") for line in stream.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[0])["object"] == "chat.completion.chunk"


def test_a_request_while_a_reply_streams_waits_instead_of_cutting_it_short(fresh: Fresh) -> None:
    # llama-cpp-python's default ends a streaming reply when any other request arrives, /readyz's
    # GET /v1/models included; the server runs with --interrupt_requests False.
    request = {
        "model": "gemma-3-270m",
        "messages": [{"role": "user", "content": "Tell me a story."}],
        "max_tokens": 40,
        "stream": True,
    }
    chunks = []
    with httpx.stream("POST", f"{fresh.url}/chat/completions", json=request, timeout=60) as stream:
        lines = stream.iter_lines()
        chunks.append(next(line for line in lines if line.startswith("data: ")))
        probe = threading.Thread(target=httpx.get, args=(f"{fresh.url}/models",), kwargs={"timeout": 60})
        probe.start()
        time.sleep(0.3)  # the probe is waiting on the server's lock by now
        chunks += [line for line in lines if line.startswith("data: ")]
    probe.join()
    assert chunks[-1] == "data: [DONE]"
    assert json.loads(chunks[-2].removeprefix("data: "))["choices"][0]["finish_reason"] == "length"


def test_ensure_reuses_a_server_that_already_answers(fresh: Fresh) -> None:
    pid = _pid(fresh.var_dir, fresh.port)
    assert embedded.ensure_llm(fresh.port) == embedded.Started(url=fresh.url, started_here=False)
    assert _pid(fresh.var_dir, fresh.port) == pid
    assert len(_servers_on(fresh.port)) == 1


def test_start_missing_reuses_it_and_leaves_llm_base_url_unset(fresh: Fresh) -> None:
    # The settings derive the URL from LLM_EMBEDDED_PORT; a URL set would read as an external server.
    env = {
        "JAVARI_EMBEDDED": "true",
        "DATABASE_URL": "postgres://x",
        "REDIS_URL": "redis://x",
        "LLM_EMBEDDED_PORT": str(fresh.port),
    }
    assert embedded.start_missing(env) == []
    assert "LLM_BASE_URL" not in env


def test_stop_leaves_no_process_and_the_next_ensure_starts_again(fresh: Fresh) -> None:
    model = fresh.var_dir / "models" / "gemma-3-270m-q4_k_m.gguf"
    assembled_at = model.stat().st_mtime_ns
    pid = _pid(fresh.var_dir, fresh.port)

    embedded.stop_llm(fresh.port)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert _servers_on(fresh.port) == []
    assert not (fresh.var_dir / "llm" / f"llm-{fresh.port}.pid").exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{fresh.url}/models", timeout=2)

    again = embedded.ensure_llm(fresh.port)
    assert again.started_here
    assert _pid(fresh.var_dir, fresh.port) != pid
    assert model.stat().st_mtime_ns == assembled_at  # the model file is assembled only once
    assert httpx.get(f"{fresh.url}/models", timeout=5).status_code == 200


def test_a_server_that_cannot_start_fails_with_its_log_and_leaves_nothing(fresh: Fresh) -> None:
    # The port is taken by something that accepts connections but never answers HTTP.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=r"did not start on port \d+\. Its log ends:\n(.|\n)*address"):
            embedded.ensure_llm(port)
    assert _servers_on(port) == []
    assert not (fresh.var_dir / "llm" / f"llm-{port}.pid").exists()


def test_the_command_line_stop_ends_the_server_of_its_port_only(fresh: Fresh) -> None:
    other_port = _free_port()
    other = embedded.ensure_llm(other_port)
    assert other.started_here
    env = {**os.environ, "JAVARI_VAR_DIR": str(fresh.var_dir), "LLM_EMBEDDED_PORT": str(other_port)}
    subprocess.run(
        [sys.executable, "-m", "javari.embedded", "stop"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
    )
    assert _servers_on(other_port) == []
    assert len(_servers_on(fresh.port)) == 1  # the other port's server in the same var dir runs on
    embedded.stop_llm(other_port)  # reaps the child the command line stopped
