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
    sent = [[m["content"] for m in r.json()["messages"]] for r in fake.requests]
    assert sent == [["hello"], ["sys", "b"], ["boom"]]
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
    src = tmp_path / "p.jsonl"
    src.write_text('"ok"\n', encoding="utf-8")
    args = [
        "batch",
        str(src),
        "--out",
        str(tmp_path / "o.jsonl"),
        "--async-target",
        "https://model-abcd1234.api.baseten.co/production",
    ]
    assert main(args) == 2
    assert "--public-url" in capsys.readouterr().err  # Baseten cannot reach 127.0.0.1
    assert main([*args, "--public-url", "https://hooks.example.com"]) == 2
    assert "BASETEN_WEBHOOK_SECRET" in capsys.readouterr().err
