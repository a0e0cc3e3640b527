"""``genai batch``: JSONL in, JSONL out in input order, resumable, a progress line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, serve
from harness import bodies
from harness.loopback import Outgoing
from harness.scripted import ScriptedServer, json_answer, serve_default_transport

from genai_baseten.batch_cli import split_host_port
from genai_core.cli import main


def completion(text: str) -> dict[str, Any]:
    """An authored chat completion answering ``text``."""
    return bodies.completion(
        text, usage=bodies.usage(1, 1), id="chatcmpl-batch", model="fake/echo-1", created=None
    )


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


def batch(fake: FakeOpenAI, *args: str) -> list[str]:
    # One item at a time: the scripted answers meet the items in input order.
    target = ["-p", "openaicompatible", "--base-url", fake.base_url, "-m", "fake/echo-1"]
    return ["batch", *args, *target, "--concurrency", "1"]


def test_batch_command(tmp_path: Path, fake: FakeOpenAI, capsys: Any) -> None:
    src = tmp_path / "prompts.jsonl"
    src.write_text('"hello"\n\n{"prompt": "b", "system": "sys"}\n"boom"\n', encoding="utf-8")
    out = tmp_path / "results.jsonl"
    fake.enqueue(
        Outgoing.json(200, completion("HELLO")),
        Outgoing.json(200, completion("SYS | B")),
        Outgoing.json(503, {"error": {"message": "down"}}),
    )
    assert main(batch(fake, str(src), "--out", str(out))) == 1  # one item failed
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0] == {"index": 0, "status": "done", "text": "HELLO"}
    assert lines[1] == {"index": 1, "status": "done", "text": "SYS | B"}
    assert lines[2]["status"] == "failed" and "503" in lines[2]["error"]
    assert "3/3" in capsys.readouterr().err  # the progress line
    sent = [[(m["role"], m["content"]) for m in r.json()["messages"]] for r in fake.requests]
    # "system" is the system prompt, not words of the user.
    assert sent == [[("user", "hello")], [("system", "sys"), ("user", "b")], [("user", "boom")]]
    # The batch retries by itself: the client was made with no retries of its own.
    assert len(fake.requests) == 3
    # Rerun: nothing sent again (the failed item too, unless asked).
    assert main(batch(fake, str(src), "--out", str(out), "--no-progress")) == 1
    assert len(fake.requests) == 3
    assert (tmp_path / "results.jsonl.state.sqlite").exists()


def test_bad_line_is_a_clear_error(tmp_path: Path, fake: FakeOpenAI, capsys: Any) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('"ok"\n[1, 2]\n', encoding="utf-8")
    # A bad input is a usage error (2), like every ValidationError of the command line.
    assert main(batch(fake, str(src), "--out", str(tmp_path / "o.jsonl"))) == 2
    assert "p.jsonl:2" in capsys.readouterr().err


def test_async_target_needs_a_public_url_and_a_webhook_secret(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BASETEN_WEBHOOK_SECRET", raising=False)
    args = _async_args(tmp_path)[:-2]  # without --public-url
    assert main(args) == 2
    assert "--public-url" in capsys.readouterr().err  # Baseten cannot reach 127.0.0.1
    assert main([*args, "--public-url", "https://hooks.example.com"]) == 2
    assert "BASETEN_WEBHOOK_SECRET" in capsys.readouterr().err


def _async_args(tmp_path: Path, *extra: str) -> list[str]:
    """``genai batch`` on a one-line file with --async-target, then --public-url, then extra."""
    src = tmp_path / "p.jsonl"
    src.write_text('"ok"\n', encoding="utf-8")
    return [
        "batch",
        str(src),
        "--out",
        str(tmp_path / "o.jsonl"),
        "--async-target",
        "https://model-abcd1234.api.baseten.co/production",
        *extra,
        "--public-url",
        "https://hooks.example.com",
    ]


def test_listen_without_a_port_is_a_usage_error(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASETEN_WEBHOOK_SECRET", "whsec-test")
    assert main(_async_args(tmp_path, "--listen", "localhost")) == 2
    assert "argument --listen: 'localhost': pass HOST:PORT" in capsys.readouterr().err


def test_async_target_takes_the_key_flags_of_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASETEN_WEBHOOK_SECRET", "whsec-test")
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
    monkeypatch.setenv("MY_BASETEN_KEY", "fake-key-from-named-var")
    # Baseten refuses the submit (a 400 queues nothing): the item fails at once.
    baseten = ScriptedServer(json_answer(400, {"error": "bad model_input"}))
    serve_default_transport(monkeypatch, baseten)
    argv = _async_args(tmp_path, "--api-key-env", "MY_BASETEN_KEY", "--listen", ":0")
    assert main([*argv, "--no-progress"]) == 1
    # One async inference submit, with the key of the named variable.
    [request] = baseten.requests
    assert (request.method, str(request.url)) == (
        "POST",
        "https://model-abcd1234.api.baseten.co/environments/production/async_predict",
    )
    assert request.headers["authorization"] == "Api-Key fake-key-from-named-var"
    assert baseten.body()["webhook_endpoint"].startswith("https://hooks.example.com/")
    [line] = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert line["status"] == "failed" and "400" in line["error"]
    # ":0" listens on 127.0.0.1, on any free port.
    assert split_host_port(":0") == ("127.0.0.1", 0)
