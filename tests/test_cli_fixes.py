"""What a new user tripped over: the ``genai`` command's usage errors, its wording, the batch's
Ctrl-C, the truncation warning, the deadline's wording, the recorder fixture without vcrpy."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_openai import FakeOpenAI, serve
from harness import bodies
from harness.bodies import chunk, event
from harness.flavors import ASYNC, SYNC, Flavor
from harness.loopback import HTTPLoopback, Incoming, Outgoing

# Imported before pytester's in-process run (see tests/test_httprecord_plugin.py).
import genai_baseten  # noqa: F401
import genai_core.httprecord.recorder  # noqa: F401
from genai_baseten.batch_cli import host_port, split_host_port
from genai_core import Message, errors, keys
from genai_core.cli import main
from genai_core.http import RetryPolicy

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
FAKE_KEY = "sk-fake-clifix-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


def compatible(fake: FakeOpenAI, *args: str) -> list[str]:
    return [*args[:1], "-p", "openaicompatible", "--base-url", fake.base_url, *args[1:]]


# --- 1. genai batch stops on Ctrl-C --------------------------------------------------------------


def completion(text: str) -> dict[str, Any]:
    """The fake model's answer ``text`` (one token in, one out)."""
    return bodies.completion(
        text, usage=bodies.usage(1, 1), id="chatcmpl-1", model="fake/echo-1", created=None
    )


class AnswersOnceThenHangs:
    """A server on 127.0.0.1 answering its first request and never the others (it reads them
    and holds them, at most 30 s, until :meth:`close`)."""

    def __init__(self) -> None:
        self.requests = 0
        self.release = threading.Event()
        self.server = HTTPLoopback(self.answer, lifetime=60).start()
        self.url = self.server.url + "/v1"

    def answer(self, req: Incoming) -> Outgoing:
        self.requests += 1
        if self.requests > 1:
            self.release.wait(30)  # read, answered never (until the test is over)
            return Outgoing(503)
        return Outgoing.json(200, completion("ONE"), {"Connection": "close"})

    def close(self) -> None:
        self.release.set()
        self.server.stop()


def test_batch_ctrl_c_exits_130_at_once_and_keeps_the_state(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    src = tmp_path / "prompts.jsonl"
    src.write_text('"first"\n"second"\n', encoding="utf-8")
    out = tmp_path / "results.jsonl"
    server = AnswersOnceThenHangs()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_")}
    env["GENAI_CONFIG_DIR"] = str(tmp_path / "config")
    target = ["-p", "openaicompatible", "-m", "fake/echo-1", "--concurrency", "1"]
    # A read timeout of 120 s: returning within the 30 s below proves nothing waited for it.
    args = ["batch", str(src), "--out", str(out), "--no-progress", "--timeout", "120", *target]
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "genai_core.cli", *args, "--base-url", server.url],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for _ in range(200):  # the second item's request is waiting for its answer
                if server.requests >= 2:
                    break
                time.sleep(0.05)
            assert server.requests >= 2, "the batch never sent its second item"
            time.sleep(0.2)
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    finally:
        server.close()
    assert child.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    # The answer received before Ctrl-C was kept: the same command sends only the other item.
    fake.enqueue(Outgoing.json(200, completion("TWO")))
    assert main([*args, "--base-url", fake.base_url]) == 0
    assert [r.json()["messages"][0]["content"] for r in fake.requests] == ["second"]
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["text"] for x in lines] == ["ONE", "TWO"]


# --- 2. genai batch / demo usage errors ----------------------------------------------------------


@pytest.mark.parametrize("listen", ["foo", "127.0.0.1:abc", ":99999", "127.0.0.1:-1"])
def test_batch_listen_must_be_host_port(
    listen: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('"a"\n', encoding="utf-8")
    status = main(["batch", str(src), "--out", str(tmp_path / "o"), f"--listen={listen}"])
    err = capsys.readouterr().err
    assert status == 2
    assert f"argument --listen: {listen!r}: pass HOST:PORT, such as 127.0.0.1:8787" in err
    assert "Traceback" not in err


def test_listen_defaults_the_host() -> None:
    assert split_host_port(host_port(":8080")) == ("127.0.0.1", 8080)
    assert split_host_port("0.0.0.0:65535") == ("0.0.0.0", 65535)


def test_batch_missing_input_is_a_usage_error_naming_it(
    tmp_path: Path, fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.jsonl"
    args = ["batch", str(missing), "--out", str(tmp_path / "o.jsonl"), "-m", "fake/echo-1"]
    assert main(compatible(fake, *args)) == 2
    err = capsys.readouterr().err
    assert err == f"error: PROMPTS.jsonl {missing}: No such file or directory\n"
    assert fake.requests == []


def test_batch_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "--help"]) == 0
    out = capsys.readouterr().out
    assert "``" not in out
    assert 'an object with "prompt"' in out


def test_batch_public_url_needs_async_target(
    tmp_path: Path, fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('"a"\n', encoding="utf-8")
    args = ["batch", str(src), "--out", str(tmp_path / "o"), "--public-url", "https://x.example"]
    assert main(compatible(fake, *args, "-m", "fake/echo-1")) == 2
    assert "error: --public-url is used only with --async-target" in capsys.readouterr().err
    assert fake.requests == []


@pytest.mark.parametrize("flag", [["--api-key-env", "HOME"], ["--api-key-stdin"]])
def test_demo_key_flags_need_live(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", *flag]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {flag[0]} is for --live")
    assert captured.out == ""


# --- 3. maybe_truncated --------------------------------------------------------------------------


def cut_stream() -> Outgoing:
    """Two pieces of text, then the connection closes: no finish reason, no [DONE]."""
    headers = {"Content-Type": "text/event-stream"}
    return Outgoing(
        200, [event(chunk({"content": "Hel"})), event(chunk({"content": "lo"}))], headers
    )


WARNING = "warning: the stream ended without an end marker; the answer may be truncated\n"


def test_chat_warns_when_the_stream_may_be_truncated(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.enqueue(cut_stream())
    assert main(compatible(fake, "chat", "-m", "fake/echo-1", "hi")) == 0
    captured = capsys.readouterr()
    assert captured.out == "Hello\n"
    assert WARNING in captured.err


def test_chat_json_says_maybe_truncated(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.enqueue(cut_stream())
    assert main(compatible(fake, "chat", "-m", "fake/echo-1", "--json", "hi")) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["text"] == "Hello" and data["maybe_truncated"] is True
    assert captured.err == WARNING
    # A whole stream (the fake's default: finish reason, usage, [DONE]) is not flagged.
    assert main(compatible(fake, "chat", "-m", "fake/echo-1", "--json", "hi")) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["maybe_truncated"] is False
    assert captured.err == ""


# --- 4. smoke's missing-key message ---------------------------------------------------------------


def test_smoke_missing_key_names_no_flag_it_lacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
    assert main(["smoke", "-p", "baseten", "-m", "openai/gpt-oss-120b", "--live"]) == 2
    err = capsys.readouterr().err
    assert "no API key for baseten: set BASETEN_API_KEY, or store one with `genai keys set " in err
    assert "--api-key" not in err


def test_chat_missing_key_still_names_the_key_flags(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
    assert main(["chat", "-p", "baseten", "hi"]) == 2
    assert "pass --api-key-env NAME or --api-key-stdin" in capsys.readouterr().err


# --- 5. errors name the flags ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://x", "http:://x"])
def test_malformed_base_url_names_the_flag_once(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["chat", "-p", "openaicompatible", "--base-url", url, "-m", "m", "hi"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: openaicompatible: --base-url {url!r} ")
    assert "openaicompatible: openaicompatible" not in err and "base_url" not in err


def test_refused_key_hint_names_the_flags(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", FAKE_KEY)
    fake.enqueue(Outgoing.json(401, {"error": {"message": "bad key"}}))
    argv = ["chat", "-p", "baseten", "--base-url", fake.base_url, "--max-retries", "0", "hi"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert (
        "check the key given in $BASETEN_API_KEY, --api-key-env NAME, --api-key-stdin or "
        "`genai keys set`" in err
    )
    assert "api_key=" not in err and FAKE_KEY not in err


def test_not_found_hint_names_base_url_flag(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.enqueue(Outgoing.json(404, {"error": {"message": "no such route"}}))
    assert main(compatible(fake, "chat", "-m", "fake/echo-1", "--max-retries", "0", "hi")) == 1
    err = capsys.readouterr().err
    assert "check that --base-url is the API root" in err and "base_url" not in err


# --- 6. tiers only where a scoreboard defines them ------------------------------------------------


def test_tier_refused_for_a_provider_without_scoreboard(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(compatible(fake, "chat", "-m", "Cheap", "hi")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: -m/--model Cheap: provider openaicompatible has no scoreboard")
    assert fake.requests == []


def test_missing_model_message_offers_tiers_only_with_a_scoreboard(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(compatible(fake, "chat", "hi")) == 2
    err = capsys.readouterr().err
    assert "no model given for provider openaicompatible: pass -m/--model ID or set" in err
    assert "tier" not in err


def test_baseten_still_takes_a_tier(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_core.cli import build_parser, resolve_target

    monkeypatch.setenv("BASETEN_API_KEY", FAKE_KEY)
    args = build_parser(["chat"]).parse_args(["chat", "-p", "baseten", "-m", "cheap", "x"])
    assert resolve_target(args).model == "cheap"


# --- 7. genai keys set ----------------------------------------------------------------------------


def test_keys_set_empty_stdin_names_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["keys", "set", "baseten"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: genai keys set baseten: read an empty key from stdin")
    assert "--api-key-stdin" not in err
    assert keys.get("baseten") is None


def test_keys_set_refuses_an_unknown_provider_unless_forced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(FAKE_KEY + "\n"))
    assert main(["keys", "set", "basetn"]) == 2
    err = capsys.readouterr().err
    assert "genai keys set basetn: no provider is registered under that name" in err
    assert "baseten" in err and "--force" in err
    assert keys.get("basetn") is None
    monkeypatch.setattr(sys, "stdin", io.StringIO(FAKE_KEY + "\n"))
    assert main(["keys", "set", "basetn", "--force"]) == 0
    assert keys.get("basetn") == FAKE_KEY


# --- 8. the recorder fixture without vcrpy --------------------------------------------------------


def test_recorder_fixture_without_vcrpy_says_what_to_install(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        textwrap.dedent(
            """
            import sys

            sys.modules.pop("genai_core.httprecord.recorder", None)
            for name in [n for n in sys.modules if n.split(".")[0] == "vcr"] + ["vcr"]:
                sys.modules[name] = None  # as if vcrpy were not installed
            """
        )
    )
    pytester.makepyfile("def test_uses_it(genai_recorder):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "the genai_recorder fixture needs vcrpy (no module named 'vcr'); install it with: "
            "pip install 'genai-baseten?record?'"  # fnmatch: [] would be a character class
        ]
    )
    result.stdout.no_fnmatch_line("*ModuleNotFoundError*")
    result.stdout.no_fnmatch_line("*halted*")


# --- 10. the deadline's wording -------------------------------------------------------------------


def busy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"error": {"message": "busy"}}, headers={"Retry-After": "5"})


def deadline_error(
    handler: Any, seconds: float, slept: list[float], flavor: Flavor = SYNC
) -> errors.DeadlineExceededError:
    """The error a call with ``deadline=seconds`` raises against ``handler`` (retries on)."""
    policy = RetryPolicy(max_retries=3, sleep=slept.append, rand=lambda: 0.0)
    kw: dict[str, Any] = {"api_key": FAKE_KEY, "retry_policy": policy, "deadline": seconds}

    async def call() -> None:
        client = flavor.mock_client(handler, model="m", **kw)
        try:
            await flavor.gen_sync(client, [Message.user("hi")])
        finally:
            await flavor.close(client)

    with pytest.raises(errors.DeadlineExceededError) as info:
        flavor.run(call)
    return info.value


@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_deadline_too_short_for_a_retry_says_so_and_chains_the_answer(flavor: Flavor) -> None:
    slept: list[float] = []
    err = deadline_error(busy, 0.3, slept, flavor)
    text = str(err)
    # Retry-After: 5 is beyond the 0.3 s the call has: nothing waits, nothing is sent again.
    assert text.startswith("the call's deadline of 0.3 s leaves no time to retry after HTTP 503")
    assert "passed" not in text
    assert err.deadline == 0.3 and slept == []
    assert isinstance(err.__cause__, errors.APIError) and err.__cause__.status_code == 503


def test_deadline_too_short_after_a_connection_error_names_it() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    err = deadline_error(refuse, 0.2, [])
    assert "leaves no time to retry after ConnectError" in str(err)
    assert isinstance(err.__cause__, httpx.ConnectError)


# --- 11. an empty prompt, smoke --replay in a fresh clone -----------------------------------------


@pytest.mark.parametrize(("prompt", "stdin"), [("", ""), ("-", ""), ("  ", ""), ("-", "\n \n")])
def test_chat_empty_prompt_is_a_usage_error(
    prompt: str,
    stdin: str,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(compatible(fake, "chat", "-m", "fake/echo-1", prompt)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: PROMPT ")
    assert "invalid Request" not in err
    assert fake.requests == []


def test_smoke_replay_without_cassettes_suggests_cassettes_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "none"
    argv = ["smoke", "-m", "openai/gpt-oss-120b", "--replay", "--cassettes", str(root)]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "--record" in err
    assert "or replay cassettes kept elsewhere with --cassettes DIR" in err


@pytest.mark.parametrize(
    ("key_flags", "said"),
    [
        (
            True,
            "check the key given in $K, --api-key-env NAME, --api-key-stdin or `genai keys set`",
        ),
        (False, "check the key given in $K or `genai keys set`"),
    ],
)
def test_library_key_wording_names_only_the_flags_a_command_has(key_flags: bool, said: str) -> None:
    from genai_core.cli import flag_wording

    assert flag_wording("check the key given in $K or api_key=", key_flags=key_flags) == said
    assert flag_wording("pass api_key= or base_url=", key_flags=False) == (
        "pass `genai keys set` or --base-url="
    )
