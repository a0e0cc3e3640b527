"""Providers for the smoke scenarios: replayed from cassettes, recorded into them, or live.

Layout: ``<root>/<model id, ':' as '-'>[_thinking]/<cassette name>.yaml``, one cassette per
scenario (``GenSync-Text.yaml``, ``GenStreamMultiModal-Image-png-Inline.yaml``). Replay also
reads ``.json`` (maruel/genai's converted recordings load as they are). The default root is
``testdata/scoreboard/<provider>/``.

A scenario the client refuses before sending anything (an input format it rejects locally)
leaves no cassette when recorded; on replay it is refused the same way, and only a request that
is actually sent needs its cassette.

In replay, :meth:`Cassettes.recorded_images` gives the images the directory's image cassettes
were recorded with (``genai smoke --replay`` uses them unless told otherwise), so a directory
recorded with other images than the defaults, such as maruel/genai's JPEG, replays as it is.
A cell's ``recorded`` date is the cassette's ``recorded`` metadata, else the date the server
stamped on the answer (a ``Date`` header, or Baseten's ``X-Baseten-Accepted-At``).

``_thinking`` marks a model that reasons. Replaying picks whichever of the two directories
exists (and asks for ``thinking=`` when both do); recording uses it when asked, or when the
provider's scoreboard says the model reasons.

Every provider is built through the registry (:func:`genai_core.get_provider`) with
``max_retries=0``: a smoke run measures what one request gives, and a recorded retry would
make the cassette depend on timing. A failed request makes its cells ``unknown``, with a
warning; run again.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx

from genai_core.errors import (
    APIError,
    AuthenticationError,
    MissingAPIKeyError,
    NotSupportedError,
    ValidationError,
)
from genai_core.httprecord.cassette import Cassette, CassetteError, RecordedResponse
from genai_core.httprecord.transport import ReplayTransport
from genai_core.provider import AsyncProvider, Provider
from genai_core.registry import get_async_provider, get_provider, provider_entry

from .scenarios import ImageInput
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


class _Absent(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Stands for a cassette that does not exist: a request sent through it raises the error
    ``missing()`` builds (one that says how to record the cassette)."""

    def __init__(self, missing: Callable[[], MissingCassetteError]) -> None:
        self._missing = missing

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise self._missing()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self._missing()


_THINKING = "_thinking"
_CASSETTE = re.compile(r"^Gen(?:Sync|Stream)[A-Za-z]*-.+\.(?:yaml|yml|json)$")
_IMAGE_CASSETTE = re.compile(
    r"^Gen(Sync|Stream)MultiModal-Image-([A-Za-z0-9]+)-(Inline|URL)\.(?:yaml|yml|json)$"
)
_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*;base64,", re.ASCII)
#: Directory levels searched under a root for cassette directories (``org/model_thinking``).
_MAX_DEPTH = 4


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with the key it is stored under (``""`` in a list)."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def _sent_image(cassette: Cassette, ext: str, inline: bool) -> ImageInput | None:
    """The image the first request of an image cassette sent: the bytes of its ``data:`` URL,
    or its ``http(s)`` ``url``; None when the request holds neither."""
    if not cassette.interactions:
        return None
    body = cassette.interactions[0].request.parsed_body()
    for key, text in _strings(body):
        if inline and _DATA_URL.match(text):
            try:
                data = base64.b64decode(text.partition(",")[2], validate=True)
            except (binascii.Error, ValueError):
                continue
            return ImageInput.inline(data, ext)
        if not inline and key == "url" and text.startswith(("https://", "http://")):
            return ImageInput.from_url(text, ext)
    return None


def _answer_date(response: RecordedResponse) -> str | None:
    """The day (ISO, UTC) the server stamped on a recorded answer, if it did."""
    http_date = response.header("date")
    if http_date:
        try:
            when = email.utils.parsedate_to_datetime(http_date)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            return when.astimezone(datetime.timezone.utc).date().isoformat()
    accepted = response.header("x-baseten-accepted-at")  # epoch milliseconds
    if accepted.isdigit():
        try:
            stamp = datetime.datetime.fromtimestamp(int(accepted) / 1000, datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return stamp.date().isoformat()
    return None


def model_directory(model: str, *, thinking: bool) -> str:
    """The directory of a model's cassettes: ``openai/gpt-oss-120b_thinking``."""
    return model.replace(":", "-") + (_THINKING if thinking else "")


def _key_settings(provider: str) -> tuple[str | None, str | None]:
    """The environment variable holding ``provider``'s key (None for a provider that needs no
    key) and where to get a key, as its client class declares them."""
    config = getattr(provider_entry(provider).sync_factory, "config", None)
    if config is None:
        return f"{provider.upper()}_API_KEY", None
    env_var = getattr(config, "env_var", None)
    key_url = getattr(config, "key_url", None)
    return (
        env_var if isinstance(env_var, str) and env_var else None,
        key_url if isinstance(key_url, str) and key_url else None,
    )


def _reasons(provider: str, model: str) -> bool:
    """Whether the provider's shipped scoreboard says ``model`` reasons (False if it does not
    say)."""
    from .tables import load

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
        provider_entry(provider)  # an unknown provider fails here, listing the known ones
        self.provider = provider
        self.model = model
        self.mode: SmokeMode = mode
        self.root = Path(root) if root is not None else DEFAULT_ROOT / provider
        self.record_mode = record_mode
        self.provider_kwargs = dict(provider_kwargs)
        self._thinking_flag = thinking
        self._recorders: list[Any] = []
        self._used: set[str] = set()
        self._loaded: dict[str, Cassette] = {}
        self.env_var, key_url = _key_settings(provider)
        if (
            mode != "replay"
            and self.env_var
            and "api_key" not in provider_kwargs
            and not os.environ.get(self.env_var)
        ):
            raise MissingAPIKeyError(provider, self.env_var, key_url)
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
                f"both {plain} and {thinking} exist: say which to replay with --thinking or "
                "--no-thinking (thinking=True or False)"
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
        elif self._thinking_flag is False:
            parts.append("--no-thinking")
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
            raise self._missing(name, path)
        cassette = Cassette.load(path)
        self._loaded[name] = cassette
        return cassette

    def _missing(self, name: str, path: Path) -> MissingCassetteError:
        """The error for scenario ``name`` having no cassette: which file, and how to record."""
        where = f"no cassette: {path} does not exist (nor .json)"
        if not self.directory.is_dir():
            plain = model_directory(self.model, thinking=False)
            others = self.models_recorded()
            listed = (
                f"models with cassettes there: {', '.join(others)}"
                if others
                else "no model has cassettes there"
            )
            where += (
                f"; {self.root} holds no cassette directory for {self.model} (neither {plain} "
                f"nor {plain}{_THINKING}); {listed}"
            )
        return MissingCassetteError(
            f"{where}; record the model's cassettes with: {self.record_command()}"
        )

    def models_recorded(self) -> list[str]:
        """The models that have a cassette directory under the root (``_thinking`` dropped),
        sorted; the search goes a few directory levels deep."""
        found: set[str] = set()
        root = self.root
        if not root.is_dir():
            return []
        for current, dirs, files in os.walk(root):
            depth = len(Path(current).relative_to(root).parts)
            if depth >= _MAX_DEPTH:
                dirs[:] = []
            if depth and any(_CASSETTE.match(f) for f in files):
                model = Path(current).relative_to(root).as_posix().removesuffix(_THINKING)
                found.add(model)
        return sorted(found)

    def recorded(self, name: str) -> str | None:
        """The date the scenario's cassette was recorded (None when live, undated, or when the
        cassette does not exist)."""
        if self.mode == "live":
            return None
        if self.mode == "record":
            return datetime.date.today().isoformat()  # what the Recorder writes in the file
        if not self.path(name).exists():
            return None
        cassette = self._cassette(name)
        value = cassette.metadata.get("recorded")
        if value:
            return str(value)
        dates = [d for it in cassette.interactions if (d := _answer_date(it.response))]
        return min(dates) if dates else None

    def recorded_images(self) -> tuple[ImageInput, ...]:
        """In replay, the images the model's image cassettes were sent (read from the recorded
        requests), inline before URL for each extension; empty when there are none.

        A sync cassette is read before a stream one; one whose request holds no image (an
        unusual provider format) is left out, so its scenario is not replayed.
        """
        if self.mode != "replay" or not self.directory.is_dir():
            return ()
        found: dict[tuple[str, str], Path] = {}
        for path in sorted(self.directory.iterdir()):
            m = _IMAGE_CASSETTE.match(path.name)
            if m is None:
                continue
            key = (m.group(2), m.group(3))
            if m.group(1) == "Sync" or key not in found:
                found[key] = path
        images: list[ImageInput] = []
        for (ext, kind), path in sorted(
            found.items(), key=lambda kv: (kv[0][0], kv[0][1] != "Inline")
        ):
            image = _sent_image(Cassette.load(path), ext, inline=kind == "Inline")
            if image is not None:
                images.append(image)
        return tuple(images)

    def stale(self) -> list[Path]:
        """The model directory's cassettes no scenario of this run went through (sorted): left
        by an earlier recording (another image, a retry that was not needed this time), they
        would still be replayed. Empty in live mode."""
        if self.mode == "live" or not self.directory.is_dir():
            return []
        return sorted(
            path
            for path in self.directory.iterdir()
            if _CASSETTE.match(path.name) and path.stem not in self._used
        )

    def _transport(self, name: str, *, sync: bool) -> Any:
        self._used.add(name)
        if self.mode == "live":
            return None
        if self.mode == "replay":
            # A fresh transport over a fresh copy: each scenario replays from the start.
            self._loaded.pop(name, None)
            path = self.path(name)
            if not path.exists():
                # Fails only if a request is sent: a scenario the client refuses before
                # sending anything was recorded without a cassette, and replays that way.
                return _Absent(lambda: self._missing(name, path))
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

    def check_model(self) -> None:
        """Before a live or recording run: ask the provider for its models (one request, never
        recorded) and raise :class:`~scoreboard.schema.UnknownEntryError`, listing them, when
        the model is not one of them.

        Some providers answer a request for a model they do not know with a misleading error
        (Baseten: 403, "please check the api-key"); this says what is wrong instead. A provider
        that cannot list its models, or refuses the listing for another reason than the key,
        is not checked; a refused key raises AuthenticationError. Does nothing on replay.
        """
        if self.mode == "replay":
            return
        kwargs: dict[str, Any] = {"model": self.model, "max_retries": 0, **self.provider_kwargs}
        provider = get_provider(self.provider, **kwargs)
        try:
            listed = [m.id for m in provider.list_models()]
        except AuthenticationError:
            raise
        except (NotSupportedError, APIError):
            return
        finally:
            provider.close()
        if listed and self.model not in listed:
            raise UnknownEntryError(
                f"{self.provider} does not list the model {self.model!r}; it lists: "
                f"{', '.join(listed)}"
            )

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
