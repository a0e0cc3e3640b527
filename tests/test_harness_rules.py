"""Rules every test file keeps (issue 14 item 6), checked by reading the tests' source.

* No test reaches into a private name: no ``x._name`` attribute access (except on ``self`` /
  ``cls``, and namedtuple's public ``_replace``/``_asdict``/``_fields``/``_make``), no import of
  a private module or name of the library (``genai_core``, ``genai_baseten``, ``scoreboard``),
  and no ``setattr``/``getattr``/``monkeypatch.setattr`` of a private name. A test that needs
  one gets a public seam in the library instead.
* Sync/async flavors, scripted servers, loopback servers and SSE/JSON bodies come from the one
  harness (``tests/harness``): no test file defines its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FILES = sorted([*TESTS.glob("*.py"), *TESTS.glob("harness/*.py")])
LIBRARY = ("genai_core", "genai_baseten", "scoreboard")
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}
OWNERS = {"self", "cls"}
# Known exceptions, each with its way out: none left (a new entry is a debt; prefer a seam).
ALLOWED: dict[str, set[str]] = {}


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def reaches(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every place ``tree`` reaches into a private name: (line, what)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in OWNERS:
                continue
            if node.attr in NAMEDTUPLE_API:
                continue
            yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] not in LIBRARY:
                continue
            if any(private(p) for p in parts):
                yield node.lineno, f"from {node.module} import ..."
            for alias in node.names:
                if private(alias.name):
                    yield node.lineno, f"from {node.module} import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in LIBRARY and any(private(p) for p in parts):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called not in ("setattr", "getattr", "delattr", "hasattr", "delitem"):
                continue
            for arg in node.args[:2]:
                text = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(text, str) and any(private(p) for p in text.split(".")):
                    yield node.lineno, f"{called}(..., {text!r})"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(TESTS).as_posix())
def test_no_test_reaches_into_a_private_name(path: Path) -> None:
    allowed = ALLOWED.get(path.name, set())
    found = [
        f"{path.name}:{line}: {what}"
        for line, what in reaches(ast.parse(path.read_text()))
        if what not in allowed
    ]
    assert not found, "private names reached (add a public seam instead):\n" + "\n".join(found)


def test_the_rule_sees_what_it_forbids() -> None:
    # The checker itself, on snippets: each forbidden form is found, the allowed ones are not.
    bad = [
        "client._chat_body(x)",
        "from genai_core._log import safe_url",
        "from genai_core import _json",
        "import genai_core._otel",
        "monkeypatch.setattr(cli, '_answer', f)",
        "monkeypatch.setattr('genai_core.cli._answer', f)",
        "getattr(module, '_loaders')",
    ]
    for source in bad:
        assert list(reaches(ast.parse(source))), source
    good = [
        "self._lock",
        "cls._cache",
        "call._replace(stream=True)",
        "x.__class__",
        "from genai_core.types import Result",
        "setattr(obj, 'name', 1)",
    ]
    for source in good:
        assert not list(reaches(ast.parse(source))), source


# --- one harness -----------------------------------------------------------------------------

HARNESS_ONLY = {
    "Flavor": "harness.flavors.Flavor",
    "Mode": "harness.flavors.Mode",
    "Way": "harness.flavors.Mode",
    "Server": "harness.scripted.ScriptedServer (or harness.chat.ChatServer)",
    "ScriptedBody": "harness.scripted.ScriptedBody",
    "Pieces": "harness.scripted.pieces",
}
BUILDER_NAMES = {"sse", "sse_event", "sse_body", "event", "chunk", "completion_raw"}


def uses_shared_builders(node: ast.FunctionDef) -> bool:
    """A file's own shorthand over the shared builders is fine; writing the wire itself (SSE
    framing, JSON encoding) is not."""
    shared = ("bodies", "event", "sse")
    return any(isinstance(n, ast.Name) and n.id in shared for n in ast.walk(node))


def definitions(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in HARNESS_ONLY:
            yield node.lineno, f"class {node.name}: use {HARNESS_ONLY[node.name]}"
        elif isinstance(node, ast.ClassDef) and any(
            (isinstance(b, ast.Attribute) and b.attr in ("BaseHTTPRequestHandler", "HTTPServer"))
            or (isinstance(b, ast.Name) and b.id in ("BaseHTTPRequestHandler", "HTTPServer"))
            for b in node.bases
        ):
            yield node.lineno, f"class {node.name}: use harness.loopback.HTTPLoopback"
        elif (
            isinstance(node, ast.FunctionDef)
            and node.name in BUILDER_NAMES
            and not uses_shared_builders(node)
        ):
            yield node.lineno, f"def {node.name}: use harness.bodies"


@pytest.mark.parametrize("path", [p for p in FILES if p.parent == TESTS], ids=lambda p: p.name)
def test_test_files_use_the_one_harness(path: Path) -> None:
    found = [
        f"{path.name}:{line}: {what}" for line, what in definitions(ast.parse(path.read_text()))
    ]
    assert not found, "\n".join(found)
