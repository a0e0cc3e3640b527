"""The Baseten platform pages of docs/ run as written, offline, and print what they say.

Same rules as tests/test_docs.py (python blocks run in order in one namespace; a ``text`` block
right after one is its expected output), but the clients talk to the Baseten fake of
tests/baseten_fake.py, set up per page below, and the bridge page to an answer authored in the
bridge's documented shape.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_docs
from baseten_fake import KEY, FakeBaseten, Reply
from harness import bodies
from harness.scripted import serve_default_transport
from test_docs import blocks

import genai_baseten

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _models(fake: FakeBaseten) -> None:
    fake.add_model(
        "abcd1234",
        name="my-llm",
        deployments=[
            {"id": "d1", "environment": "production"},
            {"id": "d2", "environment": "staging", "status": "SCALED_TO_ZERO"},
        ],
    )


def _predict(fake: FakeBaseten) -> None:
    _models(fake)
    fake.streams["environments/staging"] = Reply(
        headers={"Content-Type": "text/plain; charset=utf-8"},
        chunks=[b"token 1\ntok", b"en 2\n", b"token 3\n"],
    )
    fake.deactivated.add("deployment/q7x2m4p")


SETUP: dict[str, Callable[[FakeBaseten], None]] = {
    "baseten-targets.md": lambda fake: None,
    "baseten-predict.md": _predict,
    "baseten-chains.md": lambda fake: None,
    "baseten-management.md": _models,
    "baseten-bridge.md": lambda fake: None,
}

# What each page must have sent: (method, host, path) in order.
SENT: dict[str, list[tuple[str, str, str]]] = {
    "baseten-targets.md": [],
    "baseten-predict.md": [
        ("POST", "model-abcd1234.api.baseten.co", "/environments/production/predict"),
        ("POST", "model-abcd1234.api.baseten.co", "/environments/production/predict"),
        ("POST", "model-abcd1234.api.baseten.co", "/environments/production/predict"),
        ("POST", "model-abcd1234.api.baseten.co", "/environments/staging/predict"),
        ("POST", "model-abcd1234.api.baseten.co", "/deployment/q7x2m4p/predict"),
        ("POST", "model-abcd1234.api.baseten.co", "/development/wake"),
        ("GET", "api.baseten.co", "/v1/models/abcd1234/environments/production"),
        ("POST", "model-abcd1234.api.baseten.co", "/deployment/d1/wake"),
        ("GET", "api.baseten.co", "/v1/models/abcd1234/environments/production"),
        ("POST", "model-abcd1234.api.baseten.co", "/environments/production/predict"),
        ("POST", "model-abcd1234.api.baseten.co", "/environments/staging/predict"),
    ],
    "baseten-chains.md": [
        ("POST", "chain-xyz9.api.baseten.co", "/environments/staging/run_remote"),
        ("POST", "chain-xyz9.api.baseten.co", "/environments/staging/async_run_remote"),
    ],
    "baseten-management.md": [
        ("GET", "api.baseten.co", "/v1/models"),
        ("GET", "api.baseten.co", "/v1/models/abcd1234/deployments"),
        ("GET", "api.baseten.co", "/v1/models/abcd1234/environments"),
        ("GET", "api.baseten.co", "/v1/models/abcd1234/deployments/production"),
        ("GET", "api.baseten.co", "/v1/models/abcd1234/environments/staging"),
    ],
    "baseten-bridge.md": [],
}


def bridge_answer(request: httpx.Request) -> httpx.Response:
    """The bridge's documented quirks: random id, null finish reason, zero usage."""
    assert str(request.url) == "https://bridge.baseten.co/abcd1234/v1/chat/completions"
    assert json.loads(request.content)["max_tokens"] == 64
    answer = bodies.completion(
        "It was played at a neutral site.",
        finish=None,
        usage=bodies.usage(0, 0),
        id="chatcmpl-5e5e5e5e-0000-4000-8000-123412341234",
        model="abcd1234",
        created=None,
    )
    return httpx.Response(200, json=answer)


@pytest.mark.parametrize("name", sorted(SETUP))
def test_page_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBaseten()
    SETUP[name](fake)
    platform = fake.mock_transport()
    monkeypatch.setenv("BASETEN_API_KEY", KEY)

    def route(request: httpx.Request) -> httpx.Response:
        # The chat client talks to the bridge; the platform clients to the fake.
        if request.url.host == "bridge.baseten.co":
            return bridge_answer(request)
        return platform.handle_request(request)

    serve_default_transport(monkeypatch, route)
    namespace: dict[str, Any] = {"__name__": f"docs_{name}"}
    code_blocks = blocks(DOCS / name)
    assert code_blocks, f"{name} has no python example"
    for i, (code, expected) in enumerate(code_blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{name}[{i}]", "exec", dont_inherit=True), namespace)
        if expected is not None:
            assert out.getvalue() == expected, f"{name} block {i}"
    assert [(s.method, s.host, s.path) for s in fake.requests] == SENT[name]


@pytest.mark.parametrize("name", sorted(SETUP))
def test_page_examples_are_formatted(name: str) -> None:
    test_docs.test_page_examples_are_formatted(name)  # the same check as the other pages


def test_readme_platform_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = DOCS.parent / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not installed with the tests")
    section = readme.read_text().split("### Baseten beyond chat", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    fake = FakeBaseten()
    platform = fake.mock_transport()
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    serve_default_transport(monkeypatch, platform.handle_request)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.group(1), str(readme), "exec"), {"genai_baseten": genai_baseten})
    assert out.getvalue() == "{'output': {'x': 1}}\n"
    assert [s.path for s in fake.requests] == ["/environments/production/predict"]
