"""What a client asks of its provider's capability table, and the tier a client stands for.

A provider with a capability table (Baseten's ``scoreboard.json``) hands its client a callable
returning a :class:`CapabilityTable` (``ProviderConfig.capabilities``). The client needs three
answers from it: which model a tier names (to check inputs before anything is sent), which of the
listed models a tier picks, and a feature's status for a model. The ``scoreboard`` package
implements the protocol (:class:`scoreboard.ProviderScore`); nothing here imports it, so building
a client or sending a request never loads the scoreboard unless the provider's table is asked for.

:class:`TierChoice` is the client's tier state in one object: the tier asked for, the model picked
once a model list is known, and the locks that make concurrent first requests share one list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import anyio

__all__ = ["TIERS", "CapabilityStatus", "CapabilityTable", "TierChoice", "tier_of"]

TIERS: tuple[str, ...] = ("sota", "good", "cheap")
"""The names a client with a capability table reads as tiers rather than model ids."""


def tier_of(model: str | None) -> str | None:
    """The tier ``model`` names (case and surrounding spaces do not matter), or None."""
    low = model.strip().lower() if isinstance(model, str) else None
    return low if low in TIERS else None


class CapabilityStatus(Protocol):
    """A cell's status: true only when the feature is known to work."""

    @property
    def value(self) -> str: ...

    def __bool__(self) -> bool: ...


class CapabilityTable(Protocol):
    """The questions a client asks of its provider's capability table."""

    def tier_model(self, tier: str) -> str:
        """The model the table's entry for ``tier`` names (inputs are checked against it before
        the provider's model list is fetched)."""
        ...

    def pick_tier(self, tier: str, listed: Sequence[str]) -> str:
        """The model ``tier`` stands for among the provider's ``listed`` model ids."""
        ...

    def status(
        self, model: str, feature: str, mode: str, *, tier: str | None = None
    ) -> CapabilityStatus:
        """How well ``model`` does ``feature`` in ``mode``; with ``tier``, a model the table does
        not list is answered from the tier's entry. Unknown names raise, listing what exists."""
        ...


TableSource = Callable[[], CapabilityTable]
"""How a provider configuration names its table: a callable, loaded when first asked for."""


class TierChoice:
    """A client's tier: the tier asked for and, once resolved, the model it picked.

    Resolution needs the provider's model list; :meth:`remember` records one (from ``models=`` or
    a ``list_models()``), and :meth:`pick` asks the table. The sync and async clients share this
    object and differ only in how they wait for one list (:attr:`lock` / :meth:`alock`).
    """

    __slots__ = ("_alock", "listed", "lock", "model", "tier")

    def __init__(self, tier: str) -> None:
        self.tier = tier
        self.model: str | None = None
        self.listed: list[str] | None = None
        """The ids of the latest full model list, in the provider's order."""
        self.lock = threading.Lock()
        self._alock: Any = None

    @property
    def pending(self) -> bool:
        """True until a model has been picked."""
        return self.model is None

    @property
    def needs_list(self) -> bool:
        return self.model is None and self.listed is None

    def remember(self, ids: Sequence[str]) -> None:
        self.listed = list(ids)

    def pick(self, table: CapabilityTable) -> str | None:
        """Pick the model from the remembered list (no list yet: stays pending)."""
        if self.model is None and self.listed is not None:
            self.model = table.pick_tier(self.tier, self.listed)
        return self.model

    def alock(self) -> anyio.Lock:
        """The task lock; made on first use, inside the running event loop (no await between
        the check and the assignment, so every task gets the same one)."""
        if self._alock is None:
            import anyio

            self._alock = anyio.Lock()
        lock: anyio.Lock = self._alock
        return lock
