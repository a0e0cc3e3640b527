"""``genai smoke``: measure a model with the smoke scenarios and print (or store) its entry.

::

    genai smoke --provider baseten --model openai/gpt-oss-120b --replay
    BASETEN_API_KEY=... genai smoke --provider baseten --model X --record
    genai smoke --model X --replay --update genai_baseten/scoreboard.json

``--replay`` answers from the cassettes (no network, no key), ``--record`` sends the requests
and writes the cassettes, ``--live`` sends them and writes nothing. Replaying without
``--image``/``--image-url`` sends the images the image cassettes were recorded with. Registered by
:mod:`genai_core.cli`, which calls :func:`add_arguments`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from genai_core import keys
from genai_core.errors import ValidationError
from genai_core.registry import get_provider, provider_entry

from .recordings import DEFAULT_ROOT, Cassettes, SmokeMode
from .scenarios import DEFAULT_IMAGES, ImageInput
from .schema import (
    MODES,
    TIERS,
    Cell,
    ModelScore,
    ProviderScore,
    ScoreboardError,
    Status,
    UnknownEntryError,
)
from .smoke import SmokeReport, merge_entry, run_smoke
from .tables import load, providers

__all__ = [
    "DESCRIPTION",
    "SmokeUsageError",
    "add_arguments",
    "check_update_file",
    "cmd_smoke",
    "format_table",
    "update_file",
]


DESCRIPTION = (
    "Run the smoke scenarios (text, seed, max tokens, stop, JSON, tools, logprobs, citations, "
    "images; sync and stream) against one model and print its scoreboard entry with the "
    "warnings. Each scenario has its own cassette under --cassettes (default "
    f"{DEFAULT_ROOT}/<provider>). A configuration error, or a run that measured nothing, exits "
    "non-zero and writes nothing."
)


class SmokeUsageError(ValidationError):
    """The command line or the setup cannot give a measurement: nothing is sent or written."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``smoke`` command's arguments, on the parser ``genai`` made for it."""
    p.description = DESCRIPTION
    p.add_argument(
        "-p",
        "--provider",
        help="provider name (default: $GENAI_PROVIDER, else the one provider shipping a "
        "scoreboard)",
    )
    p.add_argument(
        "-m",
        "--model",
        required=True,
        help="the model id to measure, or a tier (cheap, good, sota: the model the provider's "
        "scoreboard marks with it)",
    )
    mode = p.add_mutually_exclusive_group(required=True)
    for flag, help_text in (
        ("replay", "answer from the cassettes: no network, no key"),
        ("record", "send the requests and (re)write the cassettes; needs the provider's key"),
        ("live", "send the requests, write nothing; needs the provider's key"),
    ):
        mode.add_argument(
            f"--{flag}", dest="mode", action="store_const", const=flag, help=help_text
        )
    p.add_argument(
        "--base-url", metavar="URL", help="the provider's API root, when not its default"
    )
    p.add_argument("--cassettes", metavar="DIR", help="the cassettes' root directory")
    p.add_argument(
        "--thinking",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use the model's _thinking cassette directory (--no-thinking: the plain one); "
        "by default replay uses whichever exists, record asks the shipped scoreboard",
    )
    p.add_argument(
        "--image",
        metavar="FILE",
        action="append",
        default=[],
        help="an image to send inline (repeatable; replaces the default images, or on replay "
        "the recorded ones)",
    )
    p.add_argument(
        "--image-url",
        metavar="URL",
        action="append",
        default=[],
        help="an image to send by URL (repeatable; replaces the default images, or on replay "
        "the recorded ones)",
    )
    p.add_argument(
        "--update",
        metavar="FILE",
        help="merge the measured sync and stream into this scoreboard JSON file",
    )
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(func=cmd_smoke)


def _images(args: argparse.Namespace) -> tuple[ImageInput, ...] | None:
    """The images given on the command line; None when none was."""
    images: list[ImageInput] = []
    for name in args.image:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValidationError(f"--image {name}: {exc.strerror or exc}") from None
        ext = path.suffix.lstrip(".")
        if not ext:
            raise ValidationError(f"--image {name}: the file needs an extension (.png, .jpg...)")
        images.append(ImageInput.inline(data, ext))
    images.extend(ImageInput.from_url(url) for url in args.image_url)
    return tuple(images) or None


def cmd_smoke(args: argparse.Namespace) -> int:
    """The command's handler: 0; 1 when the run measured nothing; 2 with one ``error:`` line for
    a configuration error (a model the provider does not list, a client setting it refuses, an
    unusable ``--update`` file), nothing sent or written; other errors go to ``genai``'s
    handler."""
    try:
        return _smoke(args)
    except (UnknownEntryError, SmokeUsageError, ScoreboardError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def _model(provider: str, model: str) -> str:
    """``model``, or for a tier the model the provider's shipped scoreboard marks with it."""
    if model.strip().lower() not in TIERS:
        return model
    entry = load(provider).tier(model)  # no table, or no such tier: UnknownEntryError
    sys.stderr.write(f"tier {model.strip().lower()}: {entry.model}\n")
    return entry.model


def _check_config(provider: str, model: str, extra: dict[str, Any]) -> None:
    """Build (and close) one client before anything is sent: a setting the client refuses (no
    --base-url for a provider without a default URL, a bad URL) stops the run here, instead of
    turning every scenario into a "no"."""
    try:
        client = get_provider(provider, model=model, api_key="not-sent", **extra)
    except ValidationError as exc:
        hint = " (pass --base-url URL)" if "base_url" in str(exc) else ""
        raise SmokeUsageError(f"{exc}{hint}") from None
    close = getattr(client, "close", None)
    if close is not None:
        close()


def _stored_key(provider: str) -> dict[str, str]:
    """``api_key=`` from ``genai keys`` when the provider's variable is not set (the order of the
    ``genai`` command: the environment first, then the stored key)."""
    defaults = provider_entry(provider).defaults
    if defaults is None or not defaults.api_key_env or os.environ.get(defaults.api_key_env):
        return {}
    key = keys.get(provider)
    return {} if key is None else {"api_key": key}


def check_update_file(path: Path, provider: str) -> ProviderScore:
    """Before any request: ``--update FILE`` must be a readable, writable scoreboard file of
    ``provider``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SmokeUsageError(f"--update {path}: {exc.strerror or exc}") from None
    table = ProviderScore.from_json(text, where=str(path))
    if not os.access(path, os.W_OK):
        raise SmokeUsageError(f"--update {path}: the file is not writable")
    if table.provider != provider:
        raise SmokeUsageError(
            f"--update {path}: the file is {table.provider}'s scoreboard, not {provider}'s"
        )
    return table


def _provider(given: str | None) -> str:
    """``--provider``, else ``$GENAI_PROVIDER``, else the only provider with a scoreboard."""
    if given or os.environ.get("GENAI_PROVIDER"):
        return given or os.environ["GENAI_PROVIDER"]
    with_tables = providers()
    if len(with_tables) == 1:
        return with_tables[0]
    raise SmokeUsageError(
        "no provider given: pass -p/--provider NAME or set GENAI_PROVIDER (providers with a "
        f"scoreboard: {', '.join(with_tables) or 'none'})"
    )


def _smoke(args: argparse.Namespace) -> int:
    mode: SmokeMode = args.mode
    args.provider = _provider(args.provider)
    given = _images(args)
    extra = {} if args.base_url is None else {"base_url": args.base_url}
    model = _model(args.provider, args.model)
    if args.update:
        check_update_file(Path(args.update), args.provider)
    _check_config(args.provider, model, extra)
    if mode != "replay":
        extra.update(_stored_key(args.provider))
    with Cassettes(
        args.provider, model, mode=mode, root=args.cassettes, thinking=args.thinking, **extra
    ) as cassettes:
        cassettes.check_model()
        where = "" if mode == "live" else f" ({cassettes.directory})"
        sys.stderr.write(f"{mode}: {args.provider} {model}{where}\n")
        images = given or cassettes.recorded_images() or DEFAULT_IMAGES
        if given is None and images != DEFAULT_IMAGES:
            shown = ", ".join(i.scenario for i in images)
            sys.stderr.write(f"images: the recorded ones ({shown})\n")
        report = run_smoke(
            cassettes,
            model,
            provider=args.provider,
            images=images,
            recorded=cassettes.recorded,
        )
    if mode == "record":
        for path in cassettes.stale():
            sys.stderr.write(
                f"stale: {path} was not written by this run (an earlier one left it) and a "
                "replay may still read it; delete it unless it is meant to stay\n"
            )
    answers = sum(o.result is not None for o in report.outcomes)
    if answers == 0:
        for warning in report.warnings:
            sys.stderr.write(f"warning: {warning}\n")
        sys.stderr.write(
            f"error: the run measured nothing: no scenario got an answer from {args.provider} "
            f"{model}; nothing printed or written (see the warnings above)\n"
        )
        return 1
    if args.format == "json":
        sys.stdout.write(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_table(report))
    if args.update:
        update_file(Path(args.update), report.entry)
        sys.stderr.write(f"updated {args.update}\n")
    return 0


def report_json(report: SmokeReport) -> dict[str, Any]:
    """The report as JSON: the entry in the scoreboard file's layout, warnings, usage."""
    table = ProviderScore(provider=report.provider or "unknown", models=(report.entry,))
    usage = report.usage
    return {
        "provider": report.provider,
        "model": report.model,
        "entry": table.to_dict()["models"][0],
        "warnings": list(report.warnings),
        "usage": {
            "input_tokens": usage.input_tokens,
            "input_cached_tokens": usage.input_cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        },
    }


def _rows(entry: ModelScore) -> list[tuple[str, list[Cell | None]]]:
    modes = [entry.mode(m) for m in MODES]
    names: list[str] = []
    for score in modes:
        for name, _ in score.cells() if score is not None else ():
            if name not in names:
                names.append(name)
    rows: list[tuple[str, list[Cell | None]]] = []
    for name in names:
        kind, _, key = name.partition(".")
        cells: list[Cell | None] = []
        for score in modes:
            if score is None:
                cells.append(None)
            elif kind == "features":
                cells.append(score.feature(key))
            elif kind == "inputs":
                cells.append(score.input(key))
            else:
                cells.append(score.output(key))
        rows.append((name, cells))
    return rows


def format_table(report: SmokeReport) -> str:
    """A plain-text table: one row per cell, one column per mode; then the notes of every cell
    that is not ``yes``, the warnings and the summed usage."""
    rows = _rows(report.entry)
    width = max([len(name) for name, _ in rows] + [len("cell")])
    lines = [f"{report.provider} {report.model}".strip(), ""]
    lines.append(f"{'cell':<{width}}  {'sync':<8}{'stream'}")
    notes: list[str] = []
    for name, cells in rows:
        shown = [c.status.value if c is not None else "-" for c in cells]
        lines.append(f"{name:<{width}}  {shown[0]:<8}{shown[1]}".rstrip())
        for mode, cell in zip(MODES, cells, strict=True):
            if cell is None or cell.status is Status.YES or cell.source is None:
                continue
            if cell.source.note:
                notes.append(f"  {mode}.{name}: {cell.source.note}")
    if notes:
        lines += ["", "notes:", *notes]
    if report.warnings:
        lines += ["", "warnings:", *(f"  - {w}" for w in report.warnings)]
    u = report.usage
    lines += [
        "",
        f"usage: {u.input_tokens} in ({u.input_cached_tokens} cached) + {u.output_tokens} out "
        f"({u.reasoning_tokens} reasoning) = {u.total_tokens} tokens over "
        f"{sum(o.result is not None for o in report.outcomes)} answers",
    ]
    return "\n".join(lines) + "\n"


def update_file(path: Path, measured: ModelScore) -> ProviderScore:
    """Merge ``measured`` into the scoreboard file at ``path`` and write it.

    The entry listing the measured model keeps its models, tier and comments and takes the
    measured sync and stream; a model the file does not list gets a new entry at the end.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"--update {path}: {exc.strerror or exc}") from None
    table = ProviderScore.from_json(text, where=str(path))
    model = measured.model
    entries = list(table.models)
    index = next((i for i, e in enumerate(entries) if model in e.models), None)
    if index is None:
        entries.append(measured)
    else:
        entries[index] = merge_entry(entries[index], measured)
    updated = ProviderScore(
        version=table.version,
        provider=table.provider,
        country=table.country,
        dashboard_url=table.dashboard_url,
        warnings=table.warnings,
        models=tuple(entries),
    )
    new_text = updated.to_json()
    if new_text != text:
        path.write_text(new_text, encoding="utf-8")
    return updated
