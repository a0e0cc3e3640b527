"""Every example of every page of docs/ runs, offline, and prints what the page says it prints.

The rule (CONTRIBUTING.md, "How the docs are tested"), for every ``*.md`` under docs/, new pages
included (they are discovered, not listed):

* ``python`` blocks run in order in one namespace per page, like a script. A ``text`` block
  right after a ``python`` block is that block's expected output. The clients the examples
  create get an httpx transport serving the answers scripted here per page (authored from the
  documented wire format); a page without scripted answers may not send a request. The
  environment has a placeholder key. Pages whose examples need their own fixture (a loopback
  server, a pytest run) are run by the test file named in :data:`RUN_ELSEWHERE`.
* ``sh`` blocks run as one bash script (``set -euo pipefail``) and must succeed; ``console``
  blocks are ``$ command`` lines, each followed by its expected stdout, where a ``...`` line
  stands for any number of lines and ``...`` within a line for any text. They run in a copy
  of the repository, with the venv's ``bin`` first on PATH (``.venv/bin/`` in a command means
  that directory), no API key and a scratch home directory.
* A block that cannot run offline (an install from the package index, a live call with a real
  key) is preceded by ``<!-- not-run: REASON -->``; its Python is still compiled.
* Shell examples are ``sh`` or ``console`` blocks, Python ones ``python``: other spellings
  (``bash``, ``py``...) are refused, so nothing escapes the rule by its fence.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.chat import KEY, ChatAnswer, ChatServer
from harness.scripted import serve_default_transport

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))

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


ANSWERS.update(
    {
        "index.md": [ChatAnswer(content="Hello!")],
        "quickstart.md": [ChatAnswer(content="11"), ChatAnswer(content="13")],
        "providers.md": [
            ChatAnswer(content="Hello!"),
            ChatAnswer(content="Hello from the deployment!"),
            ChatAnswer(content="Hello from a local server!"),
        ],
        "concepts.md": [
            ChatAnswer(content="Paris", reasoning="France's capital."),
            ChatAnswer(content="Rome", reasoning="Same question, for Italy."),
            ChatAnswer(content="Blue"),
            ChatAnswer(content="Apple"),
            ChatAnswer(content="Rome", reasoning="Italy again."),
            ChatAnswer(
                status=429,
                error={"error": {"message": "Too many requests", "type": "rate_limit_error"}},
            ),
            ChatAnswer(content="Rome"),
            ChatAnswer(content="Rome"),
        ],
    }
)

# Per page: where each request went, as (host, authorization scheme or None), when it matters.
ROUTES: dict[str, list[tuple[str, str | None]]] = {
    "providers.md": [
        ("inference.baseten.co", "Api-Key"),
        ("model-abcd1234.api.baseten.co", "Api-Key"),
        ("localhost", None),  # openaicompatible without api_key=: no auth header
    ],
}

# Pages whose examples run in another test file (their own servers or fixtures). The file must
# name the page; the blocks it does not run are marked not-run on the page.
RUN_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "multimodal.md": ("test_multimodal.py",),
    "openai-compatible.md": ("test_openai_compatible.py",),
    "record-replay.md": ("test_httprecord_replay.py", "test_httprecord_plugin.py"),
    "baseten-bridge.md": ("test_docs_baseten.py",),
    "baseten-chains.md": ("test_docs_baseten.py",),
    "baseten-management.md": ("test_docs_baseten.py",),
    "baseten-predict.md": ("test_docs_baseten.py",),
    "baseten-targets.md": ("test_docs_baseten.py",),
    "async-inference.md": ("test_docs_batch.py",),
    "webhooks.md": ("test_docs_batch.py",),
    "batch.md": ("test_docs_batch.py",),
}


# --- reading the pages ------------------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(?P<reason>\S.*?)\s*-->$")
SHELL = ("sh", "console")
INSTALLS = re.compile(r"\b(pip|uv|pipx)\b[^\n]*\binstall\b")
# Fences that would hide an example from the rule: write ``sh``/``console`` or ``python``.
REFUSED = ("bash", "shell", "zsh", "shell-session", "py", "python3", "pycon", "ipython")


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    not_run: str | None  # the reason given by a <!-- not-run: ... --> marker
    expected: str | None = None  # python: the text block right after it

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def page_blocks(page: str) -> list[Block]:
    """Every fenced block of ``page``, in order; indented fences (in lists) are dedented."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines(keepends=True)
    raw: list[tuple[int, str, str, str | None, int]] = []  # line, lang, code, not_run, end
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].rstrip("\n"))
        if m is None:
            i += 1
            continue
        indent = m.group("indent")
        close = next(
            (j for j in range(i + 1, len(lines)) if lines[j].rstrip() == indent + "```"), None
        )
        assert close is not None, f"{page}:{i + 1}: unclosed code block"
        code = "".join(line[len(indent) :] for line in lines[i + 1 : close])
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = NOT_RUN.match(before)
        raw.append(
            (i + 1, m.group("lang"), code, marker.group("reason") if marker else None, close)
        )
        i = close + 1
    out: list[Block] = []
    for k, (line, lang, code, not_run, end) in enumerate(raw):
        expected = None
        if lang == "python" and k + 1 < len(raw):
            nline, nlang, ncode, _, _ = raw[k + 1]
            if nlang == "text" and not "".join(lines[end + 1 : nline - 1]).strip():
                expected = ncode
        out.append(Block(page, line, lang, code, not_run, expected))
    return out


def blocks(page: Path) -> list[tuple[str, str | None]]:
    """The page's runnable python blocks, each with the text block that follows it (or None)."""
    name = page.relative_to(DOCS).as_posix()
    return [(b.code, b.expected) for b in page_blocks(name) if b.lang == "python" and not b.not_run]


def _python(page: str) -> list[Block]:
    return [b for b in page_blocks(page) if b.lang == "python"]


RUN_HERE = sorted(
    page
    for page in PAGES
    if page not in RUN_ELSEWHERE and any(not b.not_run for b in _python(page))
)
SHELL_BLOCKS = [b for page in PAGES for b in page_blocks(page) if b.lang in SHELL and not b.not_run]


# --- python examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", RUN_HERE)
def test_page_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = ANSWERS.get(name, [])
    server = ChatServer(*answers)
    listed = MODEL_LISTS.get(name)
    lists_served: list[str] = []
    routes: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if listed is not None and request.method == "GET" and request.url.path == "/v1/models":
            assert request.headers["authorization"] == f"Api-Key {KEY}"
            lists_served.append(str(request.url))
            return httpx.Response(200, json={"data": [{"id": m} for m in listed]})
        auth = request.headers.get("authorization")
        routes.append((request.url.host, auth.split()[0] if auth else None))
        if auth is None:  # a server without auth (openaicompatible): Server checks the key
            request = httpx.Request(
                request.method,
                request.url,
                headers={**request.headers, "authorization": f"Api-Key {KEY}"},
                content=request.content,
            )
        return server(request)

    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    serve_default_transport(monkeypatch, handler)
    namespace: dict[str, Any] = {"__name__": f"docs_{name}"}
    for block in _python(name):
        code = compile(block.code, block.id, "exec", dont_inherit=True)
        if block.not_run:
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
        if block.expected is not None:
            assert out.getvalue() == block.expected, block.id
    assert len(server.requests) == len(answers), "every scripted answer was used"
    assert len(lists_served) == (1 if listed is not None else 0), "one model list per page"
    if name in ROUTES:
        assert routes == ROUTES[name]
    CHECKS.get(name, lambda _bodies: None)(server.bodies)


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


def check_concepts(bodies: list[dict[str, Any]]) -> None:
    system = {"role": "system", "content": "You are terse."}
    assert bodies[0]["messages"] == [
        system,
        {"role": "user", "content": "What is the capital of France? One word."},
    ]
    # The answer goes back as the assistant turn, its reasoning left out.
    assert bodies[1]["messages"][1:] == [
        {"role": "user", "content": "What is the capital of France? One word."},
        {"role": "assistant", "content": "Paris"},
        {"role": "user", "content": "And of Italy?"},
    ]
    assert [b["messages"][-1]["content"] for b in bodies[2:4]] == [
        "One word: a color?",
        "One word: a fruit?",
    ]
    assert [b.get("stream") is True for b in bodies] == [False] * 4 + [True] + [False] * 3


def check_providers(bodies: list[dict[str, Any]]) -> None:
    assert bodies[0]["top_k"] == 20
    assert bodies[0]["min_p"] == 0.05
    assert bodies[0]["seed"] == 1
    assert [b["model"] for b in bodies] == [
        "openai/gpt-oss-120b",
        "my-fine-tune",
        "Qwen/Qwen3-0.6B",
    ]


def check_quickstart(bodies: list[dict[str, Any]]) -> None:
    assert [b.get("stream") is True for b in bodies] == [False, True]
    assert bodies[0]["messages"] == bodies[1]["messages"]


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
    "concepts.md": check_concepts,
    "providers.md": check_providers,
    "quickstart.md": check_quickstart,
    "reliability.md": check_reliability,
    "logging.md": check_logging,
}


# --- every page is covered ----------------------------------------------------------------------


def test_every_page_is_discovered_and_the_new_pages_are_run() -> None:
    for name in ("quickstart.md", "concepts.md", "providers.md", "index.md", "tools.md"):
        assert name in PAGES
        assert name in RUN_HERE
    assert set(ANSWERS) <= set(RUN_HERE), "a page with scripted answers whose examples never run"
    json.dumps([a.completion() for a in ANSWERS["tools.md"]])  # the answers are plain JSON


@pytest.mark.parametrize("name", PAGES)
def test_every_example_is_run_or_says_why_not(name: str) -> None:
    for block in page_blocks(name):
        assert block.lang not in REFUSED, (
            f"{block.id}: a ```{block.lang} block; write ```sh or ```console for shell "
            "examples and ```python for Python, so the example is run"
        )
        if block.lang == "python" and not block.not_run:
            assert name in RUN_HERE or name in RUN_ELSEWHERE, block.id
        if block.lang in SHELL and not block.not_run:
            # Run as written, it would change the test virtualenv and need the package index.
            assert not INSTALLS.search(block.code), (
                f"{block.id} installs packages: mark it <!-- not-run: REASON -->"
            )
    for test_file in RUN_ELSEWHERE.get(name, ()):
        text = (Path(__file__).parent / test_file).read_text(encoding="utf-8")
        assert f'"{name}"' in text, f"{test_file} does not run {name}"


def test_the_marker_and_the_fences_are_read_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (
        "# T\n\n<!-- not-run: needs a real key -->\n\n```sh\nexport A=1\n```\n\n"
        "1. a list\n\n   ```python\n   print(1)\n   ```\n\n   ```text\n   1\n   ```\n\n"
        "<!-- an ordinary comment -->\n```console\n$ echo hi\nhi\n```\n"
    )
    (tmp_path / "t.md").write_text(page, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)
    found = page_blocks("t.md")
    assert [(b.line, b.lang, b.not_run) for b in found] == [
        (5, "sh", "needs a real key"),
        (11, "python", None),
        (15, "text", None),
        (20, "console", None),
    ]
    assert found[1].code == "print(1)\n"
    assert found[1].expected == "1\n"
    assert INSTALLS.search("python3 -m venv .venv && .venv/bin/pip install -q -e .")
    assert not INSTALLS.search("genai demo  # no pip here\necho install")


# --- shell examples -----------------------------------------------------------------------------

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository to run the shell examples in (they may write files), with
    ../shared/wire beside it when GENAI_WIRE_DIR gives the recordings."""
    base = tmp_path_factory.mktemp("shell-examples")
    skip = shutil.ignore_patterns(
        ".git", ".venv", "venv", "site", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
    )
    shutil.copytree(ROOT, base / "repo", ignore=skip, symlinks=True)
    wire = os.environ.get("GENAI_WIRE_DIR")
    if wire:
        (base / "shared").mkdir()
        (base / "shared" / "wire").symlink_to(Path(wire).resolve(), target_is_directory=True)
    (base / "home").mkdir()
    return base / "repo"


def _shell_env(home: Path) -> dict[str, str]:
    # No key, and none of the user's GENAI_* settings (provider, model, URL, config directory):
    # the examples run as on a fresh machine. The recordings' location is kept.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and (not k.startswith("GENAI_") or k == "GENAI_WIRE_DIR")
    }
    env.pop("PYTHONPATH", None)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        NO_COLOR="1",
        COLUMNS="100",
    )
    return env


def _run(script: str, repo: Path) -> subprocess.CompletedProcess[str]:
    script = script.replace(".venv/bin/", f"{BIN}/")
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=repo,
        env=_shell_env(repo.parent / "home"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def console_steps(code: str) -> list[tuple[str, list[str]]]:
    """The ``$ command`` lines of a console block, each with its expected output lines."""
    steps: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"console block output before any '$ ' command: {line!r}"
            steps[-1][1].append(line)
    return steps


def _line_matches(expected: str, actual: str) -> bool:
    if "..." not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line, where an expected ``...`` line matches any number of lines, and ``...``
    within a line any text."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(output_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return (
        bool(actual)
        and _line_matches(expected[0], actual[0])
        and output_matches(expected[1:], actual[1:])
    )


def test_console_output_matching_worked_by_hand() -> None:
    assert console_steps("$ a\n1\n2\n$ b\n") == [("a", ["1", "2"]), ("b", [])]
    assert output_matches(["x", "...", "z"], ["x", "y1", "y2", "z"])
    assert output_matches(["...", "z"], ["z"])
    assert not output_matches(["x", "...", "z"], ["x", "y"])
    assert not output_matches(["x"], ["x", "extra"])
    assert output_matches(["from .../demo.json (offline)"], ["from /a/b/demo.json (offline)"])
    assert not output_matches(["from .../demo.json"], ["from /a/b/demo.yaml"])
    assert not output_matches(["a.b"], ["axb"])  # only "..." is special


@pytest.mark.skipif(not (BIN / "genai").exists(), reason="the genai command is not installed")
@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[b.id for b in SHELL_BLOCKS])
def test_shell_example_runs(block: Block, repo_copy: Path) -> None:
    if "../shared/wire" in block.code and not os.environ.get("GENAI_WIRE_DIR"):
        pytest.skip("GENAI_WIRE_DIR not set: the real recordings (../shared/wire) are needed")
    if block.lang == "sh":
        proc = _run(block.code, repo_copy)
        assert proc.returncode == 0, f"{block.id} failed:\n{proc.stdout}\n{proc.stderr}"
        return
    steps = console_steps(block.code)
    assert steps, f"{block.id}: a console block with no '$ ' command"
    for command, expected in steps:
        proc = _run(command, repo_copy)
        assert proc.returncode == 0, f"{block.id}: {command} failed:\n{proc.stderr}"
        actual = proc.stdout.splitlines()
        assert output_matches(expected, actual), (
            f"{block.id}: {command} printed:\n{proc.stdout}\nthe page says:\n" + "\n".join(expected)
        )


# --- formatting ---------------------------------------------------------------------------------


def _ruff() -> str | None:
    here = Path(sys.executable).parent / "ruff"
    return str(here) if here.exists() else shutil.which("ruff")


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed (pip install -e '.[test]')")
@pytest.mark.parametrize("name", [p for p in PAGES if _python(p)])
def test_page_examples_are_formatted(name: str) -> None:
    ruff = _ruff()
    assert ruff is not None
    for block in _python(name):
        proc = subprocess.run(
            [ruff, "format", "--stdin-filename", "docs_example.py", "-"],
            input=block.code,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == block.code, f"{block.id} is not ruff-formatted:\n{proc.stdout}"
