"""``genai scoreboard``: print the capability tables, or every cell of one model with its source.

::

    genai scoreboard                                  # every provider's table, for a terminal
    genai scoreboard --provider baseten --format markdown
    genai scoreboard --format json                    # a list of tables, in the file format
    genai scoreboard --model openai/gpt-oss-120b      # each cell of that model and its source

An unknown provider or model is a usage error (exit status 2) whose message lists what exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .query import tables_listing
from .registry import load, providers
from .render import FORMATS, model_dict, parse_format, render, render_model
from .schema import ProviderScore, UnknownEntryError

__all__ = ["add_parser", "run", "scoreboard_text"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``scoreboard`` command to the ``genai`` command's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scoreboard",
        help="which model does what (tools, JSON, logprobs, images...), sync and stream",
        description="Print the capability tables shipped with the installed providers: one row "
        "per model and mode, one mark per feature (yes, flaky, no or unknown), and a legend. "
        "With --model, every cell of that model with the scenario or document it comes from.",
    )
    parser.add_argument(
        "--provider",
        action="append",
        metavar="NAME",
        help="this provider's table (repeatable; default: every provider that ships one)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned plain text (default); markdown: GitHub Markdown; json: file format",
    )
    parser.add_argument(
        "--model", metavar="ID", help="show every cell of this model with its source"
    )
    parser.add_argument(
        "--no-legend", action="store_true", help="leave out the legend after the table"
    )
    parser.set_defaults(func=run)
    return parser


def _tables(names: list[str] | None) -> list[ProviderScore]:
    if not names:
        return [load(p) for p in providers()]
    return [load(p) for p in dict.fromkeys(names)]  # in the order given, once each


def scoreboard_text(
    provider: list[str] | None = None,
    format: str = "table",
    model: str | None = None,
    *,
    legend: bool = True,
) -> str:
    """What ``genai scoreboard`` prints for these arguments; unknown names raise
    :class:`UnknownEntryError` listing what exists."""
    tables = _tables(provider)
    one = provider is not None and len(tables) == 1  # JSON: one object, else a list
    if model is None:
        return render(tables[0] if one else tables, format, legend=legend)
    holders = tables_listing(tables, model)
    if parse_format(format) == "json":
        found = [model_dict(t, model) for t in holders]
        data = found[0] if one else found
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return "\n".join(render_model(t, model, format) for t in holders)


def run(args: argparse.Namespace) -> int:
    """The command's handler: 0, or 2 with one ``error:`` line for an unknown name."""
    try:
        text = scoreboard_text(args.provider, args.format, args.model, legend=not args.no_legend)
    except UnknownEntryError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(text)
    return 0
