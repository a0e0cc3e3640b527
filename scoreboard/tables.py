"""Where the capability tables live: one per provider, shipped inside the provider's package.

A provider publishes its table through the entry-point group ``genai.scoreboards``: the entry
point's name is the provider name and its value a function returning a :class:`ProviderScore`.
Entry points are the one way tables are found (a source checkout is installed with
``pip install -e .`` to publish them); a client reaches its own provider's table through its
configuration (``ProviderConfig.capabilities``), without this registry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import metadata, resources

from .schema import ProviderScore, ScoreboardError, UnknownEntryError

__all__ = ["ENTRY_POINT_GROUP", "installed", "load", "load_resource", "providers"]

ENTRY_POINT_GROUP = "genai.scoreboards"


def load_resource(package: str, name: str = "scoreboard.json") -> ProviderScore:
    """Read and validate the table ``name`` shipped inside ``package`` (cached: tables are
    immutable)."""
    return _load_resource(package, name)


@functools.cache
def _load_resource(package: str, name: str) -> ProviderScore:
    where = f"{package}/{name}"
    try:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError) as exc:
        raise ScoreboardError(f"cannot read {where}: {exc}") from None
    return ProviderScore.from_json(text, where=where)


@functools.lru_cache(maxsize=1)
def installed() -> dict[str, metadata.EntryPoint]:
    """The installed scoreboards: entry points of :data:`ENTRY_POINT_GROUP` by provider name,
    read once. Every lookup goes through this function, so a tool or a test can supply other
    tables by replacing it."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def providers() -> list[str]:
    """The providers that publish a capability table, sorted."""
    return sorted(installed())


def load(provider: str) -> ProviderScore:
    """The capability table of ``provider``; an unknown name raises, listing the known ones."""
    ep = installed().get(provider)
    if ep is None:
        known = ", ".join(providers()) or "none"
        raise UnknownEntryError(
            f"no scoreboard for provider {provider!r}; providers with one: {known}"
        )
    try:
        func: Callable[[], ProviderScore] = ep.load()
    except (ImportError, AttributeError) as exc:
        raise ScoreboardError(
            f"the {provider!r} scoreboard comes from {ep.value} (entry point group "
            f"{ENTRY_POINT_GROUP}), which cannot be loaded: {exc}"
        ) from exc
    score = func()
    if not isinstance(score, ProviderScore) or score.provider != provider:
        raise ScoreboardError(f"{ep.value} did not return the {provider!r} scoreboard")
    return score
