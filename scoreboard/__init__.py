"""Capability scoreboard: which model does what, sync and stream, and how we know it.

:mod:`scoreboard.schema` holds the table's types (tri-state cells with their sources, validated
against contradictions).
"""

from __future__ import annotations

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
    "load",
    "parse_feature",
    "providers",
]
