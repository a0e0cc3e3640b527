"""docs/scoreboard.md and the README's scoreboard section are generated from the shipped tables
(``python -m scoreboard.docs``); the committed copies must be up to date, and the README's
examples must print what it says they print."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scoreboard
from genai_core import cli
from scoreboard import docs
from scoreboard.render import legend, render

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "scoreboard.md"
README = ROOT / "README.md"
REGENERATE = "out of date: run `python -m scoreboard.docs` and commit the result"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(docs.README_BEGIN), text.index(docs.README_END)
    return text[start : end + len(docs.README_END)]


def _blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```\n", text, re.S | re.M)


def test_committed_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == docs.page_text(), f"docs/scoreboard.md {REGENERATE}"


def test_committed_readme_section_is_up_to_date() -> None:
    assert _section() == docs.readme_section(), f"README.md's scoreboard section {REGENERATE}"


def test_page_holds_every_table_and_the_legend() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for provider in scoreboard.providers():
        table = render(scoreboard.load(provider), "markdown", legend=False)
        assert table in text
    assert text.endswith("## Legend\n\n" + legend("markdown"))
    assert "python -m scoreboard.docs" in text
    assert "genai smoke" in text


def test_readme_query_prints_what_the_readme_says() -> None:
    (lang, code), (out_lang, expected) = _blocks(_section())[:2]
    assert (lang, out_lang) == ("python", "text")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    assert out.getvalue() == expected
    # The same answer read off the table entry by entry, without find().
    table = scoreboard.load("baseten")
    rows = []
    for entry in table.models:
        cell = entry.cell("tools", "stream")
        if cell.status is scoreboard.Status.YES:
            assert cell.source is not None
            rows.append(f"{entry.model} yes - {cell.source.kind}")
    assert rows, "the README query would print nothing"
    assert expected.splitlines() == rows


def test_readme_shows_the_real_command_output(capsys: pytest.CaptureFixture[str]) -> None:
    section = _section()
    command = "`genai scoreboard --provider baseten --format table` prints:"
    assert command in section
    shown = _blocks(section[section.index(command) :])[0][1]
    assert cli.main(["scoreboard", "--provider", "baseten", "--format", "table"]) == 0
    assert capsys.readouterr().out == shown


def _ruff() -> str | None:
    here = Path(sys.executable).parent / "ruff"
    return str(here) if here.exists() else shutil.which("ruff")


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed (pip install -e '.[test]')")
def test_readme_query_is_formatted() -> None:
    ruff = _ruff()
    assert ruff is not None
    proc = subprocess.run(
        [ruff, "format", "--stdin-filename", "readme_example.py", "-"],
        input=docs.README_QUERY,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == docs.README_QUERY


def _checkout(tmp_path: Path, readme: str, page: str | None) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    if page is not None:
        (tmp_path / "docs" / "scoreboard.md").write_text(page, encoding="utf-8")
    return tmp_path


def test_check_reports_a_stale_page_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = docs.page_text().replace("| ❓❓❓❓❓ |", "| ❌❓❓❓❓ |", 1)
    assert stale != docs.page_text()
    root = _checkout(tmp_path, README.read_text(encoding="utf-8"), stale)
    assert docs.main(["--check"], root=root) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "-| " in err and "+| " in err  # a diff of the changed row
    assert err.endswith(
        "docs/scoreboard.md out of date with the shipped scoreboard tables: run "
        "`python -m scoreboard.docs` and commit the result\n"
    )
    assert (root / "docs" / "scoreboard.md").read_text(encoding="utf-8") == stale


def test_regenerating_writes_only_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = f"# x\n\nbefore\n\n{docs.README_BEGIN}\nold\n{docs.README_END}\n\nafter\n"
    root = _checkout(tmp_path, readme, None)
    assert docs.main([], root=root) == 0
    assert capsys.readouterr().out == "wrote docs/scoreboard.md\nwrote README.md\n"
    new = (root / "README.md").read_text(encoding="utf-8")
    assert new == f"# x\n\nbefore\n\n{docs.readme_section()}\n\nafter\n"
    assert (root / "docs" / "scoreboard.md").read_text(encoding="utf-8") == docs.page_text()
    page = root / "docs" / "scoreboard.md"
    mtime = page.stat().st_mtime_ns
    assert docs.main([], root=root) == 0  # up to date: nothing written
    assert capsys.readouterr().out == ""
    assert page.stat().st_mtime_ns == mtime
    assert docs.main(["--check"], root=root) == 0


def test_readme_without_markers_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _checkout(tmp_path, "# no section\n", docs.page_text())
    assert docs.main([], root=root) == 1
    assert "README.md has no scoreboard section" in capsys.readouterr().err
    assert (root / "README.md").read_text(encoding="utf-8") == "# no section\n"


def test_outside_a_checkout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert docs.main(["--check"], root=tmp_path) == 2
    assert "run this from a source checkout" in capsys.readouterr().err
