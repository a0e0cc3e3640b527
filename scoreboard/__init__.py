"""Capability scoreboard: which model does what, sync and stream, and how we know it.

:mod:`scoreboard.schema` holds the table's types (tri-state cells with their sources, validated
against contradictions); :mod:`scoreboard.query` answers questions about them (:func:`find`,
:func:`supports`) and turns a tier into a live model (:func:`pick_tier`).

:func:`render` / :func:`render_model` / :func:`legend` print tables (:mod:`scoreboard.render`),
and :func:`run_smoke` / :func:`arun_smoke` measure a model with the smoke scenarios
(:mod:`scoreboard.smoke`, loaded on first use: it brings the scenarios and their images).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .query import (
    Match,
    find,
    model_family,
    model_version,
    parse_status,
    pick_tier,
    supports,
)

# Imported now, not on first use: the function ``render`` shares its name with the module, and a
# lazy name would be shadowed by the module as soon as anything imported ``scoreboard.render``.
from .render import legend, render, render_model
from .schema import (
    FEATURE_HELP,
    MODALITIES,
    MODES,
    TIERS,
    Cell,
    Feature,
    Modality,
    Mode,
    ModelScore,
    ModeScore,
    ProviderScore,
    ScoreboardError,
    Source,
    Status,
    Tier,
    UnknownEntryError,
    parse_feature,
    parse_mode,
    parse_tier,
)
from .tables import load, providers

if TYPE_CHECKING:
    from .smoke import SmokeAbortedError, SmokeReport, arun_smoke, run_smoke

# The smoke runner loads on first use: it brings the scenarios, their images and the cassettes.
_SMOKE_NAMES = frozenset({"SmokeAbortedError", "SmokeReport", "arun_smoke", "run_smoke"})


def __getattr__(name: str) -> Any:
    if name not in _SMOKE_NAMES:
        raise AttributeError(f"module 'scoreboard' has no attribute {name!r}")
    from . import smoke

    value = getattr(smoke, name)
    globals()[name] = value  # later lookups are plain module attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "FEATURE_HELP",
    "MODALITIES",
    "MODES",
    "TIERS",
    "Cell",
    "Feature",
    "Match",
    "Modality",
    "Mode",
    "ModeScore",
    "ModelScore",
    "ProviderScore",
    "ScoreboardError",
    "SmokeAbortedError",
    "SmokeReport",
    "Source",
    "Status",
    "Tier",
    "UnknownEntryError",
    "arun_smoke",
    "find",
    "legend",
    "load",
    "model_family",
    "model_version",
    "parse_feature",
    "parse_mode",
    "parse_status",
    "parse_tier",
    "pick_tier",
    "providers",
    "render",
    "render_model",
    "run_smoke",
    "supports",
]
