"""Questions asked of the capability tables: which models do X, does this model do X, and which
model a tier (``"sota" | "good" | "cheap"``) stands for today.

::

    import scoreboard

    for match in scoreboard.find(provider="baseten", feature="tools", mode="stream"):
        print(match.model, match.status)
    scoreboard.supports("baseten", "zai-org/GLM-5.2", "top_logprobs")  # Status.NO

Every name given (provider, model, feature, mode, status) is checked: an unknown one raises
:class:`~scoreboard.schema.UnknownEntryError` listing what exists, so a typo never reads as
"no model does that". A mode an entry was never examined in still yields its cells, as
``unknown``.

:func:`pick_tier` is the rule clients use to turn a tier into a live model: the table's entry for
the tier names a model; its *family* is the id up to the first digit of the name
(``zai-org/GLM-5.2`` → ``zai-org/GLM-``), and the family's listed model with the highest leading
version number wins (numbers compared part by part, so 4.10 beats 4.9; a tie keeps the model
listed first). A newer release is picked up without a new table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .schema import (
    MODES,
    UNKNOWN,
    Cell,
    Feature,
    Mode,
    ModelScore,
    ProviderScore,
    Status,
    Tier,
    UnknownEntryError,
    parse_feature,
    parse_mode,
    parse_tier,
)
from .tables import load, providers

__all__ = [
    "Match",
    "find",
    "model_family",
    "model_version",
    "parse_mode",
    "parse_status",
    "parse_tier",
    "pick_tier",
    "supports",
]


@dataclass(frozen=True)
class Match:
    """One cell :func:`find` selected: a feature of a model entry in a mode."""

    provider: str
    model: str
    """The entry's model (the one measured or documented)."""
    models: tuple[str, ...]
    """Every model of the entry's group (``model`` first)."""
    mode: Mode
    feature: Feature
    cell: Cell
    tier: Tier | None = None

    @property
    def status(self) -> Status:
        return self.cell.status

    def __str__(self) -> str:
        return f"{self.provider} {self.model} {self.mode} {self.feature.value}: {self.status}"


def parse_status(status: Status | str) -> Status:
    """``status`` as a :class:`Status`; an unknown name raises, listing the four."""
    if isinstance(status, Status):
        return status
    if isinstance(status, str):
        try:
            return Status(status.strip().lower())
        except ValueError:
            pass
    known = ", ".join(s.value for s in Status)
    raise UnknownEntryError(f"unknown status {status!r}; statuses are: {known}")


def _statuses(status: Status | str | Iterable[Status | str] | None) -> frozenset[Status] | None:
    if status is None:
        return None
    if isinstance(status, (Status, str)):
        return frozenset({parse_status(status)})
    found = frozenset(parse_status(s) for s in status)
    if not found:
        raise UnknownEntryError(
            "status= is an empty collection; give one status, several, or None for all"
        )
    return found


def _tables(provider: str | None) -> list[ProviderScore]:
    if provider is not None:
        return [load(provider)]
    return [load(p) for p in providers()]


def tables_listing(tables: Sequence[ProviderScore], model: str) -> list[ProviderScore]:
    """Those of ``tables`` that list ``model``, in order; when none does, raises
    :class:`UnknownEntryError` with what they list."""
    found = [t for t in tables if model in t.model_ids()]
    if not found:
        if len(tables) == 1:
            tables[0].entry(model)  # raises, listing the provider's models
        listed = "; ".join(f"{t.provider}: {', '.join(t.model_ids()) or 'none'}" for t in tables)
        raise UnknownEntryError(f"no scoreboard lists model {model!r}; they list: {listed}")
    return found


def _entries(
    tables: Sequence[ProviderScore], model: str | None
) -> Iterator[tuple[ProviderScore, ModelScore]]:
    if model is None:
        for table in tables:
            for entry in table.models:
                yield table, entry
        return
    for table in tables_listing(tables, model):
        yield table, table.entry(model)


def find(
    provider: str | None = None,
    *,
    feature: Feature | str | None = None,
    mode: str | None = None,
    model: str | None = None,
    status: Status | str | Iterable[Status | str] | None = Status.YES,
) -> list[Match]:
    """The cells matching every criterion given, in table order (entry, mode, feature).

    ``provider``: one provider's table, or every installed one when None. ``feature``, ``mode``
    and ``model`` narrow the search; ``status`` is one status, several, or None for all (the
    default, ``"yes"``, answers "which models do this"). ``status="unknown"`` lists what nobody
    has measured yet, including modes an entry was never examined in.
    """
    wanted_feature = parse_feature(feature) if feature is not None else None
    wanted_mode = parse_mode(mode) if mode is not None else None
    wanted_status = _statuses(status)
    features = (wanted_feature,) if wanted_feature is not None else tuple(Feature)
    modes = (wanted_mode,) if wanted_mode is not None else MODES
    out: list[Match] = []
    for table, entry in _entries(_tables(provider), model):
        for m in modes:
            score = entry.mode(m)
            for f in features:
                cell = UNKNOWN if score is None else score.feature(f)
                if wanted_status is None or cell.status in wanted_status:
                    out.append(
                        Match(table.provider, entry.model, entry.models, m, f, cell, entry.tier)
                    )
    return out


def supports(provider: str, model: str, feature: Feature | str, mode: str = "sync") -> Status:
    """How well ``model`` of ``provider`` does ``feature`` in ``mode``.

    ``Status`` is true only for ``yes``: ``if scoreboard.supports(...):`` never mistakes
    ``unknown`` for ``yes``. Unknown names raise, listing what exists.
    """
    f = parse_feature(feature)
    m = parse_mode(mode)
    return load(provider).entry(model).cell(f, m).status


# -- tiers ---------------------------------------------------------------------------------------

_VERSION = re.compile(r"\d+(?:\.\d+)*")


def model_family(model_id: str) -> str:
    """The id without its version: everything up to the first digit of the name after the
    provider's ``/`` (``openai/gpt-oss-120b`` → ``openai/gpt-oss-``). An id whose name has no
    digit is its own family."""
    owner, slash, name = model_id.rpartition("/")
    for i, ch in enumerate(name):
        if ch.isdigit():
            return owner + slash + name[:i]
    return model_id


def model_version(model_id: str, family: str) -> tuple[int, ...] | None:
    """The version number right after ``family`` in ``model_id`` as integers (``GLM-4.10`` →
    ``(4, 10)``), or None when ``model_id`` is not of that family."""
    if not model_id.startswith(family):
        return None
    found = _VERSION.match(model_id, len(family))
    if found is None:
        return () if model_id == family else None
    return tuple(int(part) for part in found.group().split("."))


def pick_tier(table: ProviderScore, tier: str, model_ids: Iterable[str]) -> str:
    """The live model standing for ``tier``: of ``model_ids`` (a provider's model list, in its
    order), the one of the tier entry's family with the highest version. On a tie the tier
    entry's own model wins when it is listed (so ``DeepSeek-V4-Flash`` listed before
    ``DeepSeek-V4-Pro`` does not take the tier of ``DeepSeek-V4-Pro``), else the first listed
    (the Go client keeps the first listed in every tie). Raises :class:`UnknownEntryError` for
    an unknown tier, a table without that tier, or a list holding no model of the family (the
    message names the tier, the family and the list).
    """
    entry = table.tier(parse_tier(tier))
    family = model_family(entry.model)
    listed = list(model_ids)
    best: tuple[tuple[int, ...], str] | None = None
    for mid in listed:
        version = model_version(mid, family)
        if version is None:
            continue
        if best is None or version > best[0] or (version == best[0] and mid == entry.model):
            best = (version, mid)
    if best is None:
        shown = ", ".join(listed) if listed else "no models"
        raise UnknownEntryError(
            f"{table.provider}: tier {tier!r} is the {family!r} family (after {entry.model!r}), "
            f"but the provider lists no model of it; it lists: {shown}. Pass a model id instead"
        )
    return best[1]
