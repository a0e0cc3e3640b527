"""docs/cli-reference.md is generated from the ``genai`` parser and kept up to date."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from genai_core import cli_docs

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_page_is_up_to_date() -> None:
    page = ROOT / cli_docs.PAGE
    if not page.exists():
        pytest.skip("docs/ is not installed with the tests")
    assert page.read_text(encoding="utf-8") == cli_docs.page_text(), (
        "docs/cli-reference.md is stale: run `python -m genai_core.cli_docs`"
    )


def test_every_command_and_flag_of_the_real_parser_is_on_the_page() -> None:
    from genai_core.cli import build_parser, command_parsers, parser_arguments

    text = cli_docs.page_text()
    commands = command_parsers(build_parser())
    assert commands
    for name, command in commands.items():
        assert f"## `genai {name}`" in text
        for action in parser_arguments(command):
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and action.help is not argparse.SUPPRESS:
                    assert f"`{flag}`" in text, (name, flag)


def _toy() -> argparse.ArgumentParser:
    # A parser written for this test: nested subcommands, a required exclusive group, a
    # positional with nargs, a %(default)s help, a hidden flag and choices.
    parser = argparse.ArgumentParser(prog="tool", description="A toy.")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")
    keys = sub.add_parser("keys", help="manage keys")
    keys_sub = keys.add_subparsers(dest="op", metavar="COMMAND")
    put = keys_sub.add_parser("set", help="store a key", description="Store the key of PROVIDER.")
    put.add_argument("provider", metavar="PROVIDER", help="the provider's name")
    put.add_argument(
        "-t", "--timeout", type=float, default=5.0, help="seconds (default: %(default)s)"
    )
    put.add_argument("--secret", help=argparse.SUPPRESS)
    put.add_argument("--format", choices=["a", "b|c"], help="the output")
    group = put.add_mutually_exclusive_group(required=True)
    group.add_argument("--stdin", action="store_true", help="read it from stdin")
    group.add_argument("--prompt", action="store_true", help="ask for it")
    put.add_argument("files", nargs="*", metavar="FILE", help="more files")
    return parser


def test_a_toy_parser_renders_as_worked_out_by_hand() -> None:
    text = cli_docs.page_text(_toy())
    assert "| [`tool keys`](#tool-keys) | manage keys |" in text
    assert "## `tool`\n\nA toy.\n" in text
    assert "### `tool keys`\n\nmanage keys\n" in text
    assert "#### `tool keys set`\n\nStore the key of PROVIDER.\n" in text
    usage = (
        "tool keys set [--timeout TIMEOUT] [--format {a,b|c}] (--stdin | --prompt)"
        " PROVIDER [FILE ...]"
    )
    assert f"```text\n{usage}\n```" in text
    assert "| `-t`, `--timeout` | `TIMEOUT` | seconds (default: 5.0) |" in text
    assert "| `--format` | `{a,b\\|c}` | the output |" in text  # the pipe escaped in a table
    assert "| `--stdin` |   | read it from stdin |" in text
    assert "| `PROVIDER` |   | the provider's name |" in text
    assert "| `[FILE ...]` |   | more files |" in text
    assert "--secret" not in text


def test_check_mode_reports_a_stale_page_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / cli_docs.PAGE
    page.parent.mkdir()
    page.write_text("# stale\n", encoding="utf-8")
    assert cli_docs.main(["--check"], root=tmp_path) == 1
    assert "python -m genai_core.cli_docs" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == "# stale\n"
    assert cli_docs.main([], root=tmp_path) == 0
    assert capsys.readouterr().out == "wrote docs/cli-reference.md\n"
    assert cli_docs.main(["--check"], root=tmp_path) == 0
