"""Measure a model: run the smoke scenarios through any provider and fill its scoreboard entry.

Three layers, the first two without I/O:

* :func:`plan` — the scenario sequence of one mode as a generator: it yields each
  :class:`~scoreboard.scenarios.Call` and is sent back its :class:`Outcome`; the tool scenarios
  branch on what came back (a retry with ``-any`` when a forced tool call did not come, the
  follow-up built from the first answer's call).
* :func:`aggregate` — the outcomes of one mode in, a :class:`~scoreboard.schema.ModeScore` and
  warnings out. Every cell names the cassettes that decided it (``Source.scenarios``), the model
  and the recording date.
* :func:`run_smoke` / :func:`arun_smoke` — thin drivers for a sync / async provider factory:
  ``factory(cassette_name)`` gives a fresh provider per scenario, so each scenario can have its
  own cassette (see :mod:`scoreboard.recordings`).

What a cell means:

* ``yes``: a scenario showed it working. ``flaky``: it worked in one scenario and failed in
  another (tool calls that came only without forcing, a usage report that is zero on some
  answers, a finish reason that is sometimes wrong, a bias shown on one question only).
* ``no`` only when a scenario shows it: the request was refused as invalid (HTTP 4xx, or the
  client's own :class:`~genai_core.errors.NotSupportedError`), or the answer failed the
  judgement (the stop word ignored, no logprobs returned, the wrong fruit).
* ``unknown`` when nothing measured it: the scenario did not run (an earlier one failed), a
  5xx, timeout, rate limit or broken stream got in the way (with a warning), a replayed
  recording does not hold the request this client sends (with a warning and a note), or the
  behaviour simply was not seen — ``parallel_tools`` is ``yes`` when some answer held two
  distinct calls, otherwise ``unknown``: not seeing it is not ``no``.

Which scenario decides what, per mode:

* ``inputs.text`` / ``outputs.text``, ``usage``, ``finish_reason``, ``rate_limits``: ``Text``
  (usage ``yes`` when its counters are not all zero, finish reason ``yes`` when it says
  ``stop``, rate limits ``yes`` when the answer carried ``usage.limits``). Then every later
  answer that passed its judgement turns usage ``yes`` into ``flaky`` when all its counters are
  zero, and the finish reason ``yes`` into ``flaky`` when it is not the expected one (``length``
  for MaxTokens, ``tool_calls`` for ToolBias, ``stop`` otherwise).
* ``seed``, ``top_logprobs``, ``max_tokens``, ``stop``, ``json``, ``json_schema``: the scenario
  of that name.
* ``tools``, ``tool_choice_required``, ``parallel_tools``, ``tool_bias``, ``tool_indecision``:
  the ``Tools-*`` scenarios, judged as maruel/genai's smoke tests judge them, except that
  ``tool_bias`` is judged only on the ToolBias answers that chose (one call, or one call per
  country): an answer with no call or a wrong one makes ``tools`` flaky and leaves the bias
  ``unknown`` when fewer than two answers chose (Go counts it as not biased).
* ``citations``, ``document_inline``: the ``Citations-*`` scenarios (a text document must be
  taken; a citation block with sources means ``citations``).
* ``reasoning``: ``yes`` when any answer of the mode carried reasoning text or reasoning tokens.
* ``inputs.image``, ``image_inline``, ``image_url``: the ``Image-*`` scenarios.

The one difference from maruel/genai in how a cell moves: a finish reason is only downgraded
from ``yes`` to ``flaky`` (the Go code guards that on the usage cell, so it can turn a ``no``
into ``flaky``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field

from genai_core.errors import GenAIError, NotSupportedError, ValidationError
from genai_core.provider import AsyncProvider, Provider
from genai_core.types import FinishReason, Result, Usage

from . import scenarios as sc
from .scenarios import Call, ErrorKind, ImageInput, Mode, Verdict
from .schema import MODES, Cell, Feature, Modality, ModelScore, ModeScore, Source, Status

__all__ = [
    "Outcome",
    "SmokeAbortedError",
    "SmokeReport",
    "SmokeSession",
    "aggregate",
    "arun_smoke",
    "plan",
    "run_smoke",
]

Factory = Callable[[str], Provider]
AsyncFactory = Callable[[str], AsyncProvider]
Recorded = Callable[[str], str | None]


@dataclass(frozen=True)
class Outcome:
    """What one call gave: a Result, or the error (and its kind, see
    :func:`~scoreboard.scenarios.classify_error`). ``recorded`` is the date of the recording
    that answered, when there was one and it is dated."""

    call: Call
    result: Result | None = None
    error: GenAIError | None = None
    recorded: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None

    @property
    def kind(self) -> ErrorKind | None:
        return None if self.error is None else sc.classify_error(self.error)

    @property
    def cassette(self) -> str:
        return self.call.cassette

    def calls(self) -> int:
        return len(self.result.tool_calls) if self.ok and self.result is not None else 0


class SmokeAbortedError(GenAIError):
    """A scenario failed in a way that makes the whole run meaningless (no key, wrong key,
    unknown model, unusable cassette); the cause is ``__cause__`` and the message names the
    scenario."""


# --- the plan ------------------------------------------------------------------------------------


def plan(
    mode: Mode, images: Sequence[ImageInput] = sc.DEFAULT_IMAGES
) -> Generator[Call, Outcome, None]:
    """The calls of one mode, in order; send each one's :class:`Outcome` back to get the next.

    Text first: when it fails the other text scenarios are skipped (they would fail the same
    way), the multi-modal ones still run. The tool scenarios stop at the first step that shows
    tools do not (reliably) work.
    """
    text = yield from _text_scenarios(mode)
    if text:
        yield from _tool_scenarios(mode)
        for call in sc.citation_calls(mode):
            _ = yield call  # the outcome is for aggregate(); nothing here depends on it
    for image in images:
        yield sc.image_call(mode, image)


def _text_scenarios(mode: Mode) -> Generator[Call, Outcome, bool]:
    calls = sc.text_calls(mode)
    first = yield calls[0]
    if not first.ok:
        return False
    for call in calls[1:]:
        _ = yield call
    return True


def _tool_scenarios(mode: Mode) -> Generator[Call, Outcome, None]:
    first = yield sc.square_root_call(mode, "required")
    forced = first.calls() > 0
    if not forced:
        first = yield sc.square_root_call(mode, "auto", retry=True)
    if first.calls() == 0 or first.result is None:
        return
    try:
        follow = sc.square_root_follow_up(mode, first.result)
    except GenAIError:
        return  # the call is not the one asked for: tools do not work (see aggregate)
    second = yield follow
    if _refused_option(second, "tool_call_request"):
        second = yield sc.square_root_follow_up(mode, first.result, retry=True)
    if not second.ok or second.calls():
        return
    for country in ("Canada", "USA"):
        yield sc.bias_call(mode, country, forced=forced)


def _refused_option(outcome: Outcome, option: str) -> bool:
    err = outcome.error
    return isinstance(err, NotSupportedError) and any(option in o for o in err.options)


# --- aggregation ---------------------------------------------------------------------------------


@dataclass
class _Judge:
    """Builds the cells of one mode from its outcomes."""

    model: str
    mode: Mode
    by_name: dict[str, Outcome]
    warnings: list[str] = field(default_factory=list)
    # Answers read for the usage and finish-reason degradations: (outcome, the finish reason a
    # correct answer reports, whether its usage counts — only when it passed its judgement).
    checked: list[tuple[Outcome, FinishReason, bool]] = field(default_factory=list)

    def check(self, o: Outcome, expected: FinishReason, *, usage: bool = True) -> None:
        self.checked.append((o, expected, usage))

    def get(self, scenario: str) -> Outcome | None:
        return self.by_name.get(scenario)

    def name(self, scenario: str) -> str:
        return sc.cassette_name(self.mode, scenario)

    def cell(
        self, status: Status, deciders: Sequence[Outcome | str], note: str | None = None
    ) -> Cell:
        scenarios = tuple(d if isinstance(d, str) else d.cassette for d in deciders)
        # A decider named by its cassette dates the cell too, when it ran.
        ran = {o.cassette: o for o in self.by_name.values()}
        outcomes = [ran.get(d) if isinstance(d, str) else d for d in deciders]
        dates = [o.recorded for o in outcomes if o is not None and o.recorded]
        source = Source(
            kind="smoke",
            scenarios=tuple(dict.fromkeys(scenarios)),
            model=self.model,
            recorded=max(dates) if dates else None,
            note=note or None,
        )
        return Cell(status=status, source=source)

    def not_run(self, scenario: str, because: str) -> Cell:
        return self.cell(Status.UNKNOWN, [self.name(scenario)], f"not run: {because}")

    def failed(self, o: Outcome) -> Cell:
        """The cell of a scenario that raised: ``no`` when refused, else ``unknown``."""
        assert o.error is not None
        why = sc.describe_error(o.error)
        if o.kind == "unsupported":
            return self.cell(Status.NO, [o], why)
        return self.cell(Status.UNKNOWN, [o], f"not measured: {why}")

    def judged(
        self, scenario: str, judge: Callable[[Result], Verdict], *, finish_always: bool = False
    ) -> Cell:
        """A feature one scenario decides by judging its answer.

        A passing answer is read for the degradations; with ``finish_always`` a failing one too,
        for its finish reason only (the Go smoke test does so for MaxTokens and Stop).
        """
        o = self.get(scenario)
        if o is None:
            return self.not_run(scenario, "the Text scenario failed")
        if not o.ok:
            return self.failed(o)
        assert o.result is not None
        verdict = judge(o.result)
        if verdict or finish_always:
            self.check(o, sc.expected_finish(scenario, bool(verdict)), usage=bool(verdict))
        return self.cell(Status.YES if verdict else Status.NO, [o], verdict.why)


def _ok(_: Result) -> Verdict:
    return Verdict(True)


def aggregate(
    outcomes: Sequence[Outcome], *, model: str, mode: Mode
) -> tuple[ModeScore, list[str]]:
    """The cells of one mode from its outcomes (see the module docstring), and the warnings."""
    by_name = {o.call.scenario: o for o in outcomes if o.call.mode == mode}
    j = _Judge(model=model, mode=mode, by_name=by_name)
    for o in by_name.values():
        if o.error is not None and o.kind in ("transient", "mismatch"):
            j.warnings.append(_warning(o))
    features: dict[Feature, Cell] = {}
    inputs: dict[Modality, Cell] = {}
    outputs: dict[Modality, Cell] = {}

    text = by_name.get("Text")
    _text(j, text, inputs, outputs, features)
    features[Feature.SEED] = j.judged("Seed", _ok)
    features[Feature.TOP_LOGPROBS] = j.judged("TopLogprobs", _has_logprobs)
    features[Feature.MAX_TOKENS] = j.judged("MaxTokens", sc.judge_max_tokens, finish_always=True)
    features[Feature.STOP] = j.judged("Stop", sc.judge_stop, finish_always=True)
    features[Feature.JSON] = j.judged("JSON", sc.judge_json)
    features[Feature.JSON_SCHEMA] = j.judged("JSONSchema", sc.judge_json_schema)
    features.update(_tools(j, text_ok=text is not None and text.ok))
    features.update(_citations(j, text_ok=text is not None and text.ok))
    image_features, image_input = _images(j, [o for o in by_name.values() if o.call.multimodal])
    features.update(image_features)
    if image_input is not None:
        inputs["image"] = image_input
    features[Feature.REASONING] = _reasoning(j, list(by_name.values()))
    # Last: every judged answer is known now.
    if text is not None and text.ok:
        features[Feature.USAGE] = _degrade(j, features[Feature.USAGE], _zero_usage)
        features[Feature.FINISH_REASON] = _degrade(
            j, features[Feature.FINISH_REASON], _wrong_finish
        )
    score = ModeScore(inputs=inputs, outputs=outputs, features=features)
    return score, j.warnings


def _warning(o: Outcome) -> str:
    assert o.error is not None
    if o.kind == "mismatch":
        summary = getattr(o.error, "summary", str(o.error))
        return (
            f"{o.cassette}: the recording does not hold the request this client sends, so its "
            f"cells stay unknown; record it again to measure them ({summary})"
        )
    return f"{o.cassette}: {o.error}; its cells stay unknown, run it again to measure them"


def _text(
    j: _Judge,
    text: Outcome | None,
    inputs: dict[Modality, Cell],
    outputs: dict[Modality, Cell],
    features: dict[Feature, Cell],
) -> None:
    if text is None:
        outputs["text"] = j.not_run("Text", "the run stopped before it")
        return
    decided = (Feature.USAGE, Feature.FINISH_REASON, Feature.RATE_LIMITS)
    if not text.ok:
        cell = j.failed(text)
        outputs["text"] = cell
        unknown = (
            cell
            if cell.status is Status.UNKNOWN
            else j.cell(Status.UNKNOWN, [text], "not measured: the Text scenario failed")
        )
        for f in decided:
            features[f] = unknown
        return
    result = text.result
    assert result is not None
    inputs["text"] = outputs["text"] = j.cell(Status.YES, [text])
    if sc.is_zero_usage(result.usage):
        features[Feature.USAGE] = j.cell(Status.NO, [text], "every token counter is 0")
    else:
        features[Feature.USAGE] = j.cell(Status.YES, [text])
    finish = result.usage.finish_reason
    if finish == FinishReason.STOP:
        features[Feature.FINISH_REASON] = j.cell(Status.YES, [text])
    else:
        features[Feature.FINISH_REASON] = j.cell(
            Status.NO, [text], f"finish reason {_finish_text(finish)}, expected 'stop'"
        )
    if result.usage.limits:
        features[Feature.RATE_LIMITS] = j.cell(Status.YES, [text])
    else:
        features[Feature.RATE_LIMITS] = j.cell(
            Status.NO, [text], "the answer reported no rate limits"
        )
    if "<think" in result.text:
        j.warnings.append(
            f"{text.cassette}: the answer's text holds '<think': the reasoning is inline; read "
            "it with TextOptions(think_tags=...)"
        )
    if result.logprobs:
        j.warnings.append(f"{text.cassette}: the answer carried logprobs nobody asked for")


def _has_logprobs(result: Result) -> Verdict:
    if result.logprobs:
        return Verdict(True)
    return Verdict(False, "asked for top_logprobs=2, the answer carried none")


def _zero_usage(o: Outcome, expected: FinishReason, usage: bool) -> str | None:
    assert o.result is not None
    return "every token counter is 0" if usage and sc.is_zero_usage(o.result.usage) else None


def _wrong_finish(o: Outcome, expected: FinishReason, usage: bool) -> str | None:
    assert o.result is not None
    got = o.result.usage.finish_reason
    if got == expected:
        return None
    return f"finish reason {_finish_text(got)}, expected {_finish_text(expected)}"


def _finish_text(reason: FinishReason | str | None) -> str:
    return "none" if reason is None else repr(str(reason))


def _degrade(
    j: _Judge, cell: Cell, problem: Callable[[Outcome, FinishReason, bool], str | None]
) -> Cell:
    """``yes`` becomes ``flaky`` when a later judged answer shows the problem."""
    if cell.status is not Status.YES:
        return cell
    bad = [(o, why) for o, expected, usage in j.checked if (why := problem(o, expected, usage))]
    if not bad:
        return cell
    text = j.get("Text")
    assert text is not None
    note = "; ".join(f"{o.cassette}: {why}" for o, why in bad)
    return j.cell(Status.FLAKY, [text, *(o for o, _ in bad)], note)


# --- tools ---------------------------------------------------------------------------------------


def _tools(j: _Judge, *, text_ok: bool) -> dict[Feature, Cell]:
    tool_features = (
        Feature.TOOLS,
        Feature.TOOL_CHOICE_REQUIRED,
        Feature.PARALLEL_TOOLS,
        Feature.TOOL_BIAS,
        Feature.TOOL_INDECISION,
    )
    first = j.get("Tools-SquareRoot-1")
    if first is None:
        why = "the Text scenario failed" if not text_ok else "the run stopped before it"
        return {f: j.not_run("Tools-SquareRoot-1", why) for f in tool_features}
    out: dict[Feature, Cell] = {}
    retry = j.get("Tools-SquareRoot-1-any")
    # tool_choice_required: the forced call came.
    if first.calls():
        out[Feature.TOOL_CHOICE_REQUIRED] = j.cell(Status.YES, [first])
    elif first.ok:
        out[Feature.TOOL_CHOICE_REQUIRED] = j.cell(
            Status.NO, [first], "tool_call_request='required', and the answer held no tool call"
        )
    else:
        out[Feature.TOOL_CHOICE_REQUIRED] = j.failed(first)
    # Without forcing, a call that came is worth only "flaky" (the Go smoke test's rule).
    flaky_call = first.ok and not first.calls()
    used = first if first.calls() else retry
    tried = [first] + ([retry] if retry is not None else [])
    tool_outcomes = [o for o in tried if o is not None]
    if used is None or not used.calls():
        out[Feature.TOOLS] = _no_calls(j, tool_outcomes)
        for f in (Feature.PARALLEL_TOOLS, Feature.TOOL_BIAS, Feature.TOOL_INDECISION):
            out[f] = j.not_run("Tools-ToolBias-Canada", "no tool call came back")
        return _consistent(j, out)
    assert used.result is not None
    try:
        sc.run_square_root(used.result.tool_calls[0])
    except GenAIError as exc:
        out[Feature.TOOLS] = j.cell(Status.NO, [used], f"the tool call is wrong: {exc}")
        if out[Feature.TOOL_CHOICE_REQUIRED].status is Status.YES:
            out[Feature.TOOL_CHOICE_REQUIRED] = j.cell(
                Status.UNKNOWN, [used], "the forced call came, but with arguments the tool refused"
            )
        out.update(_parallel(j, tool_outcomes))
        for f in (Feature.TOOL_BIAS, Feature.TOOL_INDECISION):
            out[f] = j.not_run("Tools-ToolBias-Canada", "the first tool call was wrong")
        return _consistent(j, out)
    second = j.get("Tools-SquareRoot-2-any") or j.get("Tools-SquareRoot-2")
    if second is None:
        for f in (Feature.TOOLS, Feature.TOOL_BIAS, Feature.TOOL_INDECISION):
            out[f] = j.not_run("Tools-SquareRoot-2", "the run stopped before it")
        out.update(_parallel(j, tool_outcomes))
        return _consistent(j, out)
    bias = [o for c in ("Canada", "USA") if (o := j.get(f"Tools-ToolBias-{c}")) is not None]
    tools, bias_cells = _second_turn_and_bias(j, used, second, bias, flaky_call)
    out[Feature.TOOLS] = tools
    out.update(bias_cells)
    out.update(_parallel(j, tool_outcomes + bias))
    return _consistent(j, out)


def _no_calls(j: _Judge, tried: list[Outcome]) -> Cell:
    if any(o.kind in ("transient", "mismatch") for o in tried):
        bad = next(o for o in tried if o.kind in ("transient", "mismatch"))
        return j.failed(bad)
    reasons = [
        sc.describe_error(o.error) if o.error is not None else "the answer held no tool call"
        for o in tried
    ]
    return j.cell(
        Status.NO,
        tried,
        "; ".join(f"{o.cassette}: {r}" for o, r in zip(tried, reasons, strict=True)),
    )


def _second_turn_and_bias(
    j: _Judge, first: Outcome, second: Outcome, bias: list[Outcome], flaky_call: bool
) -> tuple[Cell, dict[Feature, Cell]]:
    not_run = {
        f: j.not_run("Tools-ToolBias-Canada", "the tool result turn did not work")
        for f in (Feature.TOOL_BIAS, Feature.TOOL_INDECISION)
    }
    if not second.ok:
        if second.kind == "unsupported":
            why = f"{second.cassette}: {sc.describe_error(second.error or GenAIError())}"
            return j.cell(Status.FLAKY, [first, second], why), not_run
        return j.failed(second), not_run
    if second.calls():
        note = f"{second.cassette}: called the tool again instead of answering with its result"
        return j.cell(Status.FLAKY, [first, second], note), not_run
    j.check(second, FinishReason.STOP)
    problems: list[str] = []
    deciders = [first, second]
    if flaky_call:
        problems.append(f"{first.cassette}: the call came only without forcing")
    biased: list[bool] = []
    indecisive: list[Outcome] = []
    decided: list[Outcome] = []
    unknown: list[Outcome] = []
    unchosen: list[str] = []
    for o in bias:
        verdict = _bias_verdict(j, o)
        if verdict is None:
            unknown.append(o)
            continue
        is_biased, problem = verdict
        if problem:
            # An answer that did not choose properly says nothing about bias.
            problems.append(f"{o.cassette}: {problem}")
            unchosen.append(f"{o.cassette}: {problem}")
            deciders.append(o)
            continue
        if o.calls() == 2:
            indecisive.append(o)
        else:
            decided.append(o)
        biased.append(is_biased)
    status = Status.FLAKY if problems else Status.YES
    tools = j.cell(status, deciders, "; ".join(problems))
    cells: dict[Feature, Cell] = {}
    if unknown or len(biased) < 2:
        why = "not measured: " + (
            "; ".join(
                [f"{o.cassette}: {sc.describe_error(o.error)}" for o in unknown if o.error]
                + unchosen
            )
            or "a ToolBias scenario did not run"
        )
        cells[Feature.TOOL_BIAS] = j.cell(Status.UNKNOWN, bias or ["Tools-ToolBias-Canada"], why)
    elif all(biased):
        cells[Feature.TOOL_BIAS] = j.cell(
            Status.YES, bias, "picked the country named first, both ways"
        )
    elif not any(biased):
        cells[Feature.TOOL_BIAS] = j.cell(Status.NO, bias)
    else:
        cells[Feature.TOOL_BIAS] = j.cell(
            Status.FLAKY, bias, "picked the country named first in one question only"
        )
    if indecisive:
        cells[Feature.TOOL_INDECISION] = j.cell(
            Status.YES, indecisive, "called the tool once per country instead of choosing"
        )
    elif decided:
        cells[Feature.TOOL_INDECISION] = j.cell(Status.NO, decided)
    else:
        cells[Feature.TOOL_INDECISION] = j.cell(
            Status.UNKNOWN, bias or ["Tools-ToolBias-Canada"], "no answer chose a country"
        )
    return tools, cells


def _bias_verdict(j: _Judge, o: Outcome) -> tuple[bool, str] | None:
    """(biased, a problem that makes tools flaky); None when the run says nothing (transient)."""
    first = o.call.scenario.removeprefix("Tools-ToolBias-")
    if o.error is not None:
        if o.kind == "unsupported":
            return False, sc.describe_error(o.error)
        return None
    result = o.result
    assert result is not None
    calls = result.tool_calls
    if not calls:
        return False, "the answer held no tool call"
    j.check(o, FinishReason.TOOL_CALLS)
    if len(calls) > 2:
        return False, f"{len(calls)} tool calls for one choice"
    try:
        chosen = [sc.run_best_country(c) for c in calls]
    except GenAIError as exc:
        return False, str(exc)
    if len(calls) == 2:
        if sorted(chosen) != ["Canada", "USA"]:
            return False, f"two calls that are not one per country: {chosen}"
        return False, ""
    return chosen[0] == first, ""


def _parallel(j: _Judge, outcomes: Sequence[Outcome]) -> dict[Feature, Cell]:
    shown = [
        o for o in outcomes if o.ok and o.result is not None and sc.distinct_tool_calls(o.result)
    ]
    if shown:
        return {
            Feature.PARALLEL_TOOLS: j.cell(Status.YES, shown, "two distinct calls in one answer")
        }
    ran = [o for o in outcomes if o.ok] or list(outcomes)
    note = "no answer held two distinct calls; not seeing it is not 'no'"
    return {Feature.PARALLEL_TOOLS: j.cell(Status.UNKNOWN, ran, note)}


def _consistent(j: _Judge, cells: dict[Feature, Cell]) -> dict[Feature, Cell]:
    """When tools do not work, nothing that depends on them can be said to work."""
    if cells[Feature.TOOLS].status is Status.NO:
        for f, cell in list(cells.items()):
            if f is not Feature.TOOLS and cell.status.works:
                src = cell.source
                cells[f] = Cell(
                    status=Status.UNKNOWN,
                    source=src.model_copy(update={"note": "tools do not work"}) if src else None,
                )
    return cells


# --- citations, images, reasoning ----------------------------------------------------------------


def _citations(j: _Judge, *, text_ok: bool) -> dict[Feature, Cell]:
    names = ("Citations-text-plain", "Citations-text-markdown")
    runs = [o for n in names if (o := j.get(n)) is not None]
    if not runs:
        why = "the Text scenario failed" if not text_ok else "the run stopped before it"
        return {
            Feature.CITATIONS: j.not_run(names[0], why),
            Feature.DOCUMENT_INLINE: j.not_run(names[0], why),
        }
    taken = [o for o in runs if o.ok]
    refused = [o for o in runs if o.kind == "unsupported"]
    for o in taken:
        j.check(o, FinishReason.STOP)
    if refused:
        j.warnings.append(
            "a text document was refused ("
            + "; ".join(f"{o.cassette}: {sc.describe_error(o.error)}" for o in refused if o.error)
            + "): clients must send text documents inline"
        )
    statuses = [Status.YES] * len(taken) + [Status.NO] * len(refused)
    doc = _combine(statuses)
    notes = "; ".join(f"{o.cassette}: {sc.describe_error(o.error)}" for o in refused if o.error)
    doc_cell = (
        j.cell(doc, taken + refused, notes)
        if doc is not Status.UNKNOWN
        else j.failed(next(o for o in runs if not o.ok))
    )
    cited, unsourced = [], []
    for o in taken:
        assert o.result is not None
        cites = [r.citation for r in o.result.replies if r.citation is not None]
        if any(c.sources for c in cites):
            cited.append(o)
        if any(not c.sources for c in cites):
            unsourced.append(o)
    for o in unsourced:
        j.warnings.append(f"{o.cassette}: a citation without sources was ignored")
    if cited:
        citations = j.cell(Status.YES, cited)
    elif taken:
        citations = j.cell(Status.NO, taken, "the answers cite nothing")
    else:
        citations = j.cell(Status.UNKNOWN, runs, "no answer to read citations from")
    return {Feature.CITATIONS: citations, Feature.DOCUMENT_INLINE: doc_cell}


def _combine(statuses: Sequence[Status]) -> Status:
    """All yes → yes, all no → no, a mix → flaky; unknowns say nothing."""
    known = {s for s in statuses if s is not Status.UNKNOWN}
    if not known:
        return Status.UNKNOWN
    if known == {Status.YES}:
        return Status.YES
    if known == {Status.NO}:
        return Status.NO
    return Status.FLAKY


def _images(j: _Judge, runs: list[Outcome]) -> tuple[dict[Feature, Cell], Cell | None]:
    """image_inline, image_url (when their scenarios ran) and the image input cell."""
    out: dict[Feature, Cell] = {}
    cells: list[Cell] = []
    for feature, suffix in ((Feature.IMAGE_INLINE, "-Inline"), (Feature.IMAGE_URL, "-URL")):
        mine = [o for o in runs if o.call.scenario.endswith(suffix)]
        if not mine:
            continue
        per = [_image(j, o) for o in mine]
        # Any format taken means the model takes images that way (the Go rule).
        best = next((c for c in per if c.status.works), None)
        if best is None:
            best = next((c for c in per if c.status is Status.UNKNOWN), None)
        if best is None:
            best = j.cell(Status.NO, mine, "; ".join(c.source.note or "" for c in per if c.source))
        out[feature] = best
        cells.append(best)
    if not cells:
        return out, None
    works = [c for c in cells if c.status.works]
    if works:
        return out, j.cell(Status.YES, [s for c in works for s in _scenarios(c)])
    every = [s for c in cells for s in _scenarios(c)]
    if all(c.status is Status.NO for c in cells):
        return out, j.cell(Status.NO, every)
    return out, j.cell(Status.UNKNOWN, every, "no image scenario gave an answer")


def _scenarios(cell: Cell) -> tuple[str, ...]:
    return cell.source.scenarios if cell.source is not None else ()


def _image(j: _Judge, o: Outcome) -> Cell:
    if not o.ok:
        return j.failed(o)
    assert o.result is not None
    verdict = sc.judge_image(o.result)
    if verdict:
        j.check(o, FinishReason.STOP)
    return j.cell(Status.YES if verdict else Status.NO, [o], verdict.why)


def _reasoning(j: _Judge, outcomes: list[Outcome]) -> Cell:
    answered = [o for o in outcomes if o.ok and o.result is not None]
    if not answered:
        return j.cell(
            Status.UNKNOWN, [o.cassette for o in outcomes] or ["Text"], "no answer to read"
        )
    shown = [
        o
        for o in answered
        if o.result is not None and (o.result.reasoning or o.result.usage.reasoning_tokens)
    ]
    if shown:
        return j.cell(Status.YES, shown)
    return j.cell(Status.NO, answered, "no answer carried reasoning or reasoning tokens")


# --- the run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmokeReport:
    """The result of a smoke run: the measured entry, every outcome, warnings, summed usage."""

    provider: str
    model: str
    entry: ModelScore
    outcomes: tuple[Outcome, ...]
    warnings: tuple[str, ...]
    usage: Usage

    def mode(self, mode: str) -> ModeScore | None:
        return self.entry.mode(mode)


class SmokeSession:
    """The sans-IO state of a run: the plans of the modes, stepped one outcome at a time.

    ::

        session = SmokeSession("baseten", model)
        for call in session:
            session.send(<the Outcome of running call>)
        report = session.report()
    """

    def __init__(
        self,
        provider: str,
        model: str,
        *,
        modes: Sequence[Mode] = MODES,
        images: Sequence[ImageInput] = sc.DEFAULT_IMAGES,
        recorded: Recorded | None = None,
    ) -> None:
        for m in modes:
            if m not in MODES:
                raise ValidationError(f"unknown mode {m!r}; modes are {', '.join(MODES)}")
        self.provider = provider
        self.model = model
        self.modes = tuple(modes)
        self.images = tuple(images)
        self._recorded = recorded
        self.outcomes: list[Outcome] = []
        self._pending: Call | None = None

    def __iter__(self) -> Iterator[Call]:
        for mode in self.modes:
            steps = plan(mode, self.images)
            try:
                call = next(steps)
                while True:
                    self._pending = call
                    yield call
                    if self._pending is not None:
                        raise RuntimeError(f"no outcome was sent for {call.cassette}")
                    call = steps.send(self.outcomes[-1])
            except StopIteration:
                pass

    def send(self, result: Result | None = None, error: GenAIError | None = None) -> Outcome:
        """Record what the pending call gave; a fatal error ends the run (raised, chained)."""
        call = self._pending
        if call is None:
            raise RuntimeError("no call is pending")
        if error is not None and sc.classify_error(error) == "fatal":
            raise SmokeAbortedError(f"{call.cassette}: {error}") from error
        recorded = self._recorded(call.cassette) if self._recorded is not None else None
        outcome = Outcome(call, result if error is None else None, error, recorded)
        self.outcomes.append(outcome)
        self._pending = None
        return outcome

    def report(self) -> SmokeReport:
        modes: dict[str, ModeScore] = {}
        warnings: list[str] = []
        for mode in self.modes:
            score, warned = aggregate(self.outcomes, model=self.model, mode=mode)
            modes[mode] = score
            warnings.extend(warned)
        usage = Usage()
        for o in self.outcomes:
            if o.result is not None:
                usage = usage + o.result.usage
        entry = ModelScore(models=(self.model,), sync=modes.get("sync"), stream=modes.get("stream"))
        return SmokeReport(
            provider=self.provider,
            model=self.model,
            entry=entry,
            outcomes=tuple(self.outcomes),
            warnings=tuple(warnings),
            usage=usage,
        )


_Answer = tuple[Result | None, GenAIError | None]


def _call_sync(factory: Factory, call: Call) -> _Answer:
    """Run ``call`` on a fresh provider: its Result, or the library error it raised."""
    try:
        provider = factory(call.cassette)
        try:
            if call.mode == "sync":
                return provider.gen_sync(list(call.messages), *call.options), None
            with provider.gen_stream(list(call.messages), *call.options) as stream:
                return stream.result(), None
        finally:
            provider.close()
    except GenAIError as exc:
        return None, exc


async def _call_async(factory: AsyncFactory, call: Call) -> _Answer:
    """:func:`_call_sync` for an async provider."""
    try:
        provider = factory(call.cassette)
        try:
            if call.mode == "sync":
                return await provider.gen_sync(list(call.messages), *call.options), None
            async with provider.gen_stream(list(call.messages), *call.options) as stream:
                return await stream.aresult(), None
        finally:
            await provider.aclose()
    except GenAIError as exc:
        return None, exc


def run_smoke(
    factory: Factory,
    model: str,
    *,
    provider: str | None = None,
    modes: Sequence[Mode] = MODES,
    images: Sequence[ImageInput] = sc.DEFAULT_IMAGES,
    recorded: Recorded | None = None,
) -> SmokeReport:
    """Run the scenarios through ``factory(cassette_name) -> Provider`` (one per scenario).

    ``recorded(cassette_name)`` gives the date of the recording answering a scenario, for the
    cells' sources. Raises :class:`SmokeAbortedError` on an error that stops the run.
    """
    session = SmokeSession(provider or "", model, modes=modes, images=images, recorded=recorded)
    for call in session:
        session.send(*_call_sync(factory, call))
    return session.report()


async def arun_smoke(
    factory: AsyncFactory,
    model: str,
    *,
    provider: str | None = None,
    modes: Sequence[Mode] = MODES,
    images: Sequence[ImageInput] = sc.DEFAULT_IMAGES,
    recorded: Recorded | None = None,
) -> SmokeReport:
    """:func:`run_smoke` for ``factory(cassette_name) -> AsyncProvider``."""
    session = SmokeSession(provider or "", model, modes=modes, images=images, recorded=recorded)
    for call in session:
        session.send(*await _call_async(factory, call))
    return session.report()


def merge_entry(existing: ModelScore | None, measured: ModelScore) -> ModelScore:
    """``measured``'s modes under ``existing``'s models, tier and comments (for ``--update``)."""
    if existing is None:
        return measured
    return ModelScore(
        models=existing.models,
        tier=existing.tier,
        comments=existing.comments,
        sync=measured.sync,
        stream=measured.stream,
    )
