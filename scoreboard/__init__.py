"""Capability scoreboard: which model does what, sync and stream, and how we know it.

:mod:`scoreboard.schema` holds the table's types (tri-state cells with their sources, validated
against contradictions); :mod:`scoreboard.query` answers questions about them (:func:`find`,
:func:`supports`) and turns a tier into a live model (:func:`pick_tier`).
"""

from __future__ import annotations

from .query import (
    Match,
    find,
    model_family,
    model_version,
    parse_mode,
    parse_status,
    parse_tier,
    pick_tier,
    supports,
)
from .registry import load, providers
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
)

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
    "Source",
    "Status",
    "Tier",
    "UnknownEntryError",
    "find",
    "load",
    "model_family",
    "model_version",
    "parse_feature",
    "parse_mode",
    "parse_status",
    "parse_tier",
    "pick_tier",
    "providers",
    "supports",
]
