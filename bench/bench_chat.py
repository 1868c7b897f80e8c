"""Chat: first token and tokens per second through our SSE endpoint beside the llama.cpp server
straight, and the chat page's latency under 32 clients beside ``/healthz``, in one run.

1. Create a database of its own, ``javari_bench_chat``, on the server of ``DATABASE_URL`` (``make
   bench`` runs this under ``python -m javari.embedded exec``, which sets it and makes sure the model
   server answers): a copy of ``javari_bench_chat_migrated``, a migrated database kept between runs,
   while every migration file is the one it was migrated with (their digest is its comment); else
   migrate from scratch (minutes: djstripe's migrations) and keep a copy as the new template. Collect
   the static files (the page's templates need their manifest, as ``make run`` does).
2. Cut the default chat model's longest reply to 64 tokens. Open two people with plenty of credits:
   one who streams, with an API key; one who reads, with 10 conversations, one of them 20 messages
   of Markdown, code and tables, and a signed-in session (the test Client's ``force_login``: a real
   session row and its cookie).
3. Start the web server as ``make run`` does (gunicorn, 2 uvicorn workers, ``javari.asgi``) on a
   free port with the bench database in its environment, plus ``--keep-alive 30`` so the client's
   one connection stays on the worker it warmed up; wait for ``/healthz``.
4. Streaming. Take the request our server sends the model for the bench message in a new
   conversation from ``prepare_reply`` itself (in a transaction rolled back). Warm both sides up,
   then for each of N runs, in alternating order, over one kept-alive httpx connection per side:
   a) ours: a new conversation (made through the ORM, not timed), then POST the message to the
      partner API with ``Accept: text/event-stream`` and a Bearer key. Time from the request to the
      first ``event: token``, and from there to the ``done`` event;
   b) direct: that same request (messages, ``max_tokens``, ``stream``, ``stream_options``, as the
      openai SDK sends it) straight to the model server's ``/v1/chat/completions``. Time from the
      request to the first content chunk, and from there to ``data: [DONE]``.
   Every run sends the same prompt (a new conversation each time, so no history grows), so the
   model server's prompt cache treats both sides alike.
5. Page. 32 clients (asyncio tasks, each with its own kept-alive connection, speaking HTTP/1.1 over
   bare streams so the load generator costs next to no CPU) GET the 20-message conversation with
   the session cookie: 1 s uncounted, then ``BENCH_CHAT_PAGE_SECONDS`` counted. Then the same for
   ``/healthz`` without cookies (a bare Django request).
6. Stop the server, write ``bench/results/chat.json``, print a table, drop the database. Exit
   non-zero if a page request failed.

``BENCH_CHAT_RUNS`` sets the streaming runs (default 20), ``BENCH_CHAT_PAGE_SECONDS`` each page
phase's counted seconds (default 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

RUNS = int(os.environ.get("BENCH_CHAT_RUNS", "20"))
PAGE_SECONDS = float(os.environ.get("BENCH_CHAT_PAGE_SECONDS", "10"))
WARM_UP_RUNS = 3  # per side, not counted
PAGE_WARM_UP_SECONDS = 1.0
CLIENTS = 32
WORKERS = 2  # make run's default WEB_CONCURRENCY
MAX_TOKENS = 64
PAGE_MESSAGES = 20
SIDEBAR_CONVERSATIONS = 10
BENCH_DB = "javari_bench_chat"
# A migrated copy kept between runs: migrating from scratch takes minutes (djstripe's migrations).
TEMPLATE_DB = "javari_bench_chat_migrated"
RESULTS = BASE_DIR / "bench" / "results" / "chat.json"
GRANT = 1_000_000  # credits per person: never the limit here
MESSAGE = "Explain in a few sentences what a database index is and when it helps."
PAGE_MARKER = "bench-page-marker"  # in the page's first message: proves the page rendered it
START_TIMEOUT = 90
STOP_GRACE = 20
VERSIONS_OF = ("django", "gunicorn", "uvicorn", "uvicorn-worker", "httpx", "openai", "llama_cpp_python")
# The aims of the issue.
FIRST_TOKEN_OVERHEAD_AIM_MS = 30
THROUGHPUT_RATIO_AIM = 0.90


def _with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (the host, socket directory and options kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_database(server_url: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def _migrations_fingerprint() -> str:
    """A digest of every installed app's migration files: the kept template is stale when it changes."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key, migration in sorted(loader.disk_migrations.items()):
        digest.update(repr(key).encode())
        digest.update(Path(sys.modules[type(migration).__module__].__file__ or "").read_bytes())
    return digest.hexdigest()


def _create_database(server_url: str) -> bool:
    """Create the bench database, migrated: a copy of the kept template when its migrations are the
    current ones, else migrated here and kept as the new template. True when it had to migrate."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    fingerprint = f"javari bench migrations {_migrations_fingerprint()}"
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (TEMPLATE_DB,)
        ).fetchone()
        if row is not None and row[0] == fingerprint:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}" TEMPLATE "{TEMPLATE_DB}"')
            return False
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    print(f"Migrating {BENCH_DB} (kept as {TEMPLATE_DB} for the next runs)...", flush=True)
    call_command("migrate", verbosity=0)
    connection.close()  # a template is copied only while no one is connected to it
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE "{BENCH_DB}"')
        conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")
    return True


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of them at or below."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


# --- Data -----------------------------------------------------------------------------------------

# Replies as the model writes them: prose, lists, a table, and code in a few languages.
_REPLIES = [
    "## Reading a file line by line\n\nOpen it with a context manager, so it closes even on an error:\n\n"
    '```python\nfrom pathlib import Path\n\nwith Path("data.txt").open() as lines:\n    for number, line '
    "in enumerate(lines, 1):\n        print(number, line.rstrip())\n```\n\nThe file object is an "
    "**iterator**: it never holds the whole file in memory.",
    "There are three common choices:\n\n| Tool | Good for | Cost |\n| --- | --- | --- |\n| `cron` | "
    "fixed times | none |\n| Celery beat | tasks in your app | a worker |\n| systemd timers | host jobs "
    "| none |\n\nPick *Celery beat* when the job needs your models.",
    "A query that filters and sorts on two columns wants one index on both, in that order:\n\n```sql\n"
    "CREATE INDEX orders_customer_created ON orders (customer_id, created_at DESC);\n\nSELECT id, total "
    "FROM orders\nWHERE customer_id = 42\nORDER BY created_at DESC\nLIMIT 20;\n```\n\n1. The index finds "
    "the customer's rows.\n2. They are already in order, so no sort runs.\n3. `LIMIT` stops after 20.",
    "Debounce the input so the search runs once the person stops typing:\n\n```javascript\nfunction "
    "debounce(fn, ms) {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = "
    "setTimeout(() => fn(...args), ms);\n  };\n}\n\ninput.addEventListener('input', debounce(search, "
    "250));\n```\n\n> 250 ms feels instant and saves most requests.",
    "Here is the change as a diff:\n\n```diff\n--- a/settings.py\n+++ b/settings.py\n@@ -1,3 +1,3 @@\n "
    "DEBUG = False\n-ALLOWED_HOSTS = []\n+ALLOWED_HOSTS = ['example.com']\n SECRET_KEY = env('SECRET_KEY')"
    "\n```\n\nThen restart the server with `systemctl restart app`.",
]
_QUESTIONS = [
    "How do I read a large file line by line in Python without loading it all?",
    "What should I use to run a job every night at 3 am?",
    "My orders page is slow when I filter by customer and sort by date. Why?",
    "The search box fires a request on every keystroke. How do I calm it down?",
    "Production says 'Bad Request (400)' after I deployed. What did I miss?",
]


def _prepare_data() -> dict[str, Any]:
    """The two people, the API key, the page's conversation and a session cookie (step 2)."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from accounts.services import create_api_key
    from chat.models import ChatModel, Conversation, Message, Role
    from credits import services as credits
    from credits.models import Plan

    model = ChatModel.objects.get(is_default=True)
    model.max_output_tokens = MAX_TOKENS
    model.save(update_fields=["max_output_tokens"])
    # The bench measures our overhead, not the per-plan rate limits (javari/throttling.py): its
    # dozens of messages a minute would otherwise be 429s. The counting itself still runs.
    Plan.objects.update(api_requests_per_minute=1_000_000, chat_messages_per_minute=1_000_000)

    streamer = User.objects.create_user("bench-chat-stream@example.com", None, language="en")
    credits.grant(user=streamer, amount=GRANT, idempotency_key="bench-chat:stream")
    _api_key, secret = create_api_key(user=streamer, name="bench")

    reader = User.objects.create_user("bench-chat-read@example.com", None, language="en")
    credits.grant(user=reader, amount=GRANT, idempotency_key="bench-chat:read")
    for number in range(SIDEBAR_CONVERSATIONS - 1):
        other = Conversation.objects.create(user=reader, model=model, title=f"Earlier question {number + 1}")
        Message.objects.create(conversation=other, role=Role.USER, content=_QUESTIONS[number % 5])
        Message.objects.create(
            conversation=other, role=Role.ASSISTANT, content=_REPLIES[number % 5], model=model
        )
    page = Conversation.objects.create(user=reader, model=model, title="A long conversation")
    for number in range(PAGE_MESSAGES // 2):
        question = _QUESTIONS[number % 5] + (f" ({PAGE_MARKER})" if number == 0 else f" (take {number + 1})")
        Message.objects.create(conversation=page, role=Role.USER, content=question)
        # Each reply differs, so the page renders 10 distinct texts (the renderer caches by text).
        reply = f"{_REPLIES[number % 5]}\n\nAnswer {number + 1} of {PAGE_MESSAGES // 2}."
        Message.objects.create(conversation=page, role=Role.ASSISTANT, content=reply, model=model)

    browser = Client()
    browser.force_login(reader)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "model": model,
        "streamer": streamer,
        "secret": secret,
        "page_conversation": str(page.pk),
        "session_cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
    }


def _captured_request(streamer: Any) -> dict[str, Any]:
    """The request our server sends the model for MESSAGE in a new conversation, taken from
    ``prepare_reply`` itself (the same code and rows the server uses). ``prepare_reply`` is a
    durable action, so it commits: the conversation is deleted afterwards, and its hold stays on
    the bench user's grant, which is far larger."""
    from chat import services
    from chat.models import Conversation

    conversation = services.start_conversation(user=streamer)
    prepared = services.prepare_reply(user=streamer, conversation=conversation, content=MESSAGE)
    Conversation.objects.filter(pk=conversation.pk).delete()
    # As chat.services.llm.stream_chat sends it through the openai SDK.
    return {
        "model": prepared.endpoint.model,
        "messages": prepared.messages,
        "max_tokens": prepared.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


# --- The web server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(port: int, log_path: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [
        gunicorn, "javari.asgi:application",
        "--worker-class", "uvicorn_worker.UvicornWorker",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
        "--graceful-timeout", "15", "--access-logfile", "-",
        # gunicorn's default (2 s) can close the client's connection between two streamed runs, and
        # the next might land on a cold worker (whose first reply imports the openai SDK: seconds).
        "--keep-alive", "30",
    ]  # fmt: skip
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command,
            env={"DATABASE_POOL": "true", **os.environ},  # as `make run` starts the web server
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"/healthz did not answer within {START_TIMEOUT} s; see {log_path}")
        time.sleep(0.2)


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# --- Streaming (step 4) ---------------------------------------------------------------------------


def _through_app(client: httpx.Client, conversation_id: str) -> dict[str, float]:
    """One reply through the partner API's SSE stream: to the first token, then on to ``done``."""
    started = time.perf_counter()
    opened = first = last = ended = 0.0
    pieces = 0
    event = ""
    done: dict[str, Any] = {}
    url = f"/api/v1/conversations/{conversation_id}/messages/"
    with client.stream("POST", url, json={"content": MESSAGE}) as response:
        if response.status_code != 200:
            raise RuntimeError(f"our endpoint answered {response.status_code}: {response.read()[:500]!r}")
        local_port = _local_port(response)
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "start":
                opened = time.perf_counter()
            elif line.startswith("data: ") and event == "token":
                last = time.perf_counter()
                first = first or last
                pieces += 1
            elif line.startswith("data: ") and event == "done":
                ended = time.perf_counter()
                done = json.loads(line[6:])
        # Read to the end of the body (no break above): a response left half-read closes its connection.
    if done.get("status") != "complete" or not pieces:
        raise RuntimeError(f"the reply did not complete: {done}")
    # The `start` event leaves once prepare_reply has run: before it, our work; after, the model's.
    timing = _timing(started, first, last, ended, pieces)
    return {"start_ms": (opened - started) * 1000, **timing, "local_port": local_port}


def _straight(client: httpx.Client, body: dict[str, Any]) -> dict[str, float]:
    """The same request straight to the model server: to the first content chunk, then to ``[DONE]``."""
    started = time.perf_counter()
    first = last = ended = 0.0
    pieces = 0
    with client.stream("POST", "/chat/completions", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"the model server answered {response.status_code}: {response.read()[:500]!r}")
        local_port = _local_port(response)
        for line in response.iter_lines():
            if line == "data: [DONE]":
                ended = time.perf_counter()
            elif line.startswith("data: "):
                choices = json.loads(line[6:]).get("choices") or []
                if any((choice.get("delta") or {}).get("content") for choice in choices):
                    last = time.perf_counter()
                    first = first or last
                    pieces += 1
    if not pieces or not ended:
        raise RuntimeError("the model server streamed no text, or no [DONE]")
    return {**_timing(started, first, last, ended, pieces), "local_port": local_port}


def _local_port(response: httpx.Response) -> int:
    """Our end of the request's TCP connection: one port in every run means one kept-alive connection
    (and on our side one worker, warmed up)."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def _timing(started: float, first: float, last: float, ended: float, pieces: int) -> dict[str, float]:
    return {
        "ttft_ms": (first - started) * 1000,
        # The pieces after the first, over the time from the first to the end of the stream.
        "tokens_per_s": (pieces - 1) / (ended - first),
        "tail_ms": (ended - last) * 1000,  # the last piece to `done` (ours) or `[DONE]` (direct)
        "pieces": pieces,
    }


def _streaming(app_url: str, data: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from chat import services

    body = _captured_request(data["streamer"])
    model = data["model"]
    # httpx drops a connection idle for 5 s, and with the order alternating, a side can wait two of
    # the other's replies: keep it, so ours stays on the worker its warm-up requests warmed.
    limits = httpx.Limits(keepalive_expiry=60)
    app = httpx.Client(
        base_url=app_url,
        headers={"Authorization": f"Bearer {data['secret']}", "Accept": "text/event-stream"},
        timeout=120,
        limits=limits,
    )
    llm = httpx.Client(
        base_url=model.endpoint, headers={"Authorization": f"Bearer {model.key}"}, timeout=120, limits=limits
    )

    def ours() -> dict[str, float]:
        conversation = services.start_conversation(user=data["streamer"])
        connection.close()  # nothing of ours holds a connection while the server works
        return _through_app(app, str(conversation.pk))

    print(f"Streaming: {WARM_UP_RUNS} warm-up + {RUNS} runs a side, {MAX_TOKENS} tokens each...", flush=True)
    with app, llm:
        for _run in range(WARM_UP_RUNS):
            ours()
            _straight(llm, body)
        pairs = []
        for run in range(RUNS):
            # Alternate which goes first, so neither always follows the other's clean-up.
            if run % 2 == 0:
                app_run = ours()
                direct_run = _straight(llm, body)
            else:
                direct_run = _straight(llm, body)
                app_run = ours()
            pairs.append((app_run, direct_run))
    return _summarize_streaming(pairs, base_url=model.endpoint, body=body)


def _side(runs: list[dict[str, float]]) -> dict[str, float]:
    ttft = [run["ttft_ms"] for run in runs]
    return {
        "ttft_ms_median": round(statistics.median(ttft), 1),
        "ttft_ms_p90": round(_percentile(ttft, 0.9), 1),
        "ttft_ms_min": round(min(ttft), 1),
        "ttft_ms_max": round(max(ttft), 1),
        "tokens_per_s_median": round(statistics.median(run["tokens_per_s"] for run in runs), 1),
        "tail_ms_median": round(statistics.median(run["tail_ms"] for run in runs), 1),
        "pieces_mean": round(statistics.mean(run["pieces"] for run in runs), 1),
        "connections": len({run["local_port"] for run in runs}),
    }


def _summarize_streaming(
    pairs: list[tuple[dict[str, float], dict[str, float]]], *, base_url: str, body: dict[str, Any]
) -> dict[str, Any]:
    # Paired: each run of ours against the direct request made beside it, under the same load.
    overheads = [ours["ttft_ms"] - direct["ttft_ms"] for ours, direct in pairs]
    ratios = [ours["tokens_per_s"] / direct["tokens_per_s"] for ours, direct in pairs]
    overhead = statistics.median(overheads)
    ratio = statistics.median(ratios)
    ours_runs = [ours for ours, _direct in pairs]
    return {
        "runs": len(pairs),
        "warm_up_runs": WARM_UP_RUNS,
        "max_tokens": body["max_tokens"],
        "message": MESSAGE,
        "llm_base_url": base_url,
        "llm_model": body["model"],
        "prompt_messages": len(body["messages"]),
        "prompt_chars": sum(len(message["content"]) for message in body["messages"]),
        "ours": {
            **_side(ours_runs),
            "start_ms_median": round(statistics.median(run["start_ms"] for run in ours_runs), 1),
        },
        "direct": _side([direct for _ours, direct in pairs]),
        "first_token_overhead_ms_median": round(overhead, 1),
        "first_token_overhead_ms_p90": round(_percentile(overheads, 0.9), 1),
        "throughput_ratio_median": round(ratio, 3),
        "first_token_aim_met": overhead < FIRST_TOKEN_OVERHEAD_AIM_MS,
        "throughput_aim_met": ratio >= THROUGHPUT_RATIO_AIM,
        "per_run": [
            {"ours": {key: round(value, 2) for key, value in ours.items()},
             "direct": {key: round(value, 2) for key, value in direct.items()}}
            for ours, direct in pairs
        ],
    }  # fmt: skip


# --- Page latency (step 5) ------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked body); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)  # the chunk and its CRLF
        await reader.readuntil(b"\r\n")  # no trailers: the CRLF after the last chunk
    return int(status_line.split()[1])


async def _hammer(port: int, path: str, cookie: str, seconds: float) -> dict[str, Any]:
    """CLIENTS clients GET ``path`` back to back, each on its own kept-alive connection: 1 s uncounted,
    then ``seconds`` counted. Bare asyncio streams, not httpx: its AsyncClient took a whole core here
    for ~130 requests/s of /healthz, a core the two workers then lacked."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "\r\n"
    ).encode()
    latencies: list[float] = []
    failures: list[str] = []
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CLIENTS)]

    async def one_client(number: int, until: float, record: bool) -> None:
        while time.perf_counter() < until:
            reader, writer = streams[number]
            started = time.perf_counter()
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:  # the server closed it: count, reconnect
                failures.append(type(exc).__name__)
                writer.close()
                streams[number] = await asyncio.open_connection("127.0.0.1", port)
                continue
            if record:
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    failures.append(str(status))

    warm_until = time.perf_counter() + PAGE_WARM_UP_SECONDS
    await asyncio.gather(*(one_client(number, warm_until, False) for number in range(CLIENTS)))
    failures.clear()
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one_client(number, started + seconds, True) for number in range(CLIENTS)))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    for _reader, writer in streams:
        writer.close()
    return {
        "requests": len(latencies),
        "seconds": round(wall, 3),
        "requests_per_s": round(len(latencies) / wall, 1),
        "latency_ms_median": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p99": round(_percentile(latencies, 0.99) * 1000, 1),
        "latency_ms_max": round(max(latencies) * 1000, 1),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures)),
        # The load generator shares the machine's CPUs with the workers: 1.0 is one core, all run long.
        "client_cpu_cores": round(cpu / wall, 2),
    }


def _page(app_url: str, port: int, data: dict[str, Any]) -> dict[str, Any]:
    path = f"/chat/{data['page_conversation']}/"
    cookie = data["session_cookie"]
    # One look first: the page renders the conversation, and a browser would send its CSRF cookie back.
    first = httpx.get(f"{app_url}{path}", headers={"Cookie": cookie}, timeout=30)
    if first.status_code != 200 or PAGE_MARKER not in first.text:
        raise RuntimeError(f"the chat page answered {first.status_code} without the conversation")
    csrf = first.cookies.get("csrftoken")
    if csrf:
        cookie = f"{cookie}; csrftoken={csrf}"
    print(f"Page: {CLIENTS} clients, {PAGE_SECONDS:.0f} s on the chat page, then on /healthz...", flush=True)
    page = {
        "url": "/chat/<uuid>/",
        "bytes": len(first.content),
        **asyncio.run(_hammer(port, path, cookie, PAGE_SECONDS)),
    }
    healthz = {"url": "/healthz", **asyncio.run(_hammer(port, "/healthz", "", PAGE_SECONDS))}
    return {
        "clients": CLIENTS,
        "seconds": PAGE_SECONDS,
        "page_messages": PAGE_MESSAGES,
        "sidebar_conversations": SIDEBAR_CONVERSATIONS,
        "page": page,
        "healthz": healthz,
        "latency_ratio_median": round(page["latency_ms_median"] / healthz["latency_ms_median"], 2),
        "throughput_ratio": round(page["requests_per_s"] / healthz["requests_per_s"], 3),
    }


# --- The run --------------------------------------------------------------------------------------


def main() -> None:
    """Run both measurements, write the results file, print the table."""
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("DATABASE_URL is not set: run this through `make bench` (python -m javari.embedded exec).")
    load_at_start = os.getloadavg()
    server = None
    log_dir = tempfile.TemporaryDirectory(prefix="bench-chat-")
    log_path = Path(log_dir.name) / "gunicorn.log"
    try:
        os.environ["DATABASE_URL"] = _with_database(server_url, BENCH_DB)  # here and in the server
        os.environ["DJANGO_SETTINGS_MODULE"] = "javari.settings"
        import django

        django.setup()
        # The settings log INFO to the console, and httpx logs every request at INFO.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        migrated = _create_database(server_url)
        print("Collecting static files, opening accounts...", flush=True)
        call_command("collectstatic", "--noinput", verbosity=0)
        data = _prepare_data()
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            (postgres_version,) = cursor.fetchone()
        connection.close()

        port = _free_port()
        print(f"Starting gunicorn ({WORKERS} uvicorn workers) on 127.0.0.1:{port}...", flush=True)
        server = _start_server(port, log_path)
        app_url = f"http://127.0.0.1:{port}"
        streaming = _streaming(app_url, data)
        page = _page(app_url, port, data)
    except BaseException:
        if log_path.exists():
            print(
                f"--- gunicorn's log ends:\n{log_path.read_text(errors='replace')[-3000:]}", file=sys.stderr
            )
        raise
    finally:
        if server is not None:
            _stop_server(server)
        log_dir.cleanup()
        _drop_database(server_url)

    result = {
        "benchmark": "chat: first token and tokens/s through our SSE endpoint vs the model server; "
        "chat page latency vs /healthz",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_at_start": [round(value, 2) for value in load_at_start],
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgres_version": postgres_version,
            "versions": {name: version(name) for name in VERSIONS_OF},
        },
        "database": {"name": BENCH_DB, "migrated_this_run": migrated, "template": TEMPLATE_DB},
        "django": {"CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"], "DEBUG": settings.DEBUG},
        "server": {"workers": WORKERS, "worker_class": "uvicorn_worker.UvicornWorker", "keep_alive_s": 30},
        "streaming": streaming,
        "page": page,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    _print_table(result)
    failures = page["page"]["failures"] + page["healthz"]["failures"]
    if failures:
        sys.exit(f"{failures} page requests failed: the benchmark found a bug.")


def _met(flag: bool) -> str:
    return "met" if flag else "NOT met"


def _print_table(result: dict[str, Any]) -> None:
    machine, streaming, page = result["machine"], result["streaming"], result["page"]
    ours, direct = streaming["ours"], streaming["direct"]
    load = machine["load_average_at_start"][0]
    print()
    print(f"chat: {machine['cpu_count']} CPUs, load {load:.2f} at start, {streaming['llm_model']}")
    print(f"streaming, {streaming['runs']} runs of {streaming['max_tokens']} tokens a side")
    print(f"{'':<10}{'TTFT p50':>10}{'TTFT p90':>10}{'tok/s p50':>11}{'tail p50':>10}")
    for name, side in (("ours", ours), ("direct", direct)):
        print(
            f"{name:<10}{side['ttft_ms_median']:>8.1f}ms{side['ttft_ms_p90']:>8.1f}ms"
            f"{side['tokens_per_s_median']:>11.1f}{side['tail_ms_median']:>8.1f}ms"
        )
    print(
        f"ours: `start` (prepare_reply done) p50 {ours['start_ms_median']:.1f} ms; connections "
        f"used: ours {ours['connections']}, direct {direct['connections']}"
    )
    print(
        f"first-token overhead p50 {streaming['first_token_overhead_ms_median']:.1f} ms "
        f"(aim < {FIRST_TOKEN_OVERHEAD_AIM_MS} ms: {_met(streaming['first_token_aim_met'])}); "
        f"throughput {streaming['throughput_ratio_median']:.1%} of direct "
        f"(aim >= {THROUGHPUT_RATIO_AIM:.0%}: {_met(streaming['throughput_aim_met'])})"
    )
    print(f"pages, {page['clients']} clients for {page['seconds']:.0f} s each")
    print(f"{'':<16}{'req/s':>8}{'p50':>10}{'p99':>10}{'client CPU':>12}")
    for row in (page["page"], page["healthz"]):
        print(
            f"{row['url']:<16}{row['requests_per_s']:>8.1f}{row['latency_ms_median']:>8.1f}ms"
            f"{row['latency_ms_p99']:>8.1f}ms{row['client_cpu_cores']:>12.2f}"
        )
    print(
        f"page / healthz: p50 latency x{page['latency_ratio_median']:.1f}, "
        f"throughput {page['throughput_ratio']:.1%}"
    )
    print(f"written to {RESULTS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
