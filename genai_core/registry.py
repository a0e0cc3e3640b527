"""Providers by name.

Providers register through the entry-point group ``genai.providers``: each entry point names a
function ``register(registrar)`` that calls :meth:`Registrar.register` with the provider's sync
and async client classes. Discovery runs once, on the first lookup, never at import. The
providers shipped with this distribution are registered through the very same path (and, when
the distribution is not installed, through a built-in list of the same functions).
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import GenAIError, ValidationError

if TYPE_CHECKING:
    from .provider import AsyncProvider, Provider

__all__ = [
    "ENTRY_POINT_GROUP",
    "ProviderDefaults",
    "ProviderEntry",
    "Registrar",
    "UnknownProviderError",
    "get_async_provider",
    "get_provider",
    "provider_entry",
    "provider_names",
    "register_provider",
    "unregister_provider",
]

ENTRY_POINT_GROUP = "genai.providers"

# name -> "module:function"; used when the distribution's entry points are not installed.
_BUILTIN = {
    "baseten": "genai_baseten:register",
    "openaicompatible": "genai_core.openai_chat.compatible:register",
}


class UnknownProviderError(GenAIError, KeyError):
    """No provider of that name; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ProviderDefaults:
    """What tools such as the ``genai`` command need to know about a provider before building a
    client: the provider supplies it when it registers, so the command itself stays neutral."""

    model: str | None = None
    """The model used when none is given (None: a model must be given)."""
    api_key_env: str | None = None
    """The environment variable holding the API key (None: the provider reads none)."""
    base_url: str | None = None
    """The default API root (None: every client must be given one)."""
    key_url: str | None = None
    """Where a user gets a key."""
    options: type[Any] | None = None
    """The provider's own options class (a :class:`~genai_core.options.GenOption`), for tools that
    map ``key=value`` settings onto it."""
    prices_in_model_list: bool = False
    """The provider's model list carries prices: a tool that wants an answer's cost may fetch
    the list once to learn them."""


@dataclass(frozen=True)
class ProviderEntry:
    name: str
    sync_factory: Callable[..., Any]
    async_factory: Callable[..., Any] | None = None
    defaults: ProviderDefaults | None = None


class Registrar:
    """The registry of providers; ``genai_core`` keeps one, tests may build their own."""

    def __init__(self) -> None:
        self._entries: dict[str, ProviderEntry] = {}
        self._errors: dict[str, str] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def register(
        self,
        name: str,
        sync_factory: Callable[..., Any],
        async_factory: Callable[..., Any] | None = None,
        *,
        defaults: ProviderDefaults | None = None,
    ) -> None:
        """Register ``name``; registering it again replaces the earlier entry. ``defaults``
        tells tools (the ``genai`` command) the provider's default model, key variable and URL."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ValidationError(f"invalid provider name {name!r}")
        self._entries[name] = ProviderEntry(name, sync_factory, async_factory, defaults)

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            # Imported here: importlib.metadata pulls in zipfile, csv and email parsing, tens of
            # ms on a cold start (`python -X importtime -c 'import importlib.metadata'`).
            from importlib.metadata import entry_points

            seen = set()
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                seen.add(ep.name)
                self._run(ep.name, ep.value, ep.load)
            for name, target in _BUILTIN.items():
                if name not in seen and name not in self._entries:
                    self._run(name, target, functools.partial(_resolve, target))

    def _run(self, name: str, target: str, load: Callable[[], Any]) -> None:
        try:
            load()(self)
        except Exception as exc:  # a broken plugin must not hide the others
            self._errors[name] = f"{target}: {type(exc).__name__}: {exc}"

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def entry(self, name: str) -> ProviderEntry:
        self._load()
        entry = self._entries.get(name)
        if entry is not None:
            return entry
        known = ", ".join(sorted(self._entries)) or "none"
        msg = f"unknown provider {name!r}; known providers: {known}"
        if name in self._errors:
            msg = f"provider {name!r} failed to load ({self._errors[name]}); known: {known}"
        raise UnknownProviderError(msg)


def _resolve(target: str) -> Callable[[Registrar], None]:
    module, _, attr = target.partition(":")
    fn: Callable[[Registrar], None] = getattr(importlib.import_module(module), attr)
    return fn


_REGISTRY = Registrar()


def register_provider(
    name: str,
    sync_factory: Callable[..., Any],
    async_factory: Callable[..., Any] | None = None,
    *,
    defaults: ProviderDefaults | None = None,
) -> None:
    """Register a provider programmatically (the entry point is the usual way)."""
    _REGISTRY.register(name, sync_factory, async_factory, defaults=defaults)


def unregister_provider(name: str) -> None:
    _REGISTRY.unregister(name)


def provider_entry(name: str) -> ProviderEntry:
    """The registered entry of provider ``name`` (its client classes), for tools that need to know
    about a provider without building a client; an unknown name raises, listing the known ones."""
    return _REGISTRY.entry(name)


def provider_names() -> list[str]:
    """Names of every registered provider, sorted."""
    return _REGISTRY.names()


def get_provider(name: str, /, **kwargs: Any) -> Provider:
    """A synchronous client of provider ``name``: ``get_provider("baseten", model="...")``."""
    client: Provider = _REGISTRY.entry(name).sync_factory(**kwargs)
    return client


def get_async_provider(name: str, /, **kwargs: Any) -> AsyncProvider:
    """An asynchronous client of provider ``name``."""
    entry = _REGISTRY.entry(name)
    if entry.async_factory is None:
        raise UnknownProviderError(f"provider {name!r} has no async client; use get_provider")
    client: AsyncProvider = entry.async_factory(**kwargs)
    return client
