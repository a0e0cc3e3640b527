"""The feature pages of docs/ run as written, offline, and print what they say they print.

Each page's ``python`` blocks run in order in one namespace, like a script. A ``text`` block
right after a ``python`` block is that block's expected output. The clients the examples create
get an httpx transport serving answers scripted here (authored from the documented wire format);
the environment has a placeholder key. The requests the examples send are checked too.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.chat import KEY, ChatAnswer, ChatServer
from harness.scripted import serve_default_transport

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)

SQRT = ("call_1", "square_root", '{"number": 132413}')
COST_USAGE = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}

# Per page: the answers, in the order the examples ask.
ANSWERS: dict[str, list[ChatAnswer]] = {
    "tools.md": [
        ChatAnswer(reasoning="Call the tool.", tool_calls=[SQRT], finish="tool_calls"),
        ChatAnswer(content="363.89"),
        ChatAnswer(tool_calls=[SQRT], finish="tool_calls"),
        ChatAnswer(content="363.89"),
        ChatAnswer(
            tool_calls=[
                ("call_a", "lookup", '{"city": "Oslo"}'),
                ("call_b", "lookup", '{"city": "Rome"}'),
            ],
            finish="tool_calls",
        ),
        ChatAnswer(content="Rome is warmer (19 °C against 4 °C)."),
    ],
    "logging.md": [ChatAnswer(content="Hello")],
    "structured-output.md": [
        ChatAnswer(content='{"name": "banana", "is_fruit": true}'),
        ChatAnswer(content='{"name": "tomato", "is_fruit": true, "color": "red"}'),
    ],
    "reasoning.md": [
        ChatAnswer(
            reasoning="The user wants a one-word greeting.",
            content="Hello",
            usage={
                "prompt_tokens": 15,
                "completion_tokens": 10,
                "total_tokens": 25,
                "completion_tokens_details": {"reasoning_tokens": 9},  # type: ignore[dict-item]
            },
        ),
        ChatAnswer(content="<think>\nA greeting is expected.\n</think>\n\nHello!", pieces=6),
    ],
    "logprobs.md": [
        ChatAnswer(
            content="Hello!",
            logprobs=[
                {
                    "token": "Hello",
                    "logprob": -0.0305,
                    "top_logprobs": [
                        {"token": "Hello", "logprob": -0.0305},
                        {"token": "Hi", "logprob": -3.5066},
                    ],
                },
                {
                    "token": "!",
                    "logprob": -0.2231,
                    "top_logprobs": [
                        {"token": "!", "logprob": -0.2231},
                        {"token": ".", "logprob": -1.6094},
                    ],
                },
            ],
        )
    ],
    "scoreboard-query.md": [ChatAnswer(content="Hello")],
    "cost.md": [
        ChatAnswer(content="Hello!", usage=COST_USAGE),
        ChatAnswer(content="Hello!", usage=COST_USAGE),
        ChatAnswer(content="Hello!", usage=COST_USAGE),
        ChatAnswer(
            content="Goodbye!",
            usage={"prompt_tokens": 15, "completion_tokens": 10, "total_tokens": 25},
        ),
    ],
    "tracing.md": [
        ChatAnswer(content="Hello!"),
        ChatAnswer(content="Hello!"),
        ChatAnswer(content="Hello!"),
    ],
    "reliability.md": [
        ChatAnswer(content="Hello"),
        ChatAnswer(status=503, error={"error": "overloaded"}),
    ],
}

# Per page: the model list served at GET /models (pages that resolve a model tier). Authored: an
# older GLM and a tie at 5.2 (the first listed wins), so the sota tier gives zai-org/GLM-5.2.
MODEL_LISTS: dict[str, list[str]] = {
    "scoreboard-query.md": [
        "openai/gpt-oss-120b",
        "zai-org/GLM-4.7",
        "zai-org/GLM-5.2",
        "zai-org/GLM-5.2-Fast",
        "deepseek-ai/DeepSeek-V4-Pro",
    ],
}


def blocks(page: Path) -> list[tuple[str, str | None]]:
    """The page's python blocks, each with the text block that follows it (or None)."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(page.read_text())]
    out: list[tuple[str, str | None]] = []
    text = page.read_text()
    for i, (lang, code, _start, end) in enumerate(found):
        if lang != "python":
            continue
        expected = None
        if i + 1 < len(found):
            nlang, ncode, nstart, _ = found[i + 1]
            if nlang == "text" and not text[end:nstart].strip():
                expected = ncode
        out.append((code, expected))
    return out


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_page_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    page = DOCS / name
    server = ChatServer(*ANSWERS[name])
    listed = MODEL_LISTS.get(name)
    lists_served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if listed is not None and request.method == "GET" and request.url.path == "/v1/models":
            assert request.headers["authorization"] == f"Api-Key {KEY}"
            lists_served.append(str(request.url))
            return httpx.Response(200, json={"data": [{"id": m} for m in listed]})
        return server(request)

    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    serve_default_transport(monkeypatch, handler)
    namespace: dict[str, Any] = {"__name__": f"docs_{name}"}
    code_blocks = blocks(page)
    assert code_blocks, f"{name} has no python example"
    for i, (code, expected) in enumerate(code_blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{name}[{i}]", "exec", dont_inherit=True), namespace)
        if expected is not None:
            assert out.getvalue() == expected, f"{name} block {i}"
    assert len(server.requests) == len(ANSWERS[name]), "every scripted answer was used"
    assert len(lists_served) == (1 if listed is not None else 0), "one model list per page"
    CHECKS[name](server.bodies)


def check_tools(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["tool_choice"] == "required"
    assert bodies[1]["tool_choice"] == "none"
    assert bodies[1]["messages"][1]["tool_calls"][0]["id"] == "call_1"
    assert bodies[1]["messages"][2] == {
        "role": "tool",
        "content": "363.89",
        "tool_call_id": "call_1",
        "name": "square_root",
    }
    assert bodies[3]["tool_choice"] == "auto"
    assert [m["content"] for m in bodies[5]["messages"][2:]] == ["4", "19"]


def check_structured(bodies: list[dict[str, Any]]) -> None:
    spec = bodies[0]["response_format"]["json_schema"]
    assert spec["name"] == "Fruit"
    assert spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False
    assert bodies[1]["response_format"] == {"type": "json_object"}


def check_reasoning(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["chat_template_args"] == {"enable_thinking": True}
    assert "chat_template_args" not in bodies[1]


def check_logprobs(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["logprobs"] is True
    assert bodies[0]["top_logprobs"] == 2
    assert bodies[0]["stream"] is True


def check_reliability(bodies: list[dict[str, Any]]) -> None:
    assert [b.get("stream", False) for b in bodies] == [True, False]


def check_logging(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["messages"] == [{"role": "user", "content": "Say hello"}]


def check_scoreboard_query(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["model"] == "zai-org/GLM-5.2"  # the sota tier, resolved from the list
    assert bodies[0]["chat_template_args"] == {"enable_thinking": True}  # GLM's default


def check_cost(bodies: list[dict[str, Any]]) -> None:
    assert [b["messages"][0]["content"] for b in bodies] == [
        "Say hello",
        "Say hello",
        "Say hello",
        "Say goodbye",
    ]
    assert [b.get("stream", False) for b in bodies] == [False, True, False, False]


def check_tracing(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["max_completion_tokens"] == 50
    assert [b.get("stream", False) for b in bodies] == [False, True, False]


CHECKS = {
    "cost.md": check_cost,
    "tracing.md": check_tracing,
    "tools.md": check_tools,
    "structured-output.md": check_structured,
    "reasoning.md": check_reasoning,
    "logprobs.md": check_logprobs,
    "scoreboard-query.md": check_scoreboard_query,
    "reliability.md": check_reliability,
    "logging.md": check_logging,
}


def test_every_feature_page_is_run() -> None:
    pages = ("tools.md", "structured-output.md", "reasoning.md", "logprobs.md")
    for name in (*pages, "scoreboard-query.md"):
        assert (DOCS / name).is_file()
        assert name in ANSWERS
    json.dumps([a.completion() for a in ANSWERS["tools.md"]])  # the answers are plain JSON


def _ruff() -> str | None:
    here = Path(sys.executable).parent / "ruff"
    return str(here) if here.exists() else shutil.which("ruff")


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed (pip install -e '.[test]')")
@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_page_examples_are_formatted(name: str) -> None:
    ruff = _ruff()
    assert ruff is not None
    for i, (code, _) in enumerate(blocks(DOCS / name)):
        proc = subprocess.run(
            [ruff, "format", "--stdin-filename", "docs_example.py", "-"],
            input=code,
            capture_output=True,
            text=True,
            cwd=DOCS.parent,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == code, f"{name} block {i} is not ruff-formatted:\n{proc.stdout}"
