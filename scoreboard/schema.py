"""The capability table: what each model of a provider does, per mode, and how we know it.

A table (:class:`ProviderScore`) lists model entries (:class:`ModelScore`); each entry holds one
:class:`ModeScore` per mode (``sync`` for ``gen_sync``, ``stream`` for ``gen_stream``) or nothing
when that mode was never examined. A mode says which input and output modalities the model takes
and, for every :class:`Feature`, a :class:`Cell`: a :class:`Status` with the :class:`Source` it
comes from.

Four statuses, never three: ``yes``, ``flaky`` (works on some runs, not others), ``no`` and
``unknown``. A feature a table does not mention reads as ``unknown`` — absence is never taken
for ``no`` — and every ``yes``/``flaky``/``no`` names its source: the smoke scenario that
measured it (with the model id and the recording date), or the documentation that states it.

Validation refuses contradictory tables (a ``no`` for tools next to a ``yes`` for tool choice, an
image input marked ``no`` while an image feature says ``yes``, a source naming a model the entry
does not list, two entries claiming one tier, …) with a :class:`ScoreboardError` that names the
entry, the mode and the cells.
"""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from genai_core.errors import ValidationError, pydantic_message

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
    "parse_feature",
    "parse_mode",
    "parse_tier",
]

SCHEMA_VERSION: Literal[1] = 1


class ScoreboardError(ValidationError):
    """A capability table is malformed or contradicts itself; the message says where."""


class Status(str, enum.Enum):
    """How well a feature works: measured or documented, or not known."""

    YES = "yes"
    FLAKY = "flaky"
    NO = "no"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        # ``if client.supports("tools"):`` must not be true for "no" (a non-empty str would be):
        # only a plain "yes" is true; "flaky", "no" and "unknown" are false.
        return self is Status.YES

    @property
    def works(self) -> bool:
        """``yes`` or ``flaky``: the feature worked at least once."""
        return self in (Status.YES, Status.FLAKY)


class Feature(str, enum.Enum):
    """What a cell is about. The order is the order of tables and JSON files."""

    USAGE = "usage"
    FINISH_REASON = "finish_reason"
    RATE_LIMITS = "rate_limits"
    SEED = "seed"
    STOP = "stop"
    MAX_TOKENS = "max_tokens"
    JSON = "json"
    JSON_SCHEMA = "json_schema"
    TOOLS = "tools"
    TOOL_CHOICE_REQUIRED = "tool_choice_required"
    PARALLEL_TOOLS = "parallel_tools"
    TOOL_BIAS = "tool_bias"
    TOOL_INDECISION = "tool_indecision"
    TOP_LOGPROBS = "top_logprobs"
    CITATIONS = "citations"
    REASONING = "reasoning"
    IMAGE_INLINE = "image_inline"
    IMAGE_URL = "image_url"
    DOCUMENT_INLINE = "document_inline"

    def __str__(self) -> str:
        return self.value


#: One line per feature: what ``yes`` means. Used by the legend and by error messages.
FEATURE_HELP: dict[Feature, str] = {
    Feature.USAGE: "reports token usage (input, output, total)",
    Feature.FINISH_REASON: "reports why generation ended (stop, length, tool_calls)",
    Feature.RATE_LIMITS: "reports rate limits in response headers",
    Feature.SEED: "accepts a sampling seed",
    Feature.STOP: "honours stop sequences",
    Feature.MAX_TOKENS: "honours a maximum number of output tokens",
    Feature.JSON: "JSON mode: answers with a JSON object when asked",
    Feature.JSON_SCHEMA: "structured output: answers with JSON following a given schema",
    Feature.TOOLS: "calls tools and uses their results",
    Feature.TOOL_CHOICE_REQUIRED: "can be forced to call a tool (tool_choice required)",
    Feature.PARALLEL_TOOLS: "calls several tools in one answer",
    Feature.TOOL_BIAS: "biased: picks the option named first when asked to choose with a tool",
    Feature.TOOL_INDECISION: "indecisive: calls the tool once per option instead of choosing",
    Feature.TOP_LOGPROBS: "returns the log probabilities of alternative tokens",
    Feature.CITATIONS: "cites the documents it was given",
    Feature.REASONING: "reasons before answering (visible reasoning or reasoning tokens)",
    Feature.IMAGE_INLINE: "takes images sent inline (bytes)",
    Feature.IMAGE_URL: "takes images by URL",
    Feature.DOCUMENT_INLINE: "takes text documents (plain text, Markdown) as input",
}

Mode = Literal["sync", "stream"]
MODES: tuple[Mode, ...] = ("sync", "stream")
Modality = Literal["text", "image", "audio", "video", "document"]
MODALITIES: tuple[Modality, ...] = ("text", "image", "audio", "video", "document")
Tier = Literal["sota", "good", "cheap"]
TIERS: tuple[Tier, ...] = ("sota", "good", "cheap")
"""The tiers, as clients read them (:data:`genai_core.capabilities.TIERS`, checked by a test)."""

_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=False, use_enum_values=False)


class _Model(BaseModel):
    model_config = _CONFIG

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise ScoreboardError(pydantic_message(type(self).__name__, exc)) from None


class Source(_Model):
    """Where a cell comes from.

    ``kind="smoke"``: measured by the smoke scenarios named in ``scenarios`` (e.g.
    ``"GenSync-Tools-SquareRoot-1"``) against the model ``model``, from recordings made on
    ``recorded`` (an ISO date; ``None`` when the recording carries no date).
    ``kind="documented"``: stated by ``reference`` (a URL or a document name).
    ``note`` says anything a reader needs to trust or doubt the cell.
    """

    kind: Literal["smoke", "documented"]
    scenarios: tuple[str, ...] = ()
    model: str | None = None
    recorded: str | None = None
    reference: str | None = None
    note: str | None = None

    @field_validator("recorded")
    @classmethod
    def _recorded(cls, v: str | None) -> str | None:
        # A date that sorts and compares: the smoke runner keeps the latest of several.
        if v is not None:
            try:
                datetime.date.fromisoformat(v[:10])
            except ValueError:
                raise ValueError(
                    f"recorded must be an ISO date (YYYY-MM-DD, a time may follow), got {v!r}"
                ) from None
        return v

    @model_validator(mode="after")
    def _check(self) -> Source:
        if self.kind == "smoke":
            if not self.scenarios:
                raise ValueError("a smoke source names the scenarios that measured it")
            if not self.model:
                raise ValueError("a smoke source names the model id it ran against")
        elif not self.reference:
            raise ValueError("a documented source names its reference (a URL or a document)")
        return self


class Cell(_Model):
    """One feature of one model in one mode: its status and where that comes from."""

    status: Status = Status.UNKNOWN
    source: Source | None = None

    @model_validator(mode="after")
    def _check(self) -> Cell:
        if self.status is not Status.UNKNOWN and self.source is None:
            raise ValueError(
                f"status {self.status.value!r} needs a source (what measured or said it)"
            )
        return self

    def __str__(self) -> str:
        return self.status.value


UNKNOWN = Cell()

# Features that only make sense when the model calls tools at all.
_TOOL_DEPENDENT = (
    Feature.TOOL_CHOICE_REQUIRED,
    Feature.PARALLEL_TOOLS,
    Feature.TOOL_BIAS,
    Feature.TOOL_INDECISION,
)


class ModeScore(_Model):
    """What a model does in one mode.

    ``inputs``/``outputs`` say, per modality, whether the model takes or produces it; a modality
    that is not listed is ``unknown``. ``features`` likewise: a missing feature is ``unknown``.
    """

    inputs: dict[Modality, Cell] = Field(default_factory=dict)
    outputs: dict[Modality, Cell] = Field(default_factory=dict)
    features: dict[Feature, Cell] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _every_feature(cls, data: Any) -> Any:
        # Spell out every feature, so two equal tables compare equal however they were written
        # and nothing downstream can read a missing cell as "no".
        if isinstance(data, Mapping):
            features = data.get("features")
            if isinstance(features, Mapping):
                given = {
                    (k.value if isinstance(k, Feature) else str(k)): v for k, v in features.items()
                }
                full: dict[str, Any] = {f.value: given.pop(f.value, UNKNOWN) for f in Feature}
                full.update(given)  # unknown names stay, for validation to report them
                data = {**data, "features": full}
        return data

    def feature(self, feature: Feature | str) -> Cell:
        """The cell of ``feature`` (``unknown`` when the table does not say)."""
        return self.features.get(parse_feature(feature), UNKNOWN)

    def input(self, modality: str) -> Cell:
        """Whether the model takes ``modality`` (``unknown`` when the table does not say)."""
        return self.inputs.get(parse_modality(modality), UNKNOWN)

    def output(self, modality: str) -> Cell:
        """Whether the model produces ``modality`` (``unknown`` when the table does not say)."""
        return self.outputs.get(parse_modality(modality), UNKNOWN)

    def contradictions(self) -> list[str]:
        """Every pair of cells that cannot both be true, in words (empty when consistent)."""
        out: list[str] = []
        status = {f: self.feature(f).status for f in Feature}
        if status[Feature.TOOLS] is Status.NO:
            out.extend(
                f"tools is 'no' but {f.value} is {status[f].value!r}"
                for f in _TOOL_DEPENDENT
                if status[f].works
            )
        if status[Feature.TOOL_INDECISION].works and status[Feature.PARALLEL_TOOLS] is Status.NO:
            out.append(
                "tool_indecision says the model called the tool several times in one answer, "
                "but parallel_tools is 'no'"
            )
        image_in = self.input("image").status
        image_features = (Feature.IMAGE_INLINE, Feature.IMAGE_URL)
        if image_in is Status.NO:
            out.extend(
                f"image input is 'no' but {f.value} is {status[f].value!r}"
                for f in image_features
                if status[f].works
            )
        if image_in is Status.YES and all(status[f] is Status.NO for f in image_features):
            out.append("image input is 'yes' but both image_inline and image_url are 'no'")
        if self.input("text").status is Status.NO and self.output("text").status.works:
            # Every scenario sends text: a model answering text without taking text is a typo.
            out.append("text input is 'no' but text output works")
        if (
            status[Feature.TOOL_BIAS] is Status.YES
            and status[Feature.TOOL_INDECISION] is Status.YES
        ):
            # Bias is "always picks the option named first": an answer calling the tool once per
            # option picked none, so both cannot always hold.
            out.append(
                "tool_bias is 'yes' (always picked the option named first) but tool_indecision "
                "is 'yes' (called the tool once per option)"
            )
        working = [f.value for f in Feature if status[f].works]
        if working and all(cell.status is Status.NO for cell in self.outputs.values()):
            # A feature seen working was seen in an answer: the model produced something. (No
            # outputs at all is refused too, as a forgotten key; an unknown output is not.)
            shown = ", ".join(f"{m} is 'no'" for m in self.outputs)
            verb = "works" if len(working) == 1 else "work"
            out.append(
                f"{', '.join(working)} {verb}, but no output modality does "
                f"({shown or 'none is given'})"
            )
        return out

    @model_validator(mode="after")
    def _check(self) -> ModeScore:
        bad = self.contradictions()
        if bad:
            raise ValueError("; ".join(bad))
        return self

    def cells(self) -> Iterator[tuple[str, Cell]]:
        """Every cell with its name (``inputs.image``, ``features.tools``, …)."""
        for m, cell in self.inputs.items():
            yield f"inputs.{m}", cell
        for m, cell in self.outputs.items():
            yield f"outputs.{m}", cell
        for f, cell in self.features.items():
            yield f"features.{f.value}", cell


# How smoke scenario names start in each mode (GenSync-Text, GenStreamMultiModal-Image-…).
_SCENARIO_PREFIX = {"sync": "GenSync", "stream": "GenStream"}


class ModelScore(_Model):
    """One model, or a group of models that behave the same (the first one is the one measured).

    ``tier`` marks the model the provider picks for ``model="sota" | "good" | "cheap"`` (the
    family's newest version is chosen at run time, see :func:`scoreboard.pick_tier`).
    ``sync``/``stream`` is ``None`` when that mode was never examined: every cell reads
    ``unknown``.
    """

    models: tuple[str, ...] = Field(min_length=1)
    tier: Tier | None = None
    comments: str | None = None
    sync: ModeScore | None = None
    stream: ModeScore | None = None

    @field_validator("models")
    @classmethod
    def _models(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not m or m != m.strip() for m in v):
            raise ValueError(f"model ids must be non-empty, without surrounding spaces: {v!r}")
        if len(set(v)) != len(v):
            raise ValueError(f"a model is listed twice: {v!r}")
        return v

    @model_validator(mode="after")
    def _check(self) -> ModelScore:
        if self.tier is not None and len(self.models) != 1:
            raise ValueError(f"the {self.tier} tier names one model, not a group: {self.models}")
        for mode in MODES:
            score = self.mode(mode)
            if score is None:
                continue
            other = _SCENARIO_PREFIX["stream" if mode == "sync" else "sync"]
            for name, cell in score.cells():
                src = cell.source
                if src is None:
                    continue
                if src.model is not None and src.model not in self.models:
                    raise ValueError(
                        f"{mode}.{name}: the source ran against {src.model!r}, which this entry "
                        f"does not list ({', '.join(self.models)})"
                    )
                # A cell copied from the other mode names that mode's scenarios.
                wrong = [sc for sc in src.scenarios if sc.startswith(other)]
                if wrong:
                    raise ValueError(
                        f"{mode}.{name}: the source names {', '.join(wrong)}, scenarios of the "
                        f"other mode"
                    )
        return self

    @property
    def model(self) -> str:
        """The model the entry is named after (and measured on)."""
        return self.models[0]

    @property
    def tested(self) -> bool:
        return self.sync is not None or self.stream is not None

    def mode(self, mode: str) -> ModeScore | None:
        """The cells of ``mode`` (``"sync"`` or ``"stream"``), None when it was never examined."""
        return self.sync if parse_mode(mode) == "sync" else self.stream

    def cell(self, feature: Feature | str, mode: str = "sync") -> Cell:
        """The cell of ``feature`` in ``mode`` (``unknown`` when the mode was not examined)."""
        feature = parse_feature(feature)
        score = self.mode(mode)
        return UNKNOWN if score is None else score.feature(feature)


class ProviderScore(_Model):
    """A provider's capability table."""

    version: Literal[1] = SCHEMA_VERSION
    provider: str = Field(min_length=1)
    country: str | None = None
    dashboard_url: str | None = None
    warnings: tuple[str, ...] = ()
    models: tuple[ModelScore, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> ProviderScore:
        seen: dict[str, int] = {}
        tiers: dict[str, str] = {}
        for i, entry in enumerate(self.models):
            for m in entry.models:
                if m in seen:
                    raise ValueError(f"model {m!r} is in entries {seen[m]} and {i}")
                seen[m] = i
            if entry.tier is not None:
                if entry.tier in tiers:
                    raise ValueError(
                        f"two entries claim the {entry.tier} tier: {tiers[entry.tier]!r} and "
                        f"{entry.model!r}"
                    )
                tiers[entry.tier] = entry.model
        return self

    # -- lookups ---------------------------------------------------------------------------------

    def model_ids(self) -> list[str]:
        return [m for entry in self.models for m in entry.models]

    def entry(self, model: str) -> ModelScore:
        """The entry listing ``model``; an unknown id raises, listing the known ones."""
        for entry in self.models:
            if model in entry.models:
                return entry
        known = ", ".join(self.model_ids()) or "none"
        raise UnknownEntryError(
            f"{self.provider} scoreboard has no model {model!r}; it lists: {known}"
        )

    def tier(self, tier: str) -> ModelScore:
        """The entry marked with ``tier`` (``sota``, ``good`` or ``cheap``)."""
        wanted = parse_tier(tier)
        for entry in self.models:
            if entry.tier == wanted:
                return entry
        raise UnknownEntryError(f"the {self.provider} scoreboard marks no model as {wanted!r}")

    # -- what a client asks (genai_core.capabilities.CapabilityTable) ---------------------------

    def tier_model(self, tier: str) -> str:
        """The model the entry marked with ``tier`` names."""
        return self.tier(tier).model

    def pick_tier(self, tier: str, listed: Sequence[str]) -> str:
        """The live model standing for ``tier`` among ``listed`` (:func:`scoreboard.pick_tier`)."""
        from .query import pick_tier

        return pick_tier(self, tier, listed)

    def status(self, model: str, feature: str, mode: str, *, tier: str | None = None) -> Status:
        """The status of ``feature`` for ``model`` in ``mode``. With ``tier``, a model the table
        does not list (a release newer than the table) is answered from the tier's entry: that
        is the bet the tier makes. Unknown names raise :class:`UnknownEntryError`."""
        wanted, in_mode = parse_feature(feature), parse_mode(mode)
        try:
            entry = self.entry(model)
        except UnknownEntryError:
            if tier is None:
                raise
            entry = self.tier(tier)
        return entry.cell(wanted, in_mode).status

    # -- JSON ------------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, text: str | bytes, *, where: str = "<json>") -> ProviderScore:
        """Parse and validate a table; any problem raises :class:`ScoreboardError` naming
        ``where``."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ScoreboardError(f"{where}: not JSON: {exc}") from None
        return cls.from_dict(data, where=where)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "<dict>") -> ProviderScore:
        if not isinstance(data, Mapping):
            raise ScoreboardError(f"{where}: a scoreboard is a JSON object")
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ScoreboardError(
                f"{where}: scoreboard version {version!r}; this library reads version "
                f"{SCHEMA_VERSION}"
            )
        try:
            return cls(**data)
        except ScoreboardError as exc:
            raise ScoreboardError(f"{where}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """A plain dict in the file layout: every feature of every examined mode written out
        (unknown ones too), in :class:`Feature` order."""
        out: dict[str, Any] = {"version": self.version, "provider": self.provider}
        if self.country is not None:
            out["country"] = self.country
        if self.dashboard_url is not None:
            out["dashboard_url"] = self.dashboard_url
        if self.warnings:
            out["warnings"] = list(self.warnings)
        out["models"] = [_entry_dict(e) for e in self.models]
        return out

    def to_json(self) -> str:
        """The file text: 2-space indentation, a trailing newline, stable order."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


class UnknownEntryError(ScoreboardError, LookupError):
    """A lookup named a provider, model, feature, mode or tier that does not exist; the message
    lists what does."""


def parse_modality(modality: str) -> Modality:
    """``modality`` checked against :data:`MODALITIES`; anything else raises, listing them."""
    low = modality.strip().lower() if isinstance(modality, str) else modality
    for m in MODALITIES:
        if low == m:
            return m
    raise UnknownEntryError(
        f"unknown modality {modality!r}; modalities are: {', '.join(MODALITIES)}"
    )


def parse_mode(mode: str) -> Mode:
    """``mode`` checked: ``"sync"`` or ``"stream"`` (case and surrounding spaces do not
    matter); anything else raises, listing both."""
    low = mode.strip().lower() if isinstance(mode, str) else mode
    for m in MODES:
        if low == m:
            return m
    raise UnknownEntryError(f"unknown mode {mode!r}; modes are: {', '.join(MODES)}")


def parse_tier(tier: str) -> Tier:
    """``tier`` checked (case does not matter: ``"SOTA"`` is ``"sota"``)."""
    low = tier.strip().lower() if isinstance(tier, str) else tier
    for t in TIERS:
        if low == t:
            return t
    raise UnknownEntryError(f"unknown tier {tier!r}; tiers are: {', '.join(TIERS)}")


def parse_feature(feature: Feature | str) -> Feature:
    """``feature`` as a :class:`Feature`; an unknown name raises, listing the known ones."""
    if isinstance(feature, Feature):
        return feature
    try:
        return Feature(str(feature).strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(f.value for f in Feature)
        raise UnknownEntryError(f"unknown feature {feature!r}; features are: {known}") from None


def _cell_dict(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {"status": cell.status.value}
    if cell.source is not None:
        out["source"] = cell.source.model_dump(mode="json", exclude_defaults=True)
    return out


def _mode_dict(score: ModeScore) -> dict[str, Any]:
    def ordered(cells: Mapping[Any, Cell], order: Iterable[Any]) -> dict[str, Any]:
        return {str(k): _cell_dict(cells[k]) for k in order if k in cells}

    return {
        "inputs": ordered(score.inputs, MODALITIES),
        "outputs": ordered(score.outputs, MODALITIES),
        "features": {f.value: _cell_dict(score.feature(f)) for f in Feature},
    }


def _entry_dict(entry: ModelScore) -> dict[str, Any]:
    out: dict[str, Any] = {"models": list(entry.models)}
    if entry.tier is not None:
        out["tier"] = entry.tier
    if entry.comments is not None:
        out["comments"] = entry.comments
    for mode in MODES:
        score = entry.mode(mode)
        if score is not None:
            out[mode] = _mode_dict(score)
    return out
