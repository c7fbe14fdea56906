"""CLI help reads as sentences: every command's summary is one paragraph without hard line
breaks (typer keeps them, and the command list then breaks mid-sentence)."""

import pytest
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (registers the commands)
from gridaudit.cli.app import app

COMMANDS = [c for c in app.registered_commands if c.callback is not None]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.callback.__name__)
def test_a_command_summary_is_one_unbroken_paragraph(command):
    summary = (command.callback.__doc__ or "").strip().split("\n\n")[0]
    assert summary and "\n" not in summary


def test_the_command_list_names_every_command():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    for command in COMMANDS:
        assert (command.name or command.callback.__name__).replace("_", "-") in result.output
