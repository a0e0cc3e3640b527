"""Capability tables as text: a GitHub Markdown table, an aligned terminal table, or JSON.

One row per model entry and mode (``sync``, ``stream``); an entry never examined in either mode
gets a single ``untested`` row. The columns follow the Go library's scoreboard (model, mode,
inputs, outputs, tools, JSON, text options, reasoning, citations, logprobs, rate limits, usage,
finish reason), but every cell is tri-state with flakiness: a column that covers several features
shows **one mark per feature, always in the same order**, so ``no`` and ``unknown`` are both
spelled out and nothing is ever left blank.

Marks:

========= ========== =========
status    markdown   table
========= ========== =========
yes       ✅          ``y``
flaky     💨          ``~``
no        ❌          ``n``
unknown   ❓          ``?``
========= ========== =========

The terminal table (``format="table"``) is plain ASCII so that its columns line up in any
terminal, font or pager and survive ``grep``/``cut``; its second header line gives one letter per
mark (``TIAVD`` = text, image, audio, video, document). The Markdown table uses emoji and pads its
cells by display width (emoji count two columns) so the source reads aligned too.

:func:`render_model` prints every cell of one model with the source it comes from: the answer to
"why does it say no?".
"""

from __future__ import annotations

import json
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .schema import (
    FEATURE_HELP,
    MODALITIES,
    MODES,
    UNKNOWN,
    Cell,
    Feature,
    Mode,
    ModelScore,
    ModeScore,
    ProviderScore,
    Source,
    Status,
    UnknownEntryError,
)

__all__ = [
    "COLUMNS",
    "FORMATS",
    "MARKS",
    "TIER_MARKS",
    "Column",
    "Format",
    "Part",
    "describe_source",
    "legend",
    "model_dict",
    "parse_format",
    "render",
    "render_model",
]

Format = Literal["markdown", "json", "table"]
FORMATS: tuple[Format, ...] = get_args(Format)

#: The mark of each status, per text format.
MARKS: dict[str, dict[Status, str]] = {
    "markdown": {Status.YES: "✅", Status.FLAKY: "💨", Status.NO: "❌", Status.UNKNOWN: "❓"},
    "table": {Status.YES: "y", Status.FLAKY: "~", Status.NO: "n", Status.UNKNOWN: "?"},
}

#: How a tiered entry is marked, per text format.
TIER_MARKS: dict[str, dict[str, str]] = {
    "markdown": {"sota": "🥇", "good": "🥈", "cheap": "🥉"},
    "table": {"sota": "[sota]", "good": "[good]", "cheap": "[cheap]"},
}

_STATUS_HELP = {
    Status.YES: "yes: measured to work, or documented as supported",
    Status.FLAKY: "flaky: worked on some runs and failed on others",
    Status.NO: "no: measured not to work, or documented as unsupported",
    Status.UNKNOWN: "unknown: neither measured nor documented (never to be read as no)",
}

UNTESTED = "untested"
WIDTH = 100  # the terminal table's legend and notes wrap here


@dataclass(frozen=True)
class Part:
    """One mark of a column: ``key`` is its letter in the terminal header."""

    key: str
    name: str
    help: str
    cell: Callable[[ModeScore], Cell]


@dataclass(frozen=True)
class Column:
    """A column of the table: one mark per part, in order. ``modal``: a modality per part."""

    title: str
    help: str
    parts: tuple[Part, ...]
    modal: bool = False


def _modality(get: Callable[[ModeScore, str], Cell], modality: str) -> Part:
    return Part(modality[0].upper(), modality, modality, lambda s: get(s, modality))


def _modality_column(title: str, help: str, get: Callable[[ModeScore, str], Cell]) -> Column:
    return Column(title, help, tuple(_modality(get, m) for m in MODALITIES), modal=True)


def _feature(key: str, feature: Feature) -> Part:
    return Part(key, feature.value, FEATURE_HELP[feature], lambda s: s.feature(feature))


#: The columns after Model and Mode, in order. Every :class:`Feature` is in exactly one.
COLUMNS: tuple[Column, ...] = (
    _modality_column("In", "what the model takes as input", ModeScore.input),
    _modality_column("Out", "what the model produces", ModeScore.output),
    Column(
        "Media",
        "how images and documents can be sent",
        (
            _feature("I", Feature.IMAGE_INLINE),
            _feature("U", Feature.IMAGE_URL),
            _feature("D", Feature.DOCUMENT_INLINE),
        ),
    ),
    Column(
        "Tools",
        "tool calling; a yes for bias or indecision is a quirk to plan for, not a feature",
        (
            _feature("T", Feature.TOOLS),
            _feature("F", Feature.TOOL_CHOICE_REQUIRED),
            _feature("P", Feature.PARALLEL_TOOLS),
            _feature("B", Feature.TOOL_BIAS),
            _feature("I", Feature.TOOL_INDECISION),
        ),
    ),
    Column(
        "JSON",
        "structured output",
        (_feature("J", Feature.JSON), _feature("S", Feature.JSON_SCHEMA)),
    ),
    Column(
        "Text",
        "text generation options",
        (
            _feature("S", Feature.SEED),
            _feature("M", Feature.MAX_TOKENS),
            _feature("P", Feature.STOP),
        ),
    ),
    Column("Reason", "reasoning", (_feature("R", Feature.REASONING),)),
    Column("Cite", "citations", (_feature("C", Feature.CITATIONS),)),
    Column("Probs", "log probabilities", (_feature("P", Feature.TOP_LOGPROBS),)),
    Column("Limits", "rate limits", (_feature("L", Feature.RATE_LIMITS),)),
    Column("Usage", "token usage", (_feature("U", Feature.USAGE),)),
    Column("Finish", "finish reason", (_feature("F", Feature.FINISH_REASON),)),
)


def parse_format(fmt: str) -> Format:
    """``fmt`` checked against :data:`FORMATS`; anything else raises, listing them."""
    for f in FORMATS:
        if fmt == f:
            return f
    raise UnknownEntryError(f"unknown format {fmt!r}; formats are: {', '.join(FORMATS)}")


# -- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    entry: ModelScore
    mode: Mode | None  # None: the entry's single "untested" row
    score: ModeScore | None  # None: every cell unknown

    def marks(self, fmt: str) -> list[str]:
        marks = MARKS[fmt]
        return [
            "".join(
                marks[(UNKNOWN if self.score is None else p.cell(self.score)).status]
                for p in col.parts
            )
            for col in COLUMNS
        ]

    @property
    def mode_label(self) -> str:
        return self.mode if self.mode is not None else UNTESTED


def _rows(table: ProviderScore) -> list[_Row]:
    rows: list[_Row] = []
    for entry in table.models:
        if not entry.tested:
            rows.append(_Row(entry, None, None))
            continue
        rows.extend(_Row(entry, m, entry.mode(m)) for m in MODES)
    return rows


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal or a monospace font (emoji take two)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200d\ufe0e\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _widths(lines: Sequence[Sequence[str]]) -> list[int]:
    """The display width of each column of ``lines``."""
    return [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]


def _aligned(lines: Sequence[Sequence[str]], sep: Sequence[str]) -> list[str]:
    """Rows of cells padded to their column's width, joined by ``sep[i]`` after column ``i``."""
    widths = _widths(lines)
    out = []
    for line in lines:
        text = "".join(
            _pad(cell, widths[i]) + (sep[i] if i < len(sep) else "") for i, cell in enumerate(line)
        )
        out.append(text.rstrip())
    return out


def _wrap(text: str, first: str = "", rest: str = "    ") -> list[str]:
    """``text`` wrapped at :data:`WIDTH`, the first line prefixed by ``first``, the others by
    ``rest``."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


# -- markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = "\\|*_`[]<>"


def _md_escape(text: str) -> str:
    """``text`` as literal Markdown inside a table cell (``|`` must not split the cell)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def _md_model(entry: ModelScore) -> str:
    text = ", ".join(_md_escape(m) for m in entry.models)
    if entry.tier is not None:
        text += " " + TIER_MARKS["markdown"][entry.tier]
    return text


def _markdown_table(table: ProviderScore) -> list[str]:
    header = ["Model", "Mode", *(c.title for c in COLUMNS)]
    body = [[_md_model(r.entry), r.mode_label, *r.marks("markdown")] for r in _rows(table)]
    if not body:
        return ["*This table lists no model.*"]
    lines = [header, *body]
    widths = _widths(lines)
    out = [
        "| " + " | ".join(_pad(c, w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in lines
    ]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return out


def _markdown_provider(table: ProviderScore, level: int) -> list[str]:
    out = [f"{'#' * level} {table.provider}", ""]
    about = []
    if table.country:
        about.append(f"Country: {table.country}")
    if table.dashboard_url:
        about.append(f"Dashboard: <{table.dashboard_url}>")
    if about:
        out += [". ".join(about) + ".", ""]
    out += _markdown_table(table)
    notes = [e for e in table.models if e.comments]
    if notes:
        out += ["", "Notes:", ""]
        out += [f"- {_md_escape(e.model)}: {e.comments}" for e in notes]
    if table.warnings:
        out += ["", "Warnings:", ""]
        out += [f"- {w}" for w in table.warnings]
    return out


def _markdown_legend() -> list[str]:
    marks = MARKS["markdown"]
    tiers = TIER_MARKS["markdown"]
    out = ["**Marks**:", ""]
    out += [f"- {marks[s]} {_STATUS_HELP[s]}" for s in Status]
    out += [
        "- "
        + ", ".join(f"{tiers[t]} {t}" for t in tiers)
        + ': the entry behind `model="sota"`, `"good"` or `"cheap"` (a client picks the newest '
        "live model of its family).",
        "",
        "**Columns**, one mark per item, in the order listed:",
        "",
        "- **Model**: the model id; an entry lists several when they behave the same (the first "
        "one is the one measured).",
        "- **Mode**: `sync` (`gen_sync`) or `stream` (`gen_stream`); `untested` when the entry was "
        "examined in neither mode (every cell ❓).",
    ]
    for col in COLUMNS:
        if col.modal:
            items = ", ".join(p.name for p in col.parts)
            out.append(f"- **{col.title}**: {col.help}: {items}.")
        elif len(col.parts) == 1:
            p = col.parts[0]
            out.append(f"- **{col.title}** (`{p.name}`): {p.help}.")
        else:
            items = "; ".join(f"`{p.name}`: {p.help}" for p in col.parts)
            out.append(f"- **{col.title}**: {col.help}. {items}.")
    return out


# -- terminal table ------------------------------------------------------------------------------


def _text_model(entry: ModelScore) -> str:
    text = entry.model
    if len(entry.models) > 1:
        text += f" +{len(entry.models) - 1}"
    if entry.tier is not None:
        text += " " + TIER_MARKS["table"][entry.tier]
    return text


def _text_table(table: ProviderScore) -> list[str]:
    about = ", ".join(x for x in (table.country, table.dashboard_url) if x)
    out = [f"{table.provider}" + (f" ({about})" if about else ""), ""]
    rows = _rows(table)
    if not rows:
        return [*out, "this table lists no model"]
    groups = [c.title.lower() if len(c.parts) > 1 else "" for c in COLUMNS]
    keys = ["".join(p.key for p in c.parts) for c in COLUMNS]
    lines = [["", "", *groups], ["model", "mode", *keys]]
    lines += [[_text_model(r.entry), r.mode_label, *r.marks("table")] for r in rows]
    out += _aligned(lines, ["  ", "  "] + [" "] * (len(COLUMNS) - 1))
    groups_of = [e for e in table.models if len(e.models) > 1]
    if groups_of:
        out.append("")
        for e in groups_of:
            out += _wrap(f"{_text_model(e)} also stands for: {', '.join(e.models[1:])}")
    notes = [_wrap(f"note: {e.model}: {e.comments}") for e in table.models if e.comments]
    notes += [_wrap(f"warning: {w}") for w in table.warnings]
    if notes:
        out.append("")
        out += [line for note in notes for line in note]
    return out


def _text_legend() -> list[str]:
    marks = MARKS["table"]
    out = ["marks:"]
    out += [f"  {marks[s]}      {_STATUS_HELP[s]}" for s in Status]
    out += _wrap(
        "model: [sota], [good], [cheap] mark the entry behind model='sota', 'good' or 'cheap' (a "
        "client picks the newest live model of its family); +N: the entry stands for N more "
        "models that behave the same (listed below the table)."
    )
    out += _wrap(
        "mode: sync (gen_sync), stream (gen_stream), or untested: examined in neither mode, "
        "every mark ?."
    )
    out.append("columns: one mark per letter of the heading:")
    names = [c.title.lower() if len(c.parts) > 1 else c.parts[0].key for c in COLUMNS]
    pad = max(len(n) for n in names) + 4
    for name, col in zip(names, COLUMNS, strict=True):
        first = f"  {name}".ljust(pad)
        if col.modal:
            items = ", ".join(f"{p.key} {p.name}" for p in col.parts)
            out += _wrap(f"{col.help}: {items}", first=first, rest=" " * pad)
        elif len(col.parts) == 1:
            p = col.parts[0]
            out += _wrap(f"{p.name}: {p.help}", first=first, rest=" " * pad)
        else:
            out += _wrap(col.help, first=first, rest=" " * pad)
            for p in col.parts:
                lead = " " * pad + f"{p.key} "
                out += _wrap(f"{p.name}: {p.help}", first=lead, rest=" " * len(lead))
    return out


# -- public --------------------------------------------------------------------------------------


def legend(format: str = "table") -> str:
    """What every mark and column means, in ``format`` (``markdown`` or ``table``)."""
    fmt = parse_format(format)
    if fmt == "json":
        raise UnknownEntryError("the JSON format has no legend; use markdown or table")
    return _legend(fmt)


def _legend(fmt: Format) -> str:
    lines = _markdown_legend() if fmt == "markdown" else _text_legend()
    return "\n".join(lines) + "\n"


def _tables(tables: ProviderScore | Iterable[ProviderScore]) -> list[ProviderScore]:
    return [tables] if isinstance(tables, ProviderScore) else list(tables)


def render(
    tables: ProviderScore | Iterable[ProviderScore],
    format: str = "table",
    *,
    legend: bool = True,
    level: int = 2,
) -> str:
    """One or several capability tables as text.

    ``format``: ``"table"`` (aligned ASCII, for a terminal), ``"markdown"`` (a GitHub Markdown
    section per provider, its heading at ``level``) or ``"json"`` (the file format: one object
    for a single :class:`ProviderScore`, a list for an iterable of them). ``legend`` appends what
    the marks and columns mean (not in JSON).
    """
    fmt = parse_format(format)
    if fmt == "json":
        if isinstance(tables, ProviderScore):
            return tables.to_json()
        return json.dumps([t.to_dict() for t in tables], indent=2, ensure_ascii=False) + "\n"
    out: list[str] = []
    for table in _tables(tables):
        if out:
            out.append("")
        out += _markdown_provider(table, level) if fmt == "markdown" else _text_table(table)
    text = "\n".join(out) + "\n"
    if legend:
        text += "\n" + _legend(fmt)
    return text


# -- one model, cell by cell ---------------------------------------------------------------------


def describe_source(source: Source | None) -> str:
    """Where a cell comes from, in one line."""
    if source is None:
        return "no scenario measured it and no document states it"
    if source.kind == "smoke":
        text = f"smoke: {', '.join(source.scenarios)} against {source.model}"
        text += f", recorded {source.recorded}" if source.recorded else ", recording undated"
    else:
        text = f"documented: {source.reference}"
    if source.note:
        text += f" ({source.note})"
    return text


def _all_cells(score: ModeScore) -> list[tuple[str, Cell]]:
    """Every cell a mode has, unknown ones included, in column order."""
    cells = [(f"input.{m}", score.input(m)) for m in MODALITIES]
    cells += [(f"output.{m}", score.output(m)) for m in MODALITIES]
    cells += [(p.name, p.cell(score)) for col in COLUMNS if not col.modal for p in col.parts]
    return cells


def model_dict(table: ProviderScore, model: str) -> dict[str, Any]:
    """``model``'s entry in the file format, with the provider's name."""
    entry = table.entry(model)
    return {"provider": table.provider, **table.to_dict()["models"][table.models.index(entry)]}


def render_model(table: ProviderScore, model: str, format: str = "table") -> str:
    """Every cell of ``model``'s entry in ``table``, each with its source.

    An unknown model raises :class:`UnknownEntryError` listing the table's models.
    """
    fmt = parse_format(format)
    entry = table.entry(model)
    markdown = fmt == "markdown"
    if fmt == "json":
        return json.dumps(model_dict(table, model), indent=2, ensure_ascii=False) + "\n"
    tier = ""
    if entry.tier is not None:
        mark = f"{TIER_MARKS['markdown'][entry.tier]} " if markdown else ""
        tier = f" ({mark}{entry.tier} tier)"
    if markdown:
        out = [f"## {table.provider}: {_md_escape(entry.model)}{tier}", ""]
    else:
        out = [f"{table.provider}: {entry.model}{tier}"]
    about = []  # comments are the table author's Markdown: ids alone are escaped
    if len(entry.models) > 1:
        ids = entry.models[1:]
        others = ", ".join(_md_escape(m) for m in ids) if markdown else ", ".join(ids)
        about.append(f"also stands for (taken to behave the same, not measured): {others}")
    if entry.comments:
        about.append(f"note: {entry.comments}")
    for text in about:
        out += [text, ""] if markdown else _wrap(text)
    if markdown and about:
        out.pop()
    for mode in MODES:
        score = entry.mode(mode)
        out.append("")
        if score is None:
            line = f"{mode}: never examined; every cell is unknown"
            out.append(f"### {line}" if markdown else line)
            continue
        cells = _all_cells(score)
        if markdown:
            out += [f"### {mode}", "", "| Cell | Status | Source |", "|---|---|---|"]
            out += [
                f"| `{name}` | {MARKS[fmt][c.status]} {c.status.value} | "
                f"{_md_escape(describe_source(c.source))} |"
                for name, c in cells
            ]
            continue
        out.append(mode)
        name_w = max(len(n) for n, _ in cells) + 2
        status_w = max(len(s.value) for s in Status) + 2
        for name, c in cells:
            first = f"  {name}".ljust(name_w + 2) + c.status.value.ljust(status_w)
            out += _wrap(describe_source(c.source), first=first, rest=" " * len(first))
    return "\n".join(out) + "\n"
