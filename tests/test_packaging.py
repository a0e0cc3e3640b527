"""Package metadata: one version, the classifiers and URLs, the changelog's shape."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

import genai_core

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, object]:
    path = ROOT / "pyproject.toml"
    if not path.exists():
        pytest.skip("pyproject.toml is not installed with the tests")
    data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_version_is_written_once() -> None:
    data = _pyproject()
    project = data["project"]
    assert isinstance(project, dict)
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert data["tool"]["hatch"]["version"]["path"] == "genai_core/_version.py"  # type: ignore[index]
    text = (ROOT / "genai_core" / "_version.py").read_text(encoding="utf-8")
    (written,) = re.findall(r'^__version__ = "([^"]+)"$', text, re.M)
    assert genai_core.__version__ == written
    # The installed metadata (editable or not) carries the same version.
    assert importlib.metadata.version("genai-baseten") == written


def test_classifiers_and_urls() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    classifiers = project["classifiers"]
    assert "Typing :: Typed" in classifiers
    assert "License :: OSI Approved :: Apache Software License" in classifiers
    floor = project["requires-python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {floor}" in classifiers
    urls = project["urls"]
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    names = {re.split(r"[<>=\[;]", r)[0] for r in project["optional-dependencies"]["docs"]}
    assert names == {"mkdocs", "mkdocs-material", "mkdocstrings"}


def test_the_changelog_has_an_unreleased_section_first() -> None:
    path = ROOT / "CHANGELOG.md"
    if not path.exists():
        pytest.skip("CHANGELOG.md is not installed with the tests")
    headings = re.findall(r"^## \[([^\]]+)\]", path.read_text(encoding="utf-8"), re.M)
    assert headings[0] == "Unreleased"
    assert genai_core.__version__ in headings
