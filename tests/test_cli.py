"""The ``genai`` command, run in-process against the authored cassettes in testdata/demo."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from genai_core import cli, get_provider
from genai_core.httprecord import Cassette, ReplayTransport

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "testdata" / "demo"
CHAT = str(DEMO_DIR / "chat.json")
CHAT_PROMPT = "Say hello in one short sentence."


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any attempt to reach a real server is recorded and refused (not retried)."""
    attempts: list[str] = []

    def refuse(self: Any, request: httpx.Request) -> httpx.Response:
        attempts.append(str(request.url))
        raise httpx.UnsupportedProtocol("network disabled in tests")

    async def arefuse(self: Any, request: httpx.Request) -> httpx.Response:
        return refuse(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", arefuse)
    monkeypatch.delenv("NO_COLOR", raising=False)
    # tests/conftest.py gives each test an empty GENAI_CONFIG_DIR and no GENAI_* settings.
    return attempts


# --- demo -------------------------------------------------------------------------------------


def test_demo_replays_offline(capsys: pytest.CaptureFixture[str], _no_network: list[str]) -> None:
    assert cli.main(["demo"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("replaying recorded traffic from ")
    assert lines[0].endswith("demo.json (no network, no API key)")
    # Values from the authored cassette testdata/demo/demo.json.
    assert "thinking: The user wants the square root of 2025" in out
    assert 'tool call: square_root({"number": 2025})' in out
    assert "tool result (computed locally): square_root -> 45" in out
    assert "thinking: The tool returned 45." in out
    assert "assistant: The square root of 2025 is 45.\n" in out
    assert "usage: 151 in (0 cached) + 28 out (0 reasoning) = 179 tokens; finish: tool_calls" in out
    assert "finish: stop" in out
    assert "\x1b[" not in out  # captured output is not a terminal
    assert err == ""
    assert _no_network == []


def test_demo_hide_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--hide-reasoning"]) == 0
    out = capsys.readouterr().out
    assert "thinking" not in out
    assert "The square root of 2025 is 45." in out


def test_demo_stays_offline_when_a_key_is_set(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    _no_network: list[str],
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", "sk-test-live-key-123456")
    assert cli.main(["demo"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("replaying recorded traffic from ")
    assert _no_network == []
    # A user with a key is told how to go live, and the key itself is never shown.
    assert "`genai demo --live` talks to Baseten" in err
    assert "sk-test-live-key-123456" not in out + err


def test_demo_live_goes_to_baseten_and_names_it_in_a_connection_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    _no_network: list[str],
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", "sk-test-live-key-123456")
    assert cli.main(["demo", "--live"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("live: talking to baseten")
    # Retries are on by default: the fixture refuses every attempt.
    assert set(_no_network) == {"https://inference.baseten.co/v1/chat/completions"}
    assert err.startswith("error: baseten at https://inference.baseten.co/v1: connection failed")
    assert "check --base-url" in err
    assert "sk-test-live-key-123456" not in out + err


def test_demo_replay_flag_wins_over_a_key(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    _no_network: list[str],
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", "sk-test-live-key-123456")
    assert cli.main(["demo", "--replay"]) == 0
    assert capsys.readouterr().out.startswith("replaying recorded traffic from ")
    assert _no_network == []


def test_demo_live_without_key_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--live"]) == 2  # a configuration error: nothing was sent
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "BASETEN_API_KEY" in err


def test_demo_cassette_found_in_the_source_tree() -> None:
    assert cli.demo_cassette_path() == DEMO_DIR / "demo.json"


def test_demo_without_cassette_is_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "demo_cassette_path", lambda: None)
    assert cli.main(["demo", "--replay"]) == 1
    assert "demo cassette demo.json is missing" in capsys.readouterr().err


def test_demo_request_bodies_are_byte_identical_to_the_client(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cassette holds exactly what genai_baseten.Client sends for the demo's inputs."""
    cassette = Cassette.load(DEMO_DIR / "demo.json")
    replay = ReplayTransport(cassette)
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content.decode())
        return replay.handle_request(request)

    http = httpx.Client(transport=httpx.MockTransport(handler))

    def client(stack: Any, target: cli.Target) -> Any:
        assert target.replay is not None
        return get_provider(
            target.provider, model=target.model, api_key=cli.REPLAY_API_KEY, http_client=http
        )

    monkeypatch.setattr(cli, "open_client", client)
    assert cli.main(["demo", "--replay"]) == 0
    assert sent == [i.request.body.decode() for i in cassette.interactions]


def test_every_shipped_cassette_is_labelled_authored() -> None:
    paths = sorted(DEMO_DIR.glob("*.json"))
    assert {p.name for p in paths} >= {"demo.json", "chat.json", "models.json", "error_403.json"}
    for path in paths:
        cassette = Cassette.load(path)
        assert cassette.metadata["authored"] is True, path
        assert "authored" in cassette.metadata["description"].lower(), path
        assert cassette.metadata["written"] == "2026-11-24"


# --- chat -------------------------------------------------------------------------------------


def test_chat_streams_text_to_stdout_and_reasoning_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["chat", "--replay", CHAT, CHAT_PROMPT]) == 0
    out, err = capsys.readouterr()
    # Values from the authored cassette testdata/demo/chat.json, interaction 0.
    assert out == "Hello! Nice to meet you.\n"
    assert err.splitlines() == [
        "[reasoning] Just a friendly greeting.",  # labelled: stderr is not a terminal
        "usage: 74 in (0 cached) + 13 out (0 reasoning) = 87 tokens; finish: stop",
    ]


def test_chat_hide_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "--hide-reasoning", "--replay", CHAT, CHAT_PROMPT]) == 0
    out, err = capsys.readouterr()
    assert out == "Hello! Nice to meet you.\n"
    assert "greeting" not in err
    assert err.startswith("usage: ")


def test_chat_no_stream(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "--no-stream", "--replay", CHAT, CHAT_PROMPT]) == 0
    out, err = capsys.readouterr()
    # Interaction 1 of chat.json: the non-streamed request.
    assert out == "Hello there!\n"
    assert "Greet briefly." in err
    assert "74 in (0 cached) + 16 out" in err


def test_chat_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "--json", "--replay", CHAT, CHAT_PROMPT]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data = json.loads(out)
    assert data["text"] == "Hello! Nice to meet you."
    assert data["reasoning"] == " Just a friendly greeting."
    assert data["finish_reason"] == "stop"
    assert data["model"] == "openai/gpt-oss-120b"
    assert data["request_id"] == "authored-chat-stream"
    assert data["tool_calls"] == []
    assert data["usage"]["total_tokens"] == 87


def test_chat_reasoning_is_dimmed_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setenv("TERM", "xterm")
    assert cli.main(["chat", "--replay", CHAT, CHAT_PROMPT]) == 0
    dimmed = term.getvalue()
    assert "\x1b[2mJust\x1b[22m" in dimmed
    assert re.sub(r"\x1b\[\d+m", "", dimmed).startswith("Just a friendly greeting.\nusage: ")
    assert capsys.readouterr().out == "Hello! Nice to meet you.\n"  # stdout is no terminal

    term.seek(0)
    term.truncate()
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(["chat", "--replay", CHAT, CHAT_PROMPT]) == 0
    assert "\x1b[" not in term.getvalue()


def test_chat_without_key_fails_before_any_request(
    capsys: pytest.CaptureFixture[str], _no_network: list[str]
) -> None:
    assert cli.main(["chat", "hello"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert "BASETEN_API_KEY" in err
    assert _no_network == []


def test_chat_api_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DEMO_DIR / "error_403.json")
    assert cli.main(["chat", "--replay", path, CHAT_PROMPT]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    # The status and message of the authored cassette testdata/demo/error_403.json.
    assert err.startswith(
        "error: baseten at https://inference.baseten.co/v1: HTTP 403: this example key is not "
        "accepted"
    )
    assert "Traceback" not in err


def test_chat_prompt_not_in_cassette_names_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "--replay", CHAT, "Something else"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "closest is interaction 0" in err
    assert 'sent "Something else", recorded "Say hello in one short sentence."' in err
    assert "recorded body" not in err  # the summary only: the body diff is for test output


def test_chat_corrupt_cassette(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "interactions": [{"request": 1}]}')
    assert cli.main(["chat", "--replay", str(bad), "hi"]) == 2  # nothing sent: a usage error
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(bad) in err and "interaction 0" in err


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes need Python 3.11")
def test_chat_replaying_a_hand_broken_answer_names_the_cassette(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A hand edit that leaves the cassette valid but breaks the JSON of an answer: the client's
    # error comes with the file and the interaction it was reading.
    data = json.loads(Path(CHAT).read_text())
    body = data["interactions"][1]["response"]["body"]
    body["string"] = body["string"].replace("{", "{,", 1)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    assert cli.main(["chat", "--replay", str(edited), "--no-stream", CHAT_PROMPT]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"; while replaying {edited}: served interaction(s) 1; the last, 1 (POST " in err


def test_chat_missing_cassette_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["chat", "--replay", str(tmp_path / "nope.json"), "hi"]) == 2
    assert "nope.json" in capsys.readouterr().err


# --- models -----------------------------------------------------------------------------------


def test_models_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "--replay", str(DEMO_DIR / "models.json")]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    # Prices in the authored cassette are per token: 0.0000001 -> $0.10 per million, ...
    assert rows == [
        ["id", "context", "$/Mtok", "in", "$/Mtok", "out"],
        ["openai/gpt-oss-120b", "128000", "0.10", "0.50"],
        ["example-org/Example-Chat-Large", "262144", "0.625", "2.50"],
        ["example-org/Example-Preview", "-", "-", "-"],
    ]


def test_models_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "--json", "--replay", str(DEMO_DIR / "models.json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in data] == [
        "openai/gpt-oss-120b",
        "example-org/Example-Chat-Large",
        "example-org/Example-Preview",
    ]
    assert Decimal(data[0]["pricing"]["prompt"]) == Decimal("0.0000001")
    assert data[0]["context_length"] == 128000


@pytest.mark.parametrize(
    ("per_token", "shown"),
    [
        (Decimal("0.0000001"), "0.10"),
        (Decimal("0.000000625"), "0.625"),
        (Decimal("0.000003"), "3.00"),
        (Decimal("0"), "0.00"),
        (Decimal("0.00000000001"), "0.00"),
        (None, "-"),
    ],
)
def test_format_price(per_token: Decimal | None, shown: str) -> None:
    assert cli.format_price(per_token) == shown


# --- exit codes -------------------------------------------------------------------------------


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["chat"]) == 2
    assert cli.main(["chat", "--max-tokens", "many", "hi"]) == 2
    assert cli.main(["demo", "--live", "--replay"]) == 2
    assert cli.main(["chat", "--provider", "nosuch", "--replay", CHAT, "hi"]) == 2
    assert "error: unknown provider 'nosuch'" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out


def test_help_lists_every_command_as_the_full_parser_does() -> None:
    # `genai --help` lists the commands from cli.COMMANDS without adding their arguments (the
    # scoreboard ones would import the scoreboard): it must print what the full parser prints.
    assert cli.build_parser(["--help"]).format_help() == cli.build_parser().format_help()
    assert list(cli.COMMANDS) == ["demo", "chat", "models", "keys", "scoreboard", "smoke", "batch"]


def test_other_commands_do_not_load_the_scoreboard_commands(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from genai_core import cli\n"
        "assert cli.main(sys.argv[1:]) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('scoreboard'))\n"
        "print('LOADED', loaded)\n"
    )

    def loaded(*args: str) -> str:
        proc = run_offline(["-c", code, *args], tmp_path)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()[-1]

    assert loaded("demo") == "LOADED []"
    assert loaded("--help") == "LOADED []"
    scoreboard_run = loaded("scoreboard", "--format", "json")
    assert "'scoreboard.render_cli'" in scoreboard_run
    assert "'scoreboard.smoke_cli'" not in scoreboard_run


def test_ctrl_c_exits_130_without_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_chat", interrupted)
    assert cli.main(["chat", "hi"]) == 130
    assert "Traceback" not in capsys.readouterr().err


def run_offline(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in ``cwd`` without a Baseten key (so nothing can go live)."""
    env = {k: v for k, v in os.environ.items() if k != "BASETEN_API_KEY"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_module_runs_demo_offline_in_a_subprocess(tmp_path: Path) -> None:
    proc = run_offline(["-m", "genai_core.cli", "demo"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("replaying recorded traffic from ")
    assert "The square root of 2025 is 45." in proc.stdout


def test_every_argument_of_every_command_has_help() -> None:
    # The reference documentation is generated by walking build_parser(): nothing may be bare.
    commands = cli.command_parsers(cli.build_parser())
    assert sorted(commands) == sorted(cli.COMMANDS)
    for name, command_parser in commands.items():
        assert command_parser.description, name
        for action in cli.parser_arguments(command_parser):
            assert action.help, f"genai {name} {action.option_strings or action.dest}"


def test_a_registered_command_is_listed_and_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def add_arguments(p: argparse.ArgumentParser) -> None:
        p.add_argument("--times", type=int, default=1, help="how many")
        p.set_defaults(func=lambda args: print("ran " * args.times) or 3)

    monkeypatch.setitem(
        cli.COMMANDS, "extra", cli.Command("extra", "an extra command", add_arguments)
    )
    assert cli.main(["--help"]) == 0
    assert "an extra command" in capsys.readouterr().out
    assert cli.main(["extra", "--times", "2"]) == 3
    assert capsys.readouterr().out == "ran ran \n"


def test_scoreboard_docs_do_not_run_the_cli(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import scoreboard.docs as d\n"
        "text = d.cli_output()\n"
        "assert 'openai/gpt-oss-120b' in text\n"
        "print('CLI' if 'genai_core.cli' in sys.modules else 'NO CLI')\n"
    )
    proc = run_offline(["-c", code], ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "NO CLI"


def test_dimmed_text_ending_a_line_needs_no_extra_newline() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    styled = cli.Styled(term)
    styled.write("banner\n", dim=True)
    styled.end_line()  # already at a line start: nothing added
    assert term.getvalue() == "\x1b[2mbanner\n\x1b[22m"


def test_cost_is_shown_only_when_known() -> None:
    assert cli.cost_text(Decimal("0.000123")) == "cost: $0.000123"
    assert cli.cost_text(None) is None


def test_chat_json_has_the_same_keys_with_or_without_a_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["chat", "--json", "--replay", CHAT, CHAT_PROMPT]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "model",
        "id",
        "request_id",
        "text",
        "reasoning",
        "tool_calls",
        "finish_reason",
        "maybe_truncated",
        "cost",
        "usage",
    }


def test_the_parser_walkers_see_what_argparse_parses() -> None:
    # Checked against argparse's own behaviour: every command parses its own help flag, and
    # each argument found for "chat" is one the parser accepts.
    commands = cli.command_parsers(cli.build_parser())
    assert "chat" in commands and "demo" in commands
    chat = cli.parser_arguments(commands["chat"])
    flags = {flag for action in chat for flag in action.option_strings}
    assert {"-h", "--help", "-m", "--model"} <= flags
    assert cli.command_parsers(argparse.ArgumentParser()) == {}
