"""docs/async-inference.md, webhooks.md and batch.md run as written, offline (the mechanism of
test_docs.py: python blocks in order in one namespace, a following text block is the output)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import bodies
from harness.scripted import serve_default_transport
from test_docs import DOCS, blocks

KEY = "fake-docs-key-00000000"
RID = "9876543210abcdef1234567890fedcba"


def async_inference_handler(seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, json={"request_id": RID})
        if request.method == "GET":
            return httpx.Response(
                200,
                json={
                    "request_id": RID,
                    "model_id": "abcd1234",
                    "deployment_id": "d1",
                    "status": "QUEUED",
                    "webhook_status": "PENDING",
                    "errors": [],
                },
            )
        return httpx.Response(200, json={"request_id": RID, "canceled": True, "message": "ok"})

    return handler


def chat_handler(seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        prompt = body["messages"][-1]["content"]
        if isinstance(prompt, list):
            prompt = prompt[0]["text"]
        answer = bodies.completion(
            f"Answer to: {prompt}",
            usage=bodies.usage(5, 4),
            id="c1",
            model=body["model"],
            created=None,
        )
        return httpx.Response(200, json=answer)

    return handler


def run_page(name: str) -> None:
    namespace: dict[str, Any] = {"__name__": f"docs_{name}"}
    for i, (code, expected) in enumerate(blocks(DOCS / name)):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{name}[{i}]", "exec", dont_inherit=True), namespace)
        if expected is not None:
            assert out.getvalue() == expected, f"{name} block {i}"


def patch(monkeypatch: pytest.MonkeyPatch, handler: Any) -> None:
    """The examples' clients (chat and platform, sync and async) all answered by ``handler``."""
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    serve_default_transport(monkeypatch, handler)


def test_async_inference_page(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    patch(monkeypatch, async_inference_handler(seen))
    run_page("async-inference.md")
    assert [r.method for r in seen] == ["POST", "GET", "DELETE"]  # the invalid one sent nothing
    body = json.loads(seen[0].content)
    assert body["priority"] == 0 and body["max_time_in_queue_seconds"] == 3600
    assert seen[0].headers["authorization"] == f"Api-Key {KEY}"


def test_webhooks_page() -> None:
    run_page("webhooks.md")


def test_batch_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    patch(monkeypatch, chat_handler(seen))
    monkeypatch.chdir(tmp_path)
    run_page("batch.md")
    assert len(seen) == 3  # the rerun sent nothing
    assert all(json.loads(r.content)["max_completion_tokens"] == 20 for r in seen)
    assert (tmp_path / "fruits.sqlite").exists()


@pytest.mark.parametrize("name", ["async-inference.md", "webhooks.md", "batch.md"])
def test_pages_have_examples(name: str) -> None:
    assert blocks(DOCS / name)


@pytest.mark.parametrize("name", ["async-inference.md", "webhooks.md", "batch.md"])
def test_page_examples_are_formatted(name: str) -> None:
    from test_docs import test_page_examples_are_formatted as check

    check(name)
