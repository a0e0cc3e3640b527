"""Rendering of capability tables: snapshots of a table built here by hand, written out literally
(never produced by the renderer), plus properties every shipped table must have, and the
``genai scoreboard`` command."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import scoreboard
from genai_core import cli
from scoreboard import render_cli
from scoreboard.render import (
    COLUMNS,
    FORMATS,
    MARKS,
    legend,
    parse_format,
    render,
    render_model,
)
from scoreboard.schema import (
    FEATURE_HELP,
    Cell,
    Feature,
    ModelScore,
    ModeScore,
    ProviderScore,
    Source,
    Status,
    UnknownEntryError,
)

BIG = "acme/big-2"
SMALL = "acme/small|v2"  # a "|" must not split a Markdown cell
DOC = Source(kind="documented", reference="https://acme.example/docs/models")
STATUS = {"y": Status.YES, "~": Status.FLAKY, "n": Status.NO}


def _cells(model: str, marks: dict[str, str], mode: str = "Sync") -> dict[str, Cell]:
    src = Source(kind="smoke", scenarios=(f"Gen{mode}-Text",), model=model, recorded="2026-11-30")
    return {name: Cell(status=STATUS[m], source=src) for name, m in marks.items()}


def _big(mode: str = "Sync", **changes: str) -> ModeScore:
    features = {
        "usage": "y",
        "finish_reason": "y",
        "rate_limits": "n",
        "seed": "y",
        "stop": "n",
        "max_tokens": "y",
        "json": "y",
        "json_schema": "y",
        "tools": "y",
        "tool_choice_required": "y",
        "parallel_tools": "n",
        "tool_bias": "~",
        "tool_indecision": "n",
        "top_logprobs": "n",
        "reasoning": "y",
        "image_inline": "n",
        "image_url": "n",
        "document_inline": "y",
        **changes,
    }  # citations: left out, so unknown
    return ModeScore(
        inputs={**_cells(BIG, {"text": "y"}, mode), "image": Cell(status=Status.NO, source=DOC)},
        outputs=_cells(BIG, {"text": "y"}, mode),
        features=_cells(BIG, features, mode),
    )


def acme() -> ProviderScore:
    """A tiered entry, flaky cells, unknown cells, a group with an untested mode and a ``|`` in
    an id, an untested tiered entry with a comment, a warning."""
    return ProviderScore(
        provider="acme",
        country="US",
        dashboard_url="https://acme.example/dash",
        warnings=("Rate limits are per key.",),
        models=(
            ModelScore(
                models=(BIG,),
                tier="sota",
                sync=_big(),
                stream=_big("Stream", usage="~", top_logprobs="y"),
            ),
            ModelScore(
                models=(SMALL, "acme/small-fp8"),
                sync=ModeScore(
                    inputs=_cells(SMALL, {"text": "y"}),
                    outputs=_cells(SMALL, {"text": "y"}),
                    features=_cells(SMALL, {"tools": "n", "json": "y", "seed": "y"})
                    | {"reasoning": Cell(status=Status.NO, source=DOC)},
                ),
            ),
            ModelScore(models=("acme/old",), tier="cheap", comments="Retired in 2027."),
        ),
    )


# -- snapshots -------------------------------------------------------------------------------------

TABLE = """\
acme (US, https://acme.example/dash)

                             in    out   media tools json text
model              mode      TIAVD TIAVD IUD   TFPBI JS   SMP  R C P L U F
acme/big-2 [sota]  sync      yn??? y???? nny   yyn~n yy   yyn  y ? n n y y
acme/big-2 [sota]  stream    yn??? y???? nny   yyn~n yy   yyn  y ? y n ~ y
acme/small|v2 +1   sync      y???? y???? ???   n???? y?   y??  n ? ? ? ? ?
acme/small|v2 +1   stream    ????? ????? ???   ????? ??   ???  ? ? ? ? ? ?
acme/old [cheap]   untested  ????? ????? ???   ????? ??   ???  ? ? ? ? ? ?

acme/small|v2 +1 also stands for: acme/small-fp8

note: acme/old: Retired in 2027.
warning: Rate limits are per key.
"""

# Emoji take two columns: the cells are padded by display width, so the raw text lines up.
MARKDOWN = """\
## acme

Country: US. Dashboard: <https://acme.example/dash>.

| Model                          | Mode     | In         | Out        | Media  | Tools      | JSON | Text   | Reason | Cite | Probs | Limits | Usage | Finish |
|--------------------------------|----------|------------|------------|--------|------------|------|--------|--------|------|-------|--------|-------|--------|
| acme/big-2 🥇                  | sync     | ✅❌❓❓❓ | ✅❓❓❓❓ | ❌❌✅ | ✅✅❌💨❌ | ✅✅ | ✅✅❌ | ✅     | ❓   | ❌    | ❌     | ✅    | ✅     |
| acme/big-2 🥇                  | stream   | ✅❌❓❓❓ | ✅❓❓❓❓ | ❌❌✅ | ✅✅❌💨❌ | ✅✅ | ✅✅❌ | ✅     | ❓   | ✅    | ❌     | 💨    | ✅     |
| acme/small\\|v2, acme/small-fp8 | sync     | ✅❓❓❓❓ | ✅❓❓❓❓ | ❓❓❓ | ❌❓❓❓❓ | ✅❓ | ✅❓❓ | ❌     | ❓   | ❓    | ❓     | ❓    | ❓     |
| acme/small\\|v2, acme/small-fp8 | stream   | ❓❓❓❓❓ | ❓❓❓❓❓ | ❓❓❓ | ❓❓❓❓❓ | ❓❓ | ❓❓❓ | ❓     | ❓   | ❓    | ❓     | ❓    | ❓     |
| acme/old 🥉                    | untested | ❓❓❓❓❓ | ❓❓❓❓❓ | ❓❓❓ | ❓❓❓❓❓ | ❓❓ | ❓❓❓ | ❓     | ❓   | ❓    | ❓     | ❓    | ❓     |

Notes:

- acme/old: Retired in 2027.

Warnings:

- Rate limits are per key.
"""  # noqa: E501

DETAIL = """\
acme: acme/small|v2
also stands for (taken to behave the same, not measured): acme/small-fp8

sync
  input.text            yes      smoke: GenSync-Text against acme/small|v2, recorded 2026-11-30
  input.image           unknown  no scenario measured it and no document states it
  input.audio           unknown  no scenario measured it and no document states it
  input.video           unknown  no scenario measured it and no document states it
  input.document        unknown  no scenario measured it and no document states it
  output.text           yes      smoke: GenSync-Text against acme/small|v2, recorded 2026-11-30
  output.image          unknown  no scenario measured it and no document states it
  output.audio          unknown  no scenario measured it and no document states it
  output.video          unknown  no scenario measured it and no document states it
  output.document       unknown  no scenario measured it and no document states it
  image_inline          unknown  no scenario measured it and no document states it
  image_url             unknown  no scenario measured it and no document states it
  document_inline       unknown  no scenario measured it and no document states it
  tools                 no       smoke: GenSync-Text against acme/small|v2, recorded 2026-11-30
  tool_choice_required  unknown  no scenario measured it and no document states it
  parallel_tools        unknown  no scenario measured it and no document states it
  tool_bias             unknown  no scenario measured it and no document states it
  tool_indecision       unknown  no scenario measured it and no document states it
  json                  yes      smoke: GenSync-Text against acme/small|v2, recorded 2026-11-30
  json_schema           unknown  no scenario measured it and no document states it
  seed                  yes      smoke: GenSync-Text against acme/small|v2, recorded 2026-11-30
  max_tokens            unknown  no scenario measured it and no document states it
  stop                  unknown  no scenario measured it and no document states it
  reasoning             no       documented: https://acme.example/docs/models
  citations             unknown  no scenario measured it and no document states it
  top_logprobs          unknown  no scenario measured it and no document states it
  rate_limits           unknown  no scenario measured it and no document states it
  usage                 unknown  no scenario measured it and no document states it
  finish_reason         unknown  no scenario measured it and no document states it

stream: never examined; every cell is unknown
"""


def test_table_snapshot() -> None:
    assert render(acme(), "table", legend=False) == TABLE


def test_markdown_snapshot() -> None:
    assert render(acme(), "markdown", legend=False) == MARKDOWN


def test_model_detail_snapshot() -> None:
    # Looked up by the group's second id: the entry is the same.
    assert render_model(acme(), "acme/small-fp8") == DETAIL


def test_model_detail_markdown_escapes_and_lists_sources() -> None:
    text = render_model(acme(), BIG, "markdown")
    assert text.startswith("## acme: acme/big-2 (🥇 sota tier)\n")
    assert "| `input.image` | ❌ no | documented: https://acme.example/docs/models |" in text
    assert (
        "| `citations` | ❓ unknown | no scenario measured it and no document states it |" in text
    )
    assert "| `tool_bias` | 💨 flaky | smoke: GenSync-Text against acme/big-2, recorded" in text
    sync_part, stream_part = text.split("### stream")
    assert (
        "| `usage` | 💨 flaky | smoke: GenStream-Text against acme/big-2, recorded" in stream_part
    )
    assert "GenStream" not in sync_part
    assert "acme/small\\|v2" in render_model(acme(), SMALL, "markdown")


def test_model_detail_json_is_the_entry_in_the_file_format() -> None:
    data = json.loads(render_model(acme(), "acme/small-fp8", "json"))
    assert data["provider"] == "acme"
    assert data["models"] == [SMALL, "acme/small-fp8"]
    assert data["sync"]["features"]["tools"]["status"] == "no"
    assert data["sync"]["features"]["reasoning"]["source"] == {
        "kind": "documented",
        "reference": "https://acme.example/docs/models",
    }
    assert "stream" not in data


# -- properties ----------------------------------------------------------------------------------


def test_every_feature_is_in_exactly_one_column() -> None:
    named = [p.name for c in COLUMNS if not c.modal for p in c.parts]
    assert sorted(named) == sorted(f.value for f in Feature)
    for col in COLUMNS:  # the terminal header has one letter per mark, distinct in a column
        keys = [p.key for p in col.parts]
        assert len(set(keys)) == len(keys), col.title


def test_marks_are_distinct_and_unknown_never_looks_like_no() -> None:
    for fmt in ("markdown", "table"):
        marks = MARKS[fmt]
        assert set(marks) == set(Status)
        assert len(set(marks.values())) == 4
        assert all(m.strip() for m in marks.values())
    no = ProviderScore(
        provider="p",
        models=(
            ModelScore(
                models=("m",),
                sync=ModeScore(
                    outputs={"text": Cell(status=Status.YES, source=DOC)},
                    features={"citations": Cell(status=Status.NO, source=DOC)},
                ),
            ),
        ),
    )
    unknown = ProviderScore(
        provider="p",
        models=(
            ModelScore(
                models=("m",),
                sync=ModeScore(outputs={"text": Cell(status=Status.YES, source=DOC)}),
            ),
        ),
    )
    for fmt in ("markdown", "table"):
        assert render(no, fmt) != render(unknown, fmt)
    sync_row = next(line for line in render(no, "table").splitlines() if " sync " in line)
    assert sync_row.split()[-5] == "n"  # the Cite column
    sync_row = next(line for line in render(unknown, "table").splitlines() if " sync " in line)
    assert sync_row.split()[-5] == "?"


def _tables() -> list[ProviderScore]:
    return [acme(), *(scoreboard.load(p) for p in scoreboard.providers())]


def _markdown_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|-"):
            cells = re.split(r"(?<!\\)\|", line)
            assert cells[0] == "" and cells[-1] == "", line
            rows.append([c.strip() for c in cells[1:-1]])
    return rows


@pytest.mark.parametrize("index", range(len(_tables())))
def test_no_empty_cell_in_any_rendering(index: int) -> None:
    table = _tables()[index]
    md = _markdown_rows(render(table, "markdown"))
    assert len(md) == 1 + sum(2 if e.tested else 1 for e in table.models)
    for row in md:
        assert len(row) == 2 + len(COLUMNS)
        assert all(row), row

    lines = render(table, "table", legend=False).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model "))
    # Every letter of the heading stands above one mark in every row.
    positions = [i for i, ch in enumerate(lines[header]) if ch.isupper()]
    assert len(positions) == sum(len(c.parts) for c in COLUMNS)
    marks = set(MARKS["table"].values())
    for line in lines[header + 1 : header + 1 + len(md) - 1]:
        assert len(line) > positions[-1], line  # no row is cut short
        assert all(line[i] in marks for i in positions), line
        assert line.split()[0] in table.model_ids()


@pytest.mark.parametrize("provider", scoreboard.providers())
def test_every_shipped_table_renders(provider: str) -> None:
    table = scoreboard.load(provider)
    assert ProviderScore.from_json(render(table, "json")) == table
    for fmt in ("table", "markdown"):
        text = render(table, fmt)
        for model in table.model_ids():
            assert model.replace("|", "\\|") in text or model in text
        for model in table.model_ids():
            detail = render_model(table, model, fmt)
            assert table.entry(model).model in detail
    for line in render(table, "table").splitlines():
        # Readable in a 100-column terminal; only a lone unbreakable word (a URL) may be longer.
        assert len(line) <= 100 or " " not in line.strip(), line
    for model in table.model_ids():
        assert json.loads(render_model(table, model, "json"))["provider"] == provider


def test_json_of_several_tables_is_a_list() -> None:
    tables = _tables()
    data = json.loads(render(tables, "json"))
    assert [ProviderScore.from_dict(d) for d in data] == tables


def test_legend_explains_every_mark_and_column() -> None:
    for fmt in ("markdown", "table"):
        text = legend(fmt)
        for mark in MARKS[fmt].values():
            assert mark in text
        for feature in Feature:
            assert feature.value in text
            assert FEATURE_HELP[feature] in text
        for col in COLUMNS:
            assert col.title.lower() in text.lower()
        assert "untested" in text
    for mark in ("🥇", "🥈", "🥉"):
        assert mark in legend("markdown")
    assert render(acme(), "table").endswith(legend("table"))
    assert render(acme(), "markdown").endswith(legend("markdown"))
    with pytest.raises(UnknownEntryError, match="no legend"):
        legend("json")


def test_several_tables_in_one_rendering() -> None:
    other = ProviderScore(provider="zeta", models=(ModelScore(models=("z/one",)),))
    text = render([acme(), other], "markdown", legend=False)
    assert text.startswith("## acme\n")
    assert "\n## zeta\n\n| Model " in text
    empty = ProviderScore(provider="empty")
    assert render(empty, "table", legend=False) == "empty\n\nthis table lists no model\n"
    assert render(empty, "markdown", legend=False) == "## empty\n\n*This table lists no model.*\n"


def test_unknown_format_lists_the_formats() -> None:
    with pytest.raises(UnknownEntryError, match="formats are: markdown, json, table"):
        render(acme(), "html")
    with pytest.raises(UnknownEntryError, match="formats are"):
        render_model(acme(), BIG, "csv")
    assert parse_format("json") == "json"
    assert set(FORMATS) == {"markdown", "json", "table"}


def test_unknown_model_lists_the_models() -> None:
    with pytest.raises(UnknownEntryError, match="acme/big-2, acme/small\\|v2, acme/small-fp8"):
        render_model(acme(), "acme/nope")


# -- genai scoreboard ----------------------------------------------------------------------------


@pytest.fixture
def only_acme(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command sees one provider, ``acme``, with the table above."""
    table = acme()

    def load(name: str) -> ProviderScore:
        if name != "acme":
            raise UnknownEntryError(
                f"no scoreboard for provider {name!r}; providers with one: acme"
            )
        return table

    monkeypatch.setattr(render_cli, "load", load)
    monkeypatch.setattr(render_cli, "providers", lambda: ["acme"])


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["scoreboard", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.usefixtures("only_acme")
def test_cli_default_is_every_table_with_its_legend(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys)
    assert (status, err) == (0, "")
    assert out == TABLE + "\n" + legend("table")
    status, out, _ = _run(capsys, "--no-legend")
    assert out == TABLE


@pytest.mark.usefixtures("only_acme")
def test_cli_formats(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "--format", "markdown", "--no-legend")
    assert (status, out) == (0, MARKDOWN)
    status, out, _ = _run(capsys, "--format", "json")
    assert status == 0
    assert [ProviderScore.from_dict(d) for d in json.loads(out)] == [acme()]  # no --provider
    status, out, _ = _run(capsys, "--provider", "acme", "--format", "json")
    # One shape whatever the filters: a list of tables, here of one.
    assert [ProviderScore.from_dict(d) for d in json.loads(out)] == [acme()]


@pytest.mark.usefixtures("only_acme")
def test_cli_model_detail(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "--model", "acme/small-fp8")
    assert (status, out, err) == (0, DETAIL, "")
    status, out, _ = _run(capsys, "--provider", "acme", "--model", BIG, "--format", "json")
    data: list[dict[str, Any]] = json.loads(out)
    # The same list of tables, each reduced to the model's entry.
    assert [d["provider"] for d in data] == ["acme"]
    assert [(e["models"], e["tier"]) for e in data[0]["models"]] == [([BIG], "sota")]
    status, out, _ = _run(capsys, "--model", BIG, "--format", "json")
    assert [[e["models"] for e in d["models"]] for d in json.loads(out)] == [[[BIG]]]
    # A tier stands for the model the table marks with it.
    status, out, _ = _run(capsys, "--model", "SOTA", "--format", "json")
    assert status == 0
    assert [[e["models"] for e in d["models"]] for d in json.loads(out)] == [[[BIG]]]


@pytest.mark.usefixtures("only_acme")
def test_cli_unknown_names_exit_2_listing_what_exists(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "--provider", "nope")
    assert (status, out) == (2, "")
    assert err == "error: no scoreboard for provider 'nope'; providers with one: acme\n"
    status, out, err = _run(capsys, "--model", "acme/nope")
    assert (status, out) == (2, "")
    assert err == (
        "error: acme scoreboard has no model 'acme/nope'; it lists: acme/big-2, acme/small|v2, "
        "acme/small-fp8, acme/old\n"
    )
    status, _, err = _run(capsys, "--format", "html")
    assert status == 2
    assert "invalid choice: 'html'" in err


def test_cli_model_missing_from_several_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    other = ProviderScore(provider="zeta", models=(ModelScore(models=("z/one",)),))
    tables = {"acme": acme(), "zeta": other}
    monkeypatch.setattr(render_cli, "load", tables.__getitem__)
    monkeypatch.setattr(render_cli, "providers", lambda: sorted(tables))
    with pytest.raises(UnknownEntryError) as err:
        render_cli.scoreboard_text(model="nope")
    assert str(err.value) == (
        "no scoreboard lists model 'nope'; they list: acme: acme/big-2, acme/small|v2, "
        "acme/small-fp8, acme/old; zeta: z/one"
    )
    assert render_cli.scoreboard_text(model="z/one").startswith("zeta: z/one\n")
    text = render_cli.scoreboard_text(["zeta", "acme", "zeta"], legend=False)
    assert text.index("zeta") < text.index("acme (US")  # in the order given, once each
    assert text.count("zeta") == 1


def test_cli_shipped_tables(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "--provider", "baseten", "--format", "markdown")
    assert status == 0
    assert out.startswith("## baseten\n")
    assert "openai/gpt-oss-120b 🥉" in out
    status, out, _ = _run(capsys, "--model", "openai/gpt-oss-120b")
    assert status == 0
    assert out.startswith("baseten: openai/gpt-oss-120b (cheap tier)\n")
