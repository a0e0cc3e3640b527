"""The documentation site builds with ``mkdocs build --strict``, and its nav lists every page."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or not (ROOT / "mkdocs.yml").exists(),
    reason="mkdocs is not installed (pip install -e '.[docs]')",
)


@needs_mkdocs
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    problems = [line for line in proc.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert proc.returncode == 0, "\n".join(problems) or proc.stdout + proc.stderr
    assert not problems
    assert (site / "index.html").is_file()
    # The API reference was rendered from the docstrings, not left as ::: lines.
    types_page = (site / "reference" / "types" / "index.html").read_text(encoding="utf-8")
    assert 'id="genai_core.types.Message"' in types_page
    assert ":::" not in types_page
    # A link to a repository file outside docs/ points at it on GitHub.
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "/blob/main/CONTRIBUTING.md" in home


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    listed = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", nav, re.M))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages == listed, f"pages not in the nav: {sorted(pages - listed)}; "
    for name in ("index.md", "quickstart.md", "concepts.md", "providers.md", "cli-reference.md"):
        assert name in listed


def _hook() -> Any:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_mkdocs
def test_links_outside_docs_go_to_the_repository_or_fail() -> None:
    hook = _hook()
    page = SimpleNamespace(file=SimpleNamespace(src_path="guide/page.md"))
    config = {"docs_dir": str(DOCS), "repo_url": "https://example.test/r/"}
    text = (
        "[a](../../README.md#try-it) [b](../tools.md) [c](https://x.test/y.md) "
        "[d](../../benchmarks) [e](#here)"
    )
    assert hook.on_page_markdown(text, page, config, None) == (
        "[a](https://example.test/r/blob/main/README.md#try-it) [b](../tools.md) "
        "[c](https://x.test/y.md) [d](https://example.test/r/tree/main/benchmarks) [e](#here)"
    )
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match=r"guide/page.md: link to a missing file: ../../NOPE.md"):
        hook.on_page_markdown("[x](../../NOPE.md)", page, config, None)
