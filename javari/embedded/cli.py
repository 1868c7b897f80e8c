"""``python -m javari.embedded``: start, stop, reset, serve-llm, exec (and the runners' start-missing)."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from javari.embedded.common import load_dotenv, var_dir
from javari.embedded.llm import llm_url, serve_llm
from javari.embedded.runner import ALL, SWITCH, _exec, _start_missing_command, start_missing, stop


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m javari.embedded",
        description="The embedded PostgreSQL, Redis and model server of a checkout (see javari/embedded).",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{start,stop,reset,serve-llm,exec}"
    )
    commands.add_parser(
        "start",
        help="start PostgreSQL and Redis (printing their URLs), and the model server (unless LLM_BASE_URL)",
    )
    commands.add_parser("stop", help="stop every embedded service")
    commands.add_parser("reset", help="stop them and delete the database and Redis data (not the model)")
    serve = commands.add_parser("serve-llm", help="run the model server in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    run = commands.add_parser(
        "exec", help="run CMD with the embedded services, stopping on exit those this call started"
    )
    run.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- CMD ...")
    # The runners' helper (see runner.start_missing_apart): not for people, so not listed.
    helper = commands.add_parser("start-missing")
    helper.add_argument("report", type=Path)
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    load_dotenv()
    if arguments.command == "exec":
        # `--` is required, as before: it keeps the command's own options away from ours.
        command_line = arguments.command_line
        if command_line[:1] != ["--"] or len(command_line) < 2:
            parser().error("exec needs a command after --: exec -- CMD ...")
        return _exec(command_line[1:])
    if arguments.command == "start-missing":
        return _start_missing_command(arguments.report)
    if arguments.command == "start":
        # PostgreSQL and Redis always (printing their URLs); the model server unless LLM_BASE_URL is set.
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env[SWITCH] = "true"  # asked for by name: the switch can't say no
        start_missing(env)
        for key in ("DATABASE_URL", "REDIS_URL"):
            print(f"{key}={env[key]}")
        if not env.get("LLM_BASE_URL"):
            print(f"# the embedded model server answers at {llm_url()}")
        return 0
    if arguments.command == "stop":
        stop(ALL)
        return 0
    if arguments.command == "reset":
        # The model file in var/models is not data: it stays, so the next start needn't assemble it.
        stop(ALL)
        shutil.rmtree(var_dir() / "pgdata", ignore_errors=True)
        shutil.rmtree(var_dir() / "redis", ignore_errors=True)
        return 0
    serve_llm(arguments.host)  # serve-llm: replaces this process
    return 0
