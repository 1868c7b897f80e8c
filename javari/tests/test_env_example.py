""".env.example documents exactly the environment variables the code reads: none missing, none stale."""

from __future__ import annotations

import ast
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = BASE_DIR / ".env.example"
# javari/embedded is a package: every module of it.
PYTHON_SOURCES = [
    "javari/settings.py",
    "javari/settings_test.py",
    *sorted(str(p.relative_to(BASE_DIR)) for p in (BASE_DIR / "javari/embedded").glob("*.py")),
    "javari/run.py",
]
# Compose reads a few variables of its own (`${NAME:-default}`, outside comments) from the same .env;
# `$${` is an escape, not a variable.
COMPOSE = BASE_DIR / "docker-compose.yml"
COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
# `env` is django-environ's reader in the settings and a copy of os.environ in the runners.
READERS = {"env", "os.environ"}
# run.py's `env.setdefault(...)` fills its children's environment: that is not configuration.
NOT_READING = {"setdefault"}
# pytest-xdist sets these in each test worker (settings_test.py picks the worker's Redis database
# from them): set by the tool, never by a deployment, so not configuration to document.
SET_BY_TOOLS = {"PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT"}
# A variable line, set or commented out: `NAME=value` or `# NAME=value`.
EXAMPLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _read_by(source: str) -> set[str]:
    """Names read as ``env.X("NAME")``, ``os.environ.get("NAME")``, ``os.environ["NAME"]`` or ``_secret``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and (name := _literal(node.args[0])):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "_secret":
                names |= {name, f"{name}_FILE"}  # _secret("NAME") reads NAME_FILE first
            elif (
                isinstance(func, ast.Attribute)
                and ast.unparse(func.value) in READERS
                and func.attr not in NOT_READING
            ):
                names.add(name)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and ast.unparse(node.value) in READERS
            and (name := _literal(node.slice))
        ):
            names.add(name)
    return names


def variables_the_code_reads() -> set[str]:
    compose = [line for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#")]
    names = set(COMPOSE_VARIABLE.findall("\n".join(compose)))
    for path in PYTHON_SOURCES:
        names |= _read_by((BASE_DIR / path).read_text())
    return names


def variables_in_env_example() -> set[str]:
    return set(EXAMPLE_LINE.findall(ENV_EXAMPLE.read_text()))


def test_the_reader_finds_the_variables_it_should() -> None:
    # Guards the parser itself: a pattern it stopped recognising would make both tests below vacuous.
    assert {
        "DEBUG",
        "SECRET_KEY_FILE",
        "TEST_REDIS_DB",
        "JAVARI_VAR_DIR",
        "JAVARI_EMBEDDED",
        "CELERY_CONCURRENCY",
    } <= (variables_the_code_reads())
    assert "PYTHONUNBUFFERED" not in variables_the_code_reads()


def test_every_variable_the_code_reads_is_documented_in_env_example() -> None:
    missing = sorted(variables_the_code_reads() - variables_in_env_example() - SET_BY_TOOLS)
    assert missing == [], f"add these to .env.example, with what they do and their default: {missing}"


def test_env_example_lists_no_variable_the_code_does_not_read() -> None:
    stale = sorted(variables_in_env_example() - variables_the_code_reads())
    assert stale == [], f"nothing reads these any more: remove them from .env.example: {stale}"
