"""``genai batch``: JSONL in, JSONL out in input order, resumable, a progress line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from genai_baseten import batch_cli
from genai_core.cli import main
from genai_core.types import Message, Reply, Result


class Echo:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def gen_sync(self, messages: list[Message], *options: object) -> Result:
        text = " | ".join(m.text for m in messages)
        self.calls[text] += 1
        if text == "boom":
            from genai_core import ServerError

            raise ServerError("down", status_code=503, provider="fake")
        return Result(replies=[Reply(text=text.upper())])


def test_batch_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    echo = Echo()
    monkeypatch.setattr(batch_cli, "_provider", lambda args: echo)
    src = tmp_path / "prompts.jsonl"
    src.write_text('"hello"\n\n{"prompt": "b", "system": "sys"}\n"boom"\n', encoding="utf-8")
    out = tmp_path / "results.jsonl"
    assert main(["batch", str(src), "--out", str(out)]) == 1  # one item failed
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0] == {"index": 0, "status": "done", "text": "HELLO"}
    assert lines[1] == {"index": 1, "status": "done", "text": "SYS | B"}
    assert lines[2]["status"] == "failed" and "503" in lines[2]["error"]
    assert "3/3" in capsys.readouterr().err  # the progress line
    # Rerun: nothing sent again (the failed item too, unless asked).
    assert main(["batch", str(src), "--out", str(out), "--no-progress"]) == 1
    assert echo.calls == Counter({"hello": 1, "sys | b": 1, "boom": 1})
    assert (tmp_path / "results.jsonl.state.sqlite").exists()


def test_bad_line_is_a_clear_error(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_cli, "_provider", lambda args: Echo())
    src = tmp_path / "p.jsonl"
    src.write_text('"ok"\n[1, 2]\n', encoding="utf-8")
    # A bad input is a usage error (2), like every ValidationError of the command line.
    assert main(["batch", str(src), "--out", str(tmp_path / "o.jsonl")]) == 2
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
