"""javari/embedded/cli.py: the command line, read by argparse (the commands themselves: test_embedded.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from javari.embedded import cli


def test_each_command_parses() -> None:
    assert cli.parser().parse_args(["start"]).command == "start"
    assert cli.parser().parse_args(["stop"]).command == "stop"
    assert cli.parser().parse_args(["reset"]).command == "reset"
    assert cli.parser().parse_args(["serve-llm"]).host == "127.0.0.1"
    assert cli.parser().parse_args(["serve-llm", "--host", "0.0.0.0"]).host == "0.0.0.0"  # noqa: S104
    assert cli.parser().parse_args(["start-missing", "report.json"]).report == Path("report.json")


def test_exec_keeps_the_commands_own_options() -> None:
    arguments = cli.parser().parse_args(["exec", "--", "pytest", "-x", "--reuse-db", "-k", "exec"])

    assert arguments.command_line == ["--", "pytest", "-x", "--reuse-db", "-k", "exec"]


@pytest.mark.parametrize(
    "argv",
    [[], ["bogus"], ["exec"], ["exec", "--"], ["exec", "pytest"], ["stop", "now"], ["serve-llm", "--port"]],
)
def test_a_wrong_command_line_is_a_usage_error_that_starts_nothing(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)

    assert exit_.value.code == 2


def test_python_m_prints_usage_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", "bogus"],
        capture_output=True,
        text=True,
        env={"JAVARI_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m javari.embedded")
    assert "invalid choice: 'bogus'" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing created
