"""The ``genai`` command against a loopback OpenAI-compatible server (tests/fake_openai.py):
provider, model, URL and key resolution, options, attachments, errors and exit codes, the
interactive chat session, and one subprocess per command."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, serve
from harness.loopback import Outgoing

from genai_core import cli, keys

FAKE_KEY = "fake-key-0123456789abcdef"
OTHER_KEY = "fake-other-key-99887766"
MODEL = "fake/echo-1"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


def chat(fake: FakeOpenAI, *args: str) -> list[str]:
    return ["chat", "-p", "openaicompatible", "--base-url", fake.base_url, "-m", MODEL, *args]


class Lines(io.StringIO):
    """Piped stdin (not a terminal)."""

    def isatty(self) -> bool:
        return False


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", Lines(text))


def chat_bodies(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.json() for r in fake.requests if r.path == "/v1/chat/completions"]


# --- provider, model, URL ---------------------------------------------------------------------


def test_one_shot_chat_streams_the_answer(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(chat(fake, "hello there")) == 0
    out, err = capsys.readouterr()
    assert out == "echo: hello there\n"
    # The fake counts words: 2 prompt words, 3 answer words.
    assert "usage: 2 in (0 cached) + 3 out (0 reasoning) = 5 tokens; finish: stop" in err
    assert chat_bodies(fake)[0]["stream"] is True


def test_settings_from_the_environment(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENAI_PROVIDER", "openaicompatible")
    monkeypatch.setenv("GENAI_MODEL", MODEL)
    monkeypatch.setenv("GENAI_BASE_URL", fake.base_url)
    assert cli.main(["chat", "hi"]) == 0
    assert capsys.readouterr().out == "echo: hi\n"
    assert chat_bodies(fake)[0]["model"] == MODEL
    # A flag wins over its variable.
    assert cli.main(["chat", "-m", "fake/other", "hi"]) == 0
    assert chat_bodies(fake)[1]["model"] == "fake/other"


def test_a_provider_without_a_default_url_needs_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["chat", "-p", "openaicompatible", "-m", MODEL, "hi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: provider openaicompatible has no default URL: pass --base-url")
    assert "GENAI_BASE_URL" in err


def test_a_provider_without_a_default_model_needs_one(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["chat", "-p", "openaicompatible", "--base-url", fake.base_url, "hi"]
    assert cli.main(argv) == 2
    assert "pass -m/--model ID" in capsys.readouterr().err
    assert fake.requests == []


def test_the_default_provider_is_the_one_that_needs_no_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No flag, no variable: baseten (its registered defaults carry a URL and a model) is picked,
    # and without a key nothing is sent.
    assert cli.main(["chat", "hi"]) == 2
    assert capsys.readouterr().err.startswith("error: no API key for baseten: set BASETEN_API_KEY")


# --- keys -------------------------------------------------------------------------------------


def auth(fake: FakeOpenAI) -> list[str | None]:
    return [r.headers.get("authorization") for r in fake.requests]


def test_key_order_stdin_then_env_then_stored(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.set("openaicompatible", FAKE_KEY)
    assert cli.main(chat(fake, "a")) == 0  # stored key: the last resort
    monkeypatch.setenv("MY_GATEWAY_KEY", OTHER_KEY)
    assert cli.main(chat(fake, "--api-key-env", "MY_GATEWAY_KEY", "b")) == 0
    stdin(monkeypatch, "stdin-fake-key\nnot read\n")
    assert cli.main(chat(fake, "--api-key-stdin", "c")) == 0
    assert auth(fake) == [
        f"Bearer {FAKE_KEY}",
        f"Bearer {OTHER_KEY}",
        "Bearer stdin-fake-key",
    ]
    out, err = capsys.readouterr()
    assert not any(k in out + err for k in (FAKE_KEY, OTHER_KEY, "stdin-fake-key"))


def test_the_provider_variable_wins_over_the_stored_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.set("baseten", FAKE_KEY)
    monkeypatch.setenv("BASETEN_API_KEY", OTHER_KEY)
    args = cli.build_parser().parse_args(["chat", "hi"])
    assert cli.resolve_target(args).api_key == OTHER_KEY
    monkeypatch.delenv("BASETEN_API_KEY")
    assert cli.resolve_target(args).api_key == FAKE_KEY


def test_api_key_in_argv_warns(fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(chat(fake, "--api-key", FAKE_KEY, "hi")) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: --api-key puts the key in the command line")
    assert FAKE_KEY not in err
    assert auth(fake) == [f"Bearer {FAKE_KEY}"]


def test_api_key_env_unset_is_a_usage_error(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(chat(fake, "--api-key-env", "NOT_SET_ANYWHERE", "hi")) == 2
    assert "--api-key-env NOT_SET_ANYWHERE: the environment variable is not set" in (
        capsys.readouterr().err
    )
    assert fake.requests == []


def test_an_unsafe_key_file_is_refused_before_sending(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX file modes")
    keys.set("openaicompatible", FAKE_KEY)
    keys.path().chmod(0o644)
    assert cli.main(chat(fake, "hi")) == 2
    assert "readable by other users" in capsys.readouterr().err
    assert fake.requests == []


# --- options, attachments ---------------------------------------------------------------------


def test_options_system_and_attachments_reach_the_request(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The launch is on Tuesday.")
    argv = chat(
        fake,
        "-s",
        "Be brief.",
        "-o",
        "temperature=0.25",
        "-o",
        "seed=7",
        "-o",
        "stop=END",
        "-o",
        "frequency_penalty=0.5",
        "-a",
        str(notes),
        "--max-tokens",
        "12",
        "When?",
    )
    assert cli.main(argv) == 0
    body = chat_bodies(fake)[0]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (body["temperature"], body["seed"], body["stop"]) == (0.25, 7, ["END"])
    assert body["frequency_penalty"] == 0.5  # the provider's own options class
    assert body["max_tokens"] == 12
    sent = json.dumps(body["messages"][1])
    assert "When?" in sent and "The launch is on Tuesday." in sent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "nope=1"], "-o nope: unknown option; known: "),
        (["-o", "temperature"], "-o temperature: expected key=value"),
        (["-o", "temperature=hot"], "error: -o temperature=hot: Input should be a valid number"),
        (["--temperature", "200"], "error: --temperature: Input should be less than or equal"),
        (["--max-tokens", "0"], "argument --max-tokens: expected a whole number >= 1, got '0'"),
        (["--max-retries", "-1"], "argument --max-retries: expected a whole number >= 0"),
        (["--timeout", "0"], "argument --timeout: expected a positive number of seconds"),
        (["-a", "/nonexistent/file.txt"], "-a /nonexistent/file.txt: No such file"),
    ],
)
def test_bad_settings_exit_2_before_sending(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert cli.main(chat(fake, *args, "hi")) == 2
    assert message in capsys.readouterr().err
    assert fake.requests == []


# --- errors and exit codes --------------------------------------------------------------------


def test_api_error_exits_1_naming_provider_and_url(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.enqueue(Outgoing.json(500, {"error": {"message": "boom"}}))
    assert cli.main(chat(fake, "--max-retries", "0", "hi")) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: openaicompatible at {fake.base_url}: ")
    assert "500" in err and "boom" in err
    assert len(fake.requests) == 1  # --max-retries 0: no retry


def test_timeout_exits_1(fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    fake.enqueue(Outgoing(200, b"{}", {"Content-Type": "application/json"}, delay=2.0))
    argv = chat(fake, "--timeout", "0.2", "--max-retries", "0", "--no-stream", "hi")
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: openaicompatible at {fake.base_url}: request timed out")


def test_connection_error_names_provider_and_url(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    argv = ["chat", "-p", "openaicompatible", "--base-url", url, "-m", MODEL]
    assert cli.main([*argv, "--max-retries", "0", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: openaicompatible at {url}: connection failed")
    assert "check --base-url" in err


def test_verbose_configures_the_genai_logger(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    original = cli.configure_logging

    def spy(verbosity: int) -> Any:
        restore = original(verbosity)
        seen.append(verbosity)
        logging.getLogger("genai.test").debug("a debug line")
        return restore

    monkeypatch.setattr(cli, "configure_logging", spy)
    assert cli.main(["-vv", *chat(fake, "hi")]) == 0
    err = capsys.readouterr().err
    assert seen == [2]
    assert "DEBUG genai.test: a debug line" in err
    assert f"HTTP Request: POST {fake.base_url}/chat/completions" in err  # -vv: httpx too
    # Undone when the command ends.
    # (The library's own NullHandler stays: it is not the CLI's.)
    handlers = logging.getLogger("genai").handlers
    assert [h for h in handlers if not isinstance(h, logging.NullHandler)] == []
    assert logging.getLogger("httpx").level == logging.NOTSET
    assert cli.main([*chat(fake, "hi"), "-v"]) == 0  # after the command too
    assert seen == [2, 1]
    assert "HTTP Request" not in capsys.readouterr().err


# --- the interactive session ------------------------------------------------------------------


def test_session_keeps_the_history_and_stops_at_exit(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, "hello\n\nsecond turn\n!exit\nnever sent\n")
    assert cli.main(chat(fake, "-s", "Be brief.")) == 0
    out, _ = capsys.readouterr()
    assert out == "echo: hello\necho: second turn\n"
    bodies = chat_bodies(fake)
    assert len(bodies) == 2
    assert bodies[1]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "echo: hello"},
        {"role": "user", "content": "second turn"},
    ]


def test_session_ends_at_end_of_input_and_prints_json_lines(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, "one\ntwo")  # Ctrl-D: end of input, even without a final newline
    assert cli.main(chat(fake, "--json")) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [d["text"] for d in lines] == ["echo: one", "echo: two"]
    assert err == ""


def test_ctrl_c_cancels_the_answer_not_the_session(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = cli.chat_turn
    calls = []

    def interrupted_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(cli, "chat_turn", interrupted_once)
    stdin(monkeypatch, "cancelled question\nkept question\n")
    assert cli.main(chat(fake)) == 0
    out, err = capsys.readouterr()
    assert "[cancelled]" in err
    assert out == "echo: kept question\n"
    # The cancelled turn is not part of the conversation.
    assert chat_bodies(fake)[-1]["messages"] == [{"role": "user", "content": "kept question"}]


def test_session_sends_attachments_with_the_first_message_only(
    fake: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("attached words")
    stdin(monkeypatch, "first\nsecond\n")
    assert cli.main(chat(fake, "-a", str(doc))) == 0
    bodies = chat_bodies(fake)
    assert "attached words" in json.dumps(bodies[0]["messages"][-1])
    assert "attached words" not in json.dumps(bodies[1]["messages"][-1])


def test_reasoning_is_labelled_when_piped() -> None:
    from genai_core.types import Reply

    err = io.StringIO()
    printer = cli.ChatPrinter(cli.Styled(io.StringIO()), cli.Styled(err), show_reasoning=True)
    printer.show([Reply(reasoning=" Let me think"), Reply(reasoning=" more.")])
    assert err.getvalue() == "[reasoning] Let me think more."


# --- one subprocess per command ---------------------------------------------------------------


def run(args: list[str], *, stdin_text: str = "", env: dict[str, str] | None = None) -> Any:
    base = {k: v for k, v in os.environ.items() if k != "BASETEN_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "genai_core.cli", *args],
        input=stdin_text,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_chat_session_in_a_subprocess(fake: FakeOpenAI) -> None:
    proc = run(chat(fake), stdin_text="hi there\n!exit\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "echo: hi there\n"


def test_chat_usage_error_in_a_subprocess() -> None:
    proc = run(["chat", "-p", "openaicompatible", "-m", MODEL, "hi"])
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: provider openaicompatible has no default URL")


def test_models_in_a_subprocess(fake: FakeOpenAI) -> None:
    proc = run(["models", "-p", "openaicompatible", "--base-url", fake.base_url, "--json"])
    assert proc.returncode == 0, proc.stderr
    assert [m["id"] for m in json.loads(proc.stdout)] == [
        "fake/echo-1",
        "fake/embed-1",
        "fake/text-only-1",
    ]


def test_scoreboard_json_in_a_subprocess() -> None:
    proc = run(["scoreboard", "-p", "baseten", "--model", "cheap", "--format", "json"])
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [t["provider"] for t in data] == ["baseten"]
    assert [e.get("tier") for e in data[0]["models"]] == ["cheap"]


# --- smoke: configuration errors and empty runs -----------------------------------------------


def test_smoke_without_base_url_fails_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "board.json"
    target.write_text('{"version": 1, "provider": "openaicompatible", "models": []}\n')
    before = target.read_text()
    proc = run(
        [
            "smoke",
            "-p",
            "openaicompatible",
            "-m",
            MODEL,
            "--live",
            "--update",
            str(target),
            "--cassettes",
            str(tmp_path),
        ]
    )
    assert proc.returncode == 2
    assert "base_url" in proc.stderr and "--base-url" in proc.stderr
    assert proc.stdout == ""
    assert target.read_text() == before


def test_smoke_checks_the_update_file_before_sending(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = ["smoke", "-p", "openaicompatible", "-m", MODEL, "--live", "--base-url", fake.base_url]
    assert cli.main([*base, "--update", str(tmp_path / "missing.json")]) == 2
    assert "--update" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text('{"version": 1, "provider": "baseten", "models": []}\n')
    assert cli.main([*base, "--update", str(other)]) == 2
    assert "baseten's scoreboard, not openaicompatible's" in capsys.readouterr().err
    assert fake.requests == []


def test_smoke_run_that_measured_nothing_fails(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "board.json"
    target.write_text('{"version": 1, "provider": "openaicompatible", "models": []}\n')
    before = target.read_text()
    fake.enqueue(*[Outgoing.json(503, {"error": {"message": "down"}}) for _ in range(200)])
    argv = ["smoke", "-p", "openaicompatible", "-m", MODEL, "--live", "--base-url", fake.base_url]
    assert cli.main([*argv, "--update", str(target)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "the run measured nothing" in err
    assert target.read_text() == before


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_in_a_subprocess_exits_130_without_traceback(fake: FakeOpenAI) -> None:
    fake.enqueue(Outgoing(200, b"{}", {"Content-Type": "application/json"}, delay=3.0))
    base = {k: v for k, v in os.environ.items() if k != "BASETEN_API_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "genai_core.cli", *chat(fake, "--no-stream", "hi")],
        env=base,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not fake.requests and time.monotonic() < deadline:  # the request is in flight
            time.sleep(0.05)
        assert fake.requests
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err


def test_the_resolved_key_is_not_in_the_target_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", FAKE_KEY)
    target = cli.resolve_target(cli.build_parser().parse_args(["chat", "hi"]))
    assert target.api_key == FAKE_KEY
    assert FAKE_KEY not in repr(target)


def test_a_live_chat_is_priced_from_one_model_list(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Baseten's model list carries per-token prices: the first unpriced answer of a live run
    # fetches it once; later answers are priced by the client itself.
    monkeypatch.setenv("BASETEN_API_KEY", "cli-pricing-test-key")
    listed = {"id": MODEL, "pricing": {"prompt": "0.000001", "completion": "0.00001"}}
    fake.models = [listed]
    stdin(monkeypatch, "hello there\nand again\n")
    argv = ["chat", "-p", "baseten", "--base-url", fake.base_url, "-m", MODEL]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    # Turn 1: 2 prompt words in, 3 out: 2 * 0.000001 + 3 * 0.00001 = 0.000032.
    # Turn 2: the fake counts the words of the user turns sent, 2 + 2 = 4 in, 3 out:
    # 4 * 0.000001 + 3 * 0.00001 = 0.000034.
    assert [line for line in err.splitlines() if line.startswith("cost:")] == [
        "cost: $0.000032",
        "cost: $0.000034",
    ]
    paths = [r.path for r in fake.requests]
    assert paths.count("/v1/models") == 1
    # --no-cost (and replays) never ask.
    stdin(monkeypatch, "hello there\n")
    assert cli.main([*argv, "--no-cost"]) == 0
    assert "cost:" not in capsys.readouterr().err
    assert [r.path for r in fake.requests].count("/v1/models") == 1
