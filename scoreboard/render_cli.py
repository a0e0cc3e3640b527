"""``genai scoreboard``: print the capability tables, or every cell of one model with its source.

::

    genai scoreboard                                  # every provider's table, for a terminal
    genai scoreboard --provider baseten --format markdown
    genai scoreboard --format json                    # always a list of tables, in the file format
    genai scoreboard --model openai/gpt-oss-120b      # each cell of that model and its source
    genai scoreboard --model cheap                    # a tier: the model each table marks with it

An unknown provider or model is a usage error (exit status 2) whose message lists what exists.
The command is registered by :mod:`genai_core.cli`, which calls :func:`add_arguments`;
:func:`scoreboard_text` is what it prints, for callers (``scoreboard.docs``) that want the text.
"""

from __future__ import annotations

import argparse
import json
import sys

from .query import tables_listing
from .render import FORMATS, parse_format, render, render_model
from .schema import TIERS, ProviderScore, UnknownEntryError, parse_tier
from .tables import load, providers

__all__ = ["DESCRIPTION", "add_arguments", "run", "scoreboard_text"]

DESCRIPTION = (
    "Print the capability tables shipped with the installed providers: one row per model and "
    "mode, one mark per feature (yes, flaky, no or unknown), and a legend. With --model, every "
    "cell of that model with the scenario or document it comes from."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``scoreboard`` command's arguments, on the parser ``genai`` made for it."""
    parser.description = DESCRIPTION
    parser.add_argument(
        "-p",
        "--provider",
        action="append",
        metavar="NAME",
        help="this provider's table (repeatable; default: every provider that ships one)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned plain text (default); markdown: GitHub Markdown; json: a list of "
        "tables in the file format, whatever the filters",
    )
    parser.add_argument(
        "-m",
        "--model",
        metavar="ID",
        help="show every cell of this model (or tier: cheap, good, sota) with its source",
    )
    parser.add_argument(
        "--no-legend", action="store_true", help="leave out the legend after the table"
    )
    parser.set_defaults(func=run)


def _tables(names: list[str] | None) -> list[ProviderScore]:
    if not names:
        return [load(p) for p in providers()]
    return [load(p) for p in dict.fromkeys(names)]  # in the order given, once each


def _is_tier(model: str) -> bool:
    return model.strip().lower() in TIERS


def _holders(tables: list[ProviderScore], model: str) -> list[tuple[ProviderScore, str]]:
    """The tables listing ``model`` with the id each lists it as; a tier is the model each table
    marks with it (tables without that tier are left out). Nothing found raises, listing what
    exists."""
    if not _is_tier(model):
        return [(t, model) for t in tables_listing(tables, model)]
    tier = parse_tier(model)
    found = [(t, e.model) for t in tables for e in t.models if e.tier == tier]
    if not found:
        names = ", ".join(t.provider for t in tables) or "none"
        raise UnknownEntryError(f"no scoreboard marks a {tier} model (tables: {names})")
    return found


def _only(table: ProviderScore, model: str) -> ProviderScore:
    """``table`` reduced to the entry listing ``model``."""
    return table.model_copy(update={"models": (table.entry(model),)})


def scoreboard_text(
    provider: list[str] | None = None,
    format: str = "table",
    model: str | None = None,
    *,
    legend: bool = True,
) -> str:
    """What ``genai scoreboard`` prints for these arguments; unknown names raise
    :class:`UnknownEntryError` listing what exists. JSON is always a list of tables in the file
    format: ``--provider`` and ``--model`` only leave tables and entries out."""
    tables = _tables(provider)
    fmt = parse_format(format)
    if model is None:
        if fmt == "json":
            return json.dumps([t.to_dict() for t in tables], indent=2, ensure_ascii=False) + "\n"
        one = provider is not None and len(tables) == 1  # a named table renders without heading
        return render(tables[0] if one else tables, format, legend=legend)
    holders = _holders(tables, model)
    if fmt == "json":
        data = [_only(t, m).to_dict() for t, m in holders]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return "\n".join(render_model(t, m, format) for t, m in holders)


def run(args: argparse.Namespace) -> int:
    """The command's handler: 0, or 2 with one ``error:`` line for an unknown name."""
    try:
        text = scoreboard_text(args.provider, args.format, args.model, legend=not args.no_legend)
    except UnknownEntryError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(text)
    return 0
