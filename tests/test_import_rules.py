"""The layering rules of docs/architecture.md, checked on the import graph read from the source.

Every import counts: module level, inside functions (lazy imports) and under ``TYPE_CHECKING``,
because a lazy import is still an edge a reader must follow and a type-only import still ties the
two modules' names together. The graph is read with :mod:`ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("genai_core", "genai_baseten", "scoreboard")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``path``, the module ``name``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            # ``from . import x`` / ``from pkg import sub``: the submodule is an edge too.
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def graph() -> dict[str, list[tuple[int, str]]]:
    edges: dict[str, list[tuple[int, str]]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            edges[module_name(path)] = list(imports_of(path, module_name(path)))
    return edges


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# (who, what it must never import, why): "who" are module prefixes, minus the exceptions listed.
CLI_MODULES = ("genai_core.cli",)
RULES = [
    (
        "genai_core",
        ("genai_baseten", "scoreboard"),
        CLI_MODULES,
        "core never imports a provider or the scoreboard (the CLI, top of the house, may)",
    ),
    (
        "genai_core.openai_chat",
        ("scoreboard", "genai_core.cli"),
        (),
        "the wire engine never imports the scoreboard or the CLI",
    ),
    (
        "scoreboard",
        ("genai_core.cli", "genai_baseten"),
        (),
        "the scoreboard never imports the CLI or a provider (tables are found by entry points)",
    ),
]
# Neutral core modules sit below the OpenAI wire layer: they never import it.
NEUTRAL_EXEMPT = ("genai_core.openai_chat", *CLI_MODULES)


def violations(edges: dict[str, list[tuple[int, str]]]) -> list[str]:
    """Each broken rule once per import statement (its module, not each name it takes)."""
    found: dict[tuple[str, int], str] = {}
    for who, forbidden, exempt, why in RULES:
        for module, imports in edges.items():
            if not within(module, who) or any(within(module, e) for e in exempt):
                continue
            for line, target in imports:
                if any(within(target, f) for f in forbidden):
                    found.setdefault((module, line), f"{module}:{line} imports {target} ({why})")
    for module, imports in edges.items():
        if not within(module, "genai_core") or any(within(module, e) for e in NEUTRAL_EXEMPT):
            continue
        for line, target in imports:
            if within(target, "genai_core.openai_chat") and module != "genai_core":
                found.setdefault(
                    (module, line),
                    f"{module}:{line} imports {target} (neutral core modules sit below the "
                    "OpenAI wire layer and never import it)",
                )
    return list(found.values())


def test_the_layering_rules_hold() -> None:
    assert violations(graph()) == []


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    # The checker itself: a lazy, a type-only and a relative import are all edges.
    path = tmp_path / "probe.py"
    path.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from scoreboard import ProviderScore\n"
        "def f():\n"
        "    import genai_baseten\n"
        "from ..openai_chat import stream\n",
        encoding="utf-8",
    )
    probe = "genai_core.httprecord.probe"
    imports = list(imports_of(path, probe))
    targets = [t for _, t in imports]
    assert "scoreboard" in targets
    assert "genai_baseten" in targets
    assert "genai_core.openai_chat.stream" in targets
    found = violations({probe: imports})
    assert any(v.startswith(f"{probe}:4 imports scoreboard") for v in found)
    assert any(v.startswith(f"{probe}:6 imports genai_baseten") for v in found)
    assert any(v.startswith(f"{probe}:7 imports genai_core.openai_chat") for v in found)
    # The wire engine may import the neutral core, and the CLI may import anything.
    assert violations({"genai_core.openai_chat.x": [(1, "genai_core.types")]}) == []
    assert violations({"genai_core.cli": [(1, "scoreboard.render"), (2, "genai_baseten")]}) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_is_read(package: str) -> None:
    assert any(within(m, package) for m in graph())
