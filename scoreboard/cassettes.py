"""Providers for the smoke scenarios: replayed from cassettes, recorded into them, or live.

Layout: ``<root>/<model id, ':' as '-'>[_thinking]/<cassette name>.yaml``, one cassette per
scenario (``GenSync-Text.yaml``, ``GenStreamMultiModal-Image-png-Inline.yaml``). Replay also
reads ``.json`` (maruel/genai's converted recordings load as they are). The default root is
``testdata/scoreboard/<provider>/``.

``_thinking`` marks a model that reasons. Replaying picks whichever of the two directories
exists (and asks for ``thinking=`` when both do); recording uses it when asked, or when the
provider's scoreboard says the model reasons.

Every provider is built through the registry (:func:`genai_core.get_provider`) with
``max_retries=0``: a smoke run measures what one request gives, and a recorded retry would
make the cassette depend on timing. A failed request makes its cells ``unknown``, with a
warning; run again.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from genai_core.errors import MissingAPIKeyError, ValidationError
from genai_core.httprecord.cassette import Cassette, CassetteError
from genai_core.httprecord.transport import ReplayTransport
from genai_core.provider import AsyncProvider, Provider
from genai_core.registry import _REGISTRY, get_async_provider, get_provider

from .schema import Feature, UnknownEntryError

__all__ = [
    "DEFAULT_ROOT",
    "REPLAY_API_KEY",
    "Cassettes",
    "MissingCassetteError",
    "SmokeMode",
    "model_directory",
]

SmokeMode = Literal["replay", "record", "live"]
DEFAULT_ROOT = Path("testdata") / "scoreboard"
#: The key a replaying client is given: never a real key, recognisable in logs.
REPLAY_API_KEY = "replay-no-key"


class MissingCassetteError(CassetteError):
    """A scenario has no cassette to replay; the message says how to record it."""


def model_directory(model: str, *, thinking: bool) -> str:
    """The directory of a model's cassettes: ``openai/gpt-oss-120b_thinking``."""
    return model.replace(":", "-") + ("_thinking" if thinking else "")


def _env_var(provider: str) -> str | None:
    """The environment variable holding ``provider``'s key, as its client class declares it
    (None for a provider that needs no key)."""
    factory = _REGISTRY.entry(provider).sync_factory
    config = getattr(factory, "config", None)
    if config is None:
        return f"{provider.upper()}_API_KEY"
    env_var = getattr(config, "env_var", None)
    return env_var if isinstance(env_var, str) and env_var else None


def _reasons(provider: str, model: str) -> bool:
    """Whether the provider's shipped scoreboard says ``model`` reasons (False if it does not
    say)."""
    from .registry import load

    try:
        entry = load(provider).entry(model)
    except UnknownEntryError:
        return False
    return any(entry.cell(Feature.REASONING, m).status.works for m in ("sync", "stream"))


class Cassettes:
    """Builds one provider per scenario, for :func:`~scoreboard.smoke.run_smoke`.

    ``cassettes(name)`` is a sync provider, :meth:`async_provider` an async one, and
    :meth:`recorded` the date of a scenario's recording. Use it as a context manager when
    recording: leaving the block writes the cassettes.

    ``mode``: ``replay`` (the cassettes answer; a placeholder key is sent nowhere), ``record``
    (real requests, written to the cassettes; ``record_mode="all"`` re-records, ``"new"`` keeps
    what exists) or ``live`` (real requests, nothing written). ``provider_kwargs`` go to the
    client (``base_url=``, ``api_key=``...).
    """

    def __init__(
        self,
        provider: str,
        model: str,
        *,
        mode: SmokeMode = "replay",
        root: str | os.PathLike[str] | None = None,
        thinking: bool | None = None,
        record_mode: Literal["all", "new"] = "all",
        **provider_kwargs: Any,
    ) -> None:
        if mode not in ("replay", "record", "live"):
            raise ValidationError(f"mode must be replay, record or live, got {mode!r}")
        _REGISTRY.entry(provider)  # an unknown provider fails here, listing the known ones
        self.provider = provider
        self.model = model
        self.mode: SmokeMode = mode
        self.root = Path(root) if root is not None else DEFAULT_ROOT / provider
        self.record_mode = record_mode
        self.provider_kwargs = dict(provider_kwargs)
        self._thinking_flag = thinking
        self._recorders: list[Any] = []
        self._loaded: dict[str, Cassette] = {}
        self.env_var = _env_var(provider)
        if (
            mode != "replay"
            and self.env_var
            and "api_key" not in provider_kwargs
            and not os.environ.get(self.env_var)
        ):
            raise MissingAPIKeyError(provider, self.env_var)
        self.thinking = self._pick_thinking()

    def _pick_thinking(self) -> bool:
        if self._thinking_flag is not None:
            return self._thinking_flag
        if self.mode != "replay":
            return _reasons(self.provider, self.model)
        plain = self.root / model_directory(self.model, thinking=False)
        thinking = self.root / model_directory(self.model, thinking=True)
        if plain.is_dir() and thinking.is_dir():
            raise ValidationError(
                f"both {plain} and {thinking} exist: say which to replay with --thinking "
                "(thinking=True) or remove one"
            )
        return thinking.is_dir()

    @property
    def directory(self) -> Path:
        return self.root / model_directory(self.model, thinking=self.thinking)

    def record_command(self) -> str:
        """The command that records this model's cassettes."""
        key = f"{self.env_var}=... " if self.env_var else ""
        parts = [f"{key}genai smoke --provider {self.provider} --model {self.model} --record"]
        if self.root != DEFAULT_ROOT / self.provider:
            parts.append(f"--cassettes {self.root}")
        if self.thinking:
            parts.append("--thinking")
        return " ".join(parts)

    def path(self, name: str) -> Path:
        """The cassette of scenario ``name``: the ``.yaml`` one, or an existing ``.json``."""
        yaml_path = self.directory / f"{name}.yaml"
        if self.mode == "replay" and not yaml_path.exists():
            json_path = self.directory / f"{name}.json"
            if json_path.exists():
                return json_path
        return yaml_path

    def _cassette(self, name: str) -> Cassette:
        cached = self._loaded.get(name)
        if cached is not None:
            return cached
        path = self.path(name)
        if not path.exists():
            raise MissingCassetteError(
                f"no cassette for the scenario {name}: {path} does not exist (nor .json); "
                f"record the model's cassettes with: {self.record_command()}"
            )
        cassette = Cassette.load(path)
        self._loaded[name] = cassette
        return cassette

    def recorded(self, name: str) -> str | None:
        """The date the scenario's cassette was recorded (None when live, or undated)."""
        if self.mode == "live":
            return None
        if self.mode == "record":
            return datetime.date.today().isoformat()  # what the Recorder writes in the file
        value = self._cassette(name).metadata.get("recorded")
        return str(value) if value else None

    def _transport(self, name: str, *, sync: bool) -> Any:
        if self.mode == "live":
            return None
        if self.mode == "replay":
            # A fresh transport over a fresh copy: each scenario replays from the start.
            self._loaded.pop(name, None)
            return ReplayTransport(self._cassette(name))
        from genai_core.httprecord.recorder import Recorder

        recorder = Recorder(self.path(name), mode=self.record_mode)
        self._recorders.append(recorder)
        return recorder.transport() if sync else recorder.async_transport()

    def _kwargs(self, name: str, *, sync: bool) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model, "max_retries": 0, **self.provider_kwargs}
        transport = self._transport(name, sync=sync)
        if transport is not None:
            kwargs["transport"] = transport
        if self.mode == "replay":
            kwargs["api_key"] = REPLAY_API_KEY
        return kwargs

    def __call__(self, name: str) -> Provider:
        """A sync provider whose traffic goes through scenario ``name``'s cassette."""
        return get_provider(self.provider, **self._kwargs(name, sync=True))

    def async_provider(self, name: str) -> AsyncProvider:
        """An async provider whose traffic goes through scenario ``name``'s cassette."""
        return get_async_provider(self.provider, **self._kwargs(name, sync=False))

    def close(self) -> None:
        """Write what was recorded (each cassette only when something changed)."""
        recorders, self._recorders = self._recorders, []
        for recorder in recorders:
            recorder.close(check=False)

    def __enter__(self) -> Cassettes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
