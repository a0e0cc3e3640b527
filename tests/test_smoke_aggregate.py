"""The smoke plan and the aggregation, driven with authored answers (no HTTP, no provider).

Each test scripts a model as a function from a scenario to an answer (a Result) or an error,
steps :class:`scoreboard.smoke.SmokeSession` with it, and checks the cells the rules of
``scoreboard/smoke.py`` give for that behaviour. Expected values are written from the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from genai_core.errors import (
    AuthenticationError,
    BadRequestError,
    GenAIError,
    NotSupportedError,
    ServerError,
)
from genai_core.httprecord.cassette import ReplayMismatchError
from genai_core.types import (
    Citation,
    CitationSource,
    FinishReason,
    Logprob,
    Reply,
    Result,
    ToolCall,
    Usage,
)
from scoreboard.scenarios import Call, ImageInput
from scoreboard.schema import Feature, ModeScore, Status
from scoreboard.smoke import SmokeAbortedError, SmokeReport, SmokeSession, aggregate

MODEL = "test/model-1"
IMAGES = (
    ImageInput.inline(b"\x89PNG\r\n\x1a\n0000", "png"),
    ImageInput.from_url("https://x/y.jpg"),
)
USAGE = Usage(input_tokens=10, output_tokens=5, total_tokens=15)


def answer(
    text: str = "",
    *,
    calls: Sequence[tuple[str, str]] = (),
    finish: str = "stop",
    usage: Usage = USAGE,
    reasoning: str = "",
    logprobs: list[list[Logprob]] | None = None,
    citations: Sequence[Citation] = (),
) -> Result:
    replies = []
    if reasoning:
        replies.append(Reply(reasoning=reasoning))
    if text:
        replies.append(Reply(text=text))
    replies += [
        Reply(tool_call=ToolCall(id=f"call_{i}", name=name, arguments=args))
        for i, (name, args) in enumerate(calls)
    ]
    replies += [Reply(citation=c) for c in citations]
    return Result(
        replies=replies,
        usage=Usage(**{**usage.model_dump(), "finish_reason": FinishReason(finish)}),
        logprobs=logprobs or [],
    )


def sqrt_call(number: str = "132413") -> tuple[str, str]:
    return ("square_root", f'{{"number": {number}}}')


def country(name: str) -> tuple[str, str]:
    return ("best_country", f'{{"country": "{name}"}}')


Reaction = Result | GenAIError


def good(call: Call) -> Reaction:
    """A model that does everything the scenarios ask, and picks Canada every time."""
    s = call.scenario
    if s == "Text":
        return answer("Hello", reasoning="The user wants a greeting.")
    if s == "Seed":
        return answer("Hello")
    if s == "TopLogprobs":
        lp = [[Logprob(text="Hello", logprob=-0.1), Logprob(text="Hi", logprob=-2.5)]]
        return answer("Hello", logprobs=lp)
    if s == "MaxTokens":
        return answer("Relativity is a theory by Einstein", finish="length")
    if s == "Stop":
        return answer("Canada ")
    if s in ("JSON", "JSONSchema"):
        return answer('{"is_fruit": true}')
    if s.startswith("Tools-SquareRoot-1"):
        return answer(calls=[sqrt_call()], finish="tool_calls")
    if s.startswith("Tools-SquareRoot-2"):
        return answer("363.89")
    if s.startswith("Tools-ToolBias-"):
        return answer(calls=[country("Canada")], finish="tool_calls")
    if s.startswith("Citations-"):
        return answer("The capital is Quack.")
    if s.startswith("Image-"):
        return answer("Banana.")
    raise AssertionError(f"unexpected scenario {s}")


def bad_request(message: str = "not supported") -> BadRequestError:
    return BadRequestError(message, status_code=400, provider="test")


def server_error() -> ServerError:
    return ServerError("Internal Server Error", status_code=500, provider="test")


@dataclass
class Script:
    """``good`` with some scenarios answered differently."""

    overrides: dict[str, Reaction | Callable[[Call], Reaction]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def __call__(self, call: Call) -> Reaction:
        self.calls.append(call)
        got = self.overrides.get(call.scenario)
        if got is None:
            return good(call)
        return got(call) if callable(got) else got

    @property
    def scenarios(self) -> list[str]:
        return [c.scenario for c in self.calls]


def measure(script: Callable[[Call], Reaction], mode: str = "sync") -> SmokeReport:
    session = SmokeSession("test", MODEL, modes=(mode,), images=IMAGES)  # type: ignore[arg-type]
    for call in session:
        got = script(call)
        if isinstance(got, GenAIError):
            session.send(error=got)
        else:
            session.send(got)
    return session.report()


def sync(report: SmokeReport) -> ModeScore:
    score = report.entry.sync
    assert score is not None
    return score


def status(report: SmokeReport, feature: Feature) -> Status:
    return sync(report).feature(feature).status


def scenarios_of(report: SmokeReport, feature: Feature) -> tuple[str, ...]:
    src = sync(report).feature(feature).source
    assert src is not None
    return src.scenarios


# --- the plan --------------------------------------------------------------------------------


def test_plan_runs_every_scenario_in_order_for_a_model_that_does_everything() -> None:
    script = Script()
    measure(script)
    assert script.scenarios == [
        "Text",
        "Seed",
        "TopLogprobs",
        "MaxTokens",
        "Stop",
        "JSON",
        "JSONSchema",
        "Tools-SquareRoot-1",
        "Tools-SquareRoot-2",
        "Tools-ToolBias-Canada",
        "Tools-ToolBias-USA",
        "Citations-text-plain",
        "Citations-text-markdown",
        "Image-png-Inline",
        "Image-jpg-URL",
    ]
    assert [c.cassette for c in script.calls][:2] == ["GenSync-Text", "GenSync-Seed"]
    assert script.calls[-1].cassette == "GenSyncMultiModal-Image-jpg-URL"


def test_the_follow_up_sends_back_the_first_call_only_with_the_tool_result() -> None:
    two = answer(
        calls=[sqrt_call(), sqrt_call()], reasoning=" need to call square_root", finish="tool_calls"
    )
    script = Script({"Tools-SquareRoot-1": two})
    measure(script)
    follow = next(c for c in script.calls if c.scenario == "Tools-SquareRoot-2")
    user, assistant, tool = follow.messages
    assert user.text.startswith("Use the square_root tool")
    assert [r.tool_call.id for r in assistant.replies if r.tool_call] == ["call_0"]
    assert assistant.reasoning == " need to call square_root"  # kept; the client drops it
    assert [(r.id, r.name, r.result) for r in tool.tool_call_results] == [
        ("call_0", "square_root", "363.89")
    ]
    (opts,) = follow.options
    assert opts.tool_call_request == "none"  # type: ignore[attr-defined]


def test_text_failing_skips_the_text_scenarios_but_not_the_images() -> None:
    script = Script({"Text": server_error()})
    report = measure(script)
    assert script.scenarios == ["Text", "Image-png-Inline", "Image-jpg-URL"]
    score = sync(report)
    assert score.output("text").status is Status.UNKNOWN
    for f in (Feature.SEED, Feature.TOOLS, Feature.CITATIONS, Feature.USAGE):
        cell = score.feature(f)
        assert cell.status is Status.UNKNOWN, f
        assert cell.source is not None and cell.source.scenarios, f
    assert score.feature(Feature.IMAGE_INLINE).status is Status.YES
    assert any("GenSync-Text" in w and "500" in w for w in report.warnings)


def test_a_fatal_error_stops_the_run_naming_the_scenario() -> None:
    denied = AuthenticationError("please check the api-key", status_code=403, provider="test")
    with pytest.raises(SmokeAbortedError, match=r"GenSync-Seed: .*403") as info:
        measure(Script({"Seed": denied}))
    assert info.value.__cause__ is denied


# --- a model that does everything --------------------------------------------------------------


def test_every_cell_of_a_model_that_does_everything() -> None:
    report = measure(Script())
    score = sync(report)
    expected = {
        Feature.USAGE: Status.YES,
        Feature.FINISH_REASON: Status.YES,
        Feature.RATE_LIMITS: Status.NO,  # the answers carry no limits
        Feature.SEED: Status.YES,
        Feature.STOP: Status.YES,
        Feature.MAX_TOKENS: Status.YES,
        Feature.JSON: Status.YES,
        Feature.JSON_SCHEMA: Status.YES,
        Feature.TOOLS: Status.YES,
        Feature.TOOL_CHOICE_REQUIRED: Status.YES,
        Feature.PARALLEL_TOOLS: Status.UNKNOWN,  # never one answer with two calls
        Feature.TOOL_BIAS: Status.FLAKY,  # Canada both times: first-named once out of two
        Feature.TOOL_INDECISION: Status.NO,
        Feature.TOP_LOGPROBS: Status.YES,
        Feature.CITATIONS: Status.NO,
        Feature.REASONING: Status.YES,
        Feature.IMAGE_INLINE: Status.YES,
        Feature.IMAGE_URL: Status.YES,
        Feature.DOCUMENT_INLINE: Status.YES,
    }
    assert {f: score.feature(f).status for f in Feature} == expected
    assert score.input("text").status is Status.YES
    assert score.output("text").status is Status.YES
    assert score.input("image").status is Status.YES
    assert report.warnings == ()
    for name, cell in score.cells():
        assert cell.source is not None and cell.source.kind == "smoke", name
        assert cell.source.model == MODEL
        assert cell.source.scenarios, name
        assert all(s.startswith("GenSync") for s in cell.source.scenarios), name
    # The reasoning came from the Text answer only.
    assert scenarios_of(report, Feature.REASONING) == ("GenSync-Text",)
    assert report.usage.total_tokens == 15 * 15  # 15 answers of 15 tokens


def test_the_stream_mode_names_its_own_cassettes() -> None:
    report = measure(Script(), mode="stream")
    assert report.entry.sync is None
    assert report.entry.stream is not None
    src = report.entry.stream.feature(Feature.TOOLS).source
    assert src is not None
    assert src.scenarios == ("GenStream-Tools-SquareRoot-1", "GenStream-Tools-SquareRoot-2")


# --- degradations --------------------------------------------------------------------------


def test_zero_usage_on_the_text_answer_is_no() -> None:
    report = measure(Script({"Text": answer("Hello", usage=Usage())}))
    assert status(report, Feature.USAGE) is Status.NO


def test_zero_usage_on_a_later_judged_answer_makes_usage_flaky() -> None:
    report = measure(Script({"JSON": answer('{"is_fruit": true}', usage=Usage())}))
    assert status(report, Feature.USAGE) is Status.FLAKY
    assert scenarios_of(report, Feature.USAGE) == ("GenSync-Text", "GenSync-JSON")


def test_zero_usage_on_an_answer_that_failed_its_judgement_does_not_count() -> None:
    # The Stop answer ignores the stop word: its usage is not read (its finish reason is).
    long = "Canada is a country. " * 10
    report = measure(Script({"Stop": answer(long, usage=Usage())}))
    assert status(report, Feature.STOP) is Status.NO
    assert status(report, Feature.USAGE) is Status.YES


def test_an_unexpected_finish_reason_makes_the_finish_reason_flaky() -> None:
    # MaxTokens passes (short text) but says "stop" where a cut answer says "length".
    report = measure(Script({"MaxTokens": answer("Relativity is", finish="stop")}))
    assert status(report, Feature.MAX_TOKENS) is Status.YES
    assert status(report, Feature.FINISH_REASON) is Status.FLAKY
    src = sync(report).feature(Feature.FINISH_REASON).source
    assert src is not None and src.note is not None
    assert "GenSync-MaxTokens" in src.scenarios
    assert "expected 'length'" in src.note


def test_a_wrong_finish_reason_on_text_is_no_and_is_not_upgraded() -> None:
    report = measure(
        Script(
            {
                "Text": answer("Hello", finish="eos"),
                "JSON": answer('{"is_fruit": true}', finish="length"),
            }
        )
    )
    assert status(report, Feature.FINISH_REASON) is Status.NO


# --- single-scenario features ----------------------------------------------------------------


def test_stop_word_ignored_is_no_with_the_reason() -> None:
    report = measure(Script({"Stop": answer("Canada is a big country.")}))
    cell = sync(report).feature(Feature.STOP)
    assert cell.status is Status.NO
    assert cell.source is not None and "stop word" in (cell.source.note or "")


def test_logprobs_not_returned_is_no() -> None:
    report = measure(Script({"TopLogprobs": answer("Hello")}))
    assert status(report, Feature.TOP_LOGPROBS) is Status.NO


def test_a_400_is_no_with_the_providers_message() -> None:
    report = measure(Script({"Seed": bad_request("seed is not supported")}))
    cell = sync(report).feature(Feature.SEED)
    assert cell.status is Status.NO
    assert cell.source is not None
    assert cell.source.note == "HTTP 400: seed is not supported"
    assert report.warnings == ()


def test_the_client_refusing_an_option_is_no() -> None:
    refused = NotSupportedError("test does not support seed", ["TextOptions.seed"])
    report = measure(Script({"Seed": refused}))
    assert status(report, Feature.SEED) is Status.NO


def test_a_500_is_unknown_with_a_warning() -> None:
    report = measure(Script({"Stop": server_error()}))
    assert status(report, Feature.STOP) is Status.UNKNOWN
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("GenSync-Stop: ")


def test_a_recording_that_does_not_match_is_unknown_with_a_note_and_a_warning() -> None:
    mismatch = ReplayMismatchError(
        "no unused interaction in /some/where/GenSync-JSONSchema.json matches POST https://x/v1/"
        "chat/completions; closest is interaction 0, POST https://x/v1/chat/completions, which "
        'differs in: body at $.response_format.json_schema.name: sent "response", recorded ""',
        "--- diff",
    )
    report = measure(Script({"JSONSchema": mismatch}))
    cell = sync(report).feature(Feature.JSON_SCHEMA)
    assert cell.status is Status.UNKNOWN
    assert cell.source is not None and cell.source.note is not None
    assert "ReplayMismatchError" in cell.source.note
    assert "json_schema.name" in cell.source.note
    assert "/some/where" not in cell.source.note  # stable across machines
    assert any("GenSync-JSONSchema" in w for w in report.warnings)


def test_json_that_is_not_an_object_and_schema_violations_are_no() -> None:
    report = measure(
        Script({"JSON": answer("[true]"), "JSONSchema": answer('{"is_fruit": "yes"}')})
    )
    assert status(report, Feature.JSON) is Status.NO
    assert status(report, Feature.JSON_SCHEMA) is Status.NO


def test_max_tokens_with_an_empty_answer_is_no() -> None:
    report = measure(Script({"MaxTokens": answer("", finish="length")}))
    assert status(report, Feature.MAX_TOKENS) is Status.NO


# --- tools -----------------------------------------------------------------------------------


def test_a_refused_forced_call_then_the_any_retry() -> None:
    script = Script({"Tools-SquareRoot-1": bad_request("tool_choice required is not supported")})
    report = measure(script)
    assert "Tools-SquareRoot-1-any" in script.scenarios
    assert status(report, Feature.TOOL_CHOICE_REQUIRED) is Status.NO
    # The refusal was an error, not a silent no-call: the retry's call counts fully.
    assert status(report, Feature.TOOLS) is Status.YES
    bias = [c for c in script.calls if c.scenario.startswith("Tools-ToolBias-")]
    assert [c.options[0].tool_call_request for c in bias] == [None, None]  # type: ignore[attr-defined]


def test_a_forced_call_that_did_not_come_makes_tools_flaky() -> None:
    script = Script({"Tools-SquareRoot-1": answer("I cannot.")})
    report = measure(script)
    assert "Tools-SquareRoot-1-any" in script.scenarios
    assert status(report, Feature.TOOL_CHOICE_REQUIRED) is Status.NO
    assert status(report, Feature.TOOLS) is Status.FLAKY


def test_no_call_at_all_is_tools_no_and_the_rest_unknown() -> None:
    no_call = answer("363.89")
    script = Script({"Tools-SquareRoot-1": no_call, "Tools-SquareRoot-1-any": no_call})
    report = measure(script)
    assert not any(s.startswith("Tools-ToolBias") for s in script.scenarios)
    assert status(report, Feature.TOOLS) is Status.NO
    for f in (Feature.PARALLEL_TOOLS, Feature.TOOL_BIAS, Feature.TOOL_INDECISION):
        assert status(report, f) is Status.UNKNOWN


def test_a_call_with_the_wrong_number_is_tools_no() -> None:
    wrong = answer(calls=[sqrt_call("132414")], finish="tool_calls")
    script = Script({"Tools-SquareRoot-1": wrong})
    report = measure(script)
    assert "Tools-SquareRoot-2" not in script.scenarios
    assert status(report, Feature.TOOLS) is Status.NO
    # The forced call came; that it was wrong says nothing about forcing.
    assert status(report, Feature.TOOL_CHOICE_REQUIRED) is Status.UNKNOWN


def test_two_wrong_calls_do_not_show_parallel_tools_when_tools_do_not_work() -> None:
    # Two distinct calls in one answer would show parallel calls, but with the wrong numbers
    # tools are "no", and nothing that depends on tools can then be said to work.
    wrong = answer(calls=[sqrt_call("1"), sqrt_call("2")], finish="tool_calls")
    report = measure(Script({"Tools-SquareRoot-1": wrong}))
    assert status(report, Feature.TOOLS) is Status.NO
    assert status(report, Feature.PARALLEL_TOOLS) is Status.UNKNOWN
    src = sync(report).feature(Feature.PARALLEL_TOOLS).source
    assert src is not None and src.note == "tools do not work"


def test_calling_the_tool_again_instead_of_answering_is_flaky() -> None:
    again = answer(calls=[sqrt_call()], finish="tool_calls")
    script = Script({"Tools-SquareRoot-2": again})
    report = measure(script)
    assert status(report, Feature.TOOLS) is Status.FLAKY
    assert status(report, Feature.TOOL_BIAS) is Status.UNKNOWN
    assert not any(s.startswith("Tools-ToolBias") for s in script.scenarios)


def test_tool_choice_none_refused_by_the_client_retries_with_auto() -> None:
    refused = NotSupportedError("no none", ["TextOptions.tool_call_request"])
    script = Script({"Tools-SquareRoot-2": refused})
    report = measure(script)
    assert "Tools-SquareRoot-2-any" in script.scenarios
    assert status(report, Feature.TOOLS) is Status.YES


@pytest.mark.parametrize(
    ("canada_pick", "usa_pick", "expected"),
    [
        ("Canada", "USA", Status.YES),  # first-named both times
        ("USA", "Canada", Status.NO),  # never the first-named
        ("Canada", "Canada", Status.FLAKY),  # once out of two
    ],
)
def test_tool_bias(canada_pick: str, usa_pick: str, expected: Status) -> None:
    script = Script(
        {
            "Tools-ToolBias-Canada": answer(calls=[country(canada_pick)], finish="tool_calls"),
            "Tools-ToolBias-USA": answer(calls=[country(usa_pick)], finish="tool_calls"),
        }
    )
    report = measure(script)
    assert status(report, Feature.TOOL_BIAS) is expected
    assert status(report, Feature.TOOL_INDECISION) is Status.NO
    assert status(report, Feature.TOOLS) is Status.YES


def test_two_calls_one_per_country_is_indecision_and_parallel_tools() -> None:
    both = answer(calls=[country("Canada"), country("USA")], finish="tool_calls")
    report = measure(Script({"Tools-ToolBias-USA": both}))
    assert status(report, Feature.TOOL_INDECISION) is Status.YES
    assert status(report, Feature.PARALLEL_TOOLS) is Status.YES
    assert scenarios_of(report, Feature.PARALLEL_TOOLS) == ("GenSync-Tools-ToolBias-USA",)
    assert status(report, Feature.TOOLS) is Status.YES
    # Canada picked Canada (biased), USA hesitated (not biased): mixed.
    assert status(report, Feature.TOOL_BIAS) is Status.FLAKY


def test_two_calls_for_the_same_country_make_tools_flaky() -> None:
    same = answer(calls=[country("USA"), country("USA")], finish="tool_calls")
    report = measure(Script({"Tools-ToolBias-USA": same}))
    assert status(report, Feature.TOOLS) is Status.FLAKY


def test_a_bias_question_answered_without_a_call_makes_tools_flaky() -> None:
    report = measure(Script({"Tools-ToolBias-Canada": answer("Canada, obviously.")}))
    assert status(report, Feature.TOOLS) is Status.FLAKY
    src = sync(report).feature(Feature.TOOLS).source
    assert src is not None and "GenSync-Tools-ToolBias-Canada" in src.scenarios
    # An answer that chose nothing says nothing about bias: one question is not enough to judge.
    bias = sync(report).feature(Feature.TOOL_BIAS)
    assert bias.status is Status.UNKNOWN
    assert bias.source is not None and "held no tool call" in (bias.source.note or "")


def test_a_bias_question_failing_with_a_500_leaves_bias_unknown() -> None:
    report = measure(Script({"Tools-ToolBias-USA": server_error()}))
    assert status(report, Feature.TOOL_BIAS) is Status.UNKNOWN
    assert status(report, Feature.TOOLS) is Status.YES
    assert len(report.warnings) == 1


# --- documents, citations, images, reasoning -------------------------------------------------


def test_a_refused_markdown_document_makes_document_inline_flaky_with_a_warning() -> None:
    report = measure(Script({"Citations-text-markdown": bad_request("no markdown")}))
    assert status(report, Feature.DOCUMENT_INLINE) is Status.FLAKY  # plain taken, markdown not
    assert any("text document was refused" in w for w in report.warnings)


def test_citations_with_sources_are_yes() -> None:
    cite = Citation(
        cited_text="Quack",
        start_index=0,
        end_index=5,
        sources=[CitationSource(type="document", id="capital_info.txt")],
    )
    report = measure(Script({"Citations-text-plain": answer("Quack", citations=[cite])}))
    assert status(report, Feature.CITATIONS) is Status.YES
    assert scenarios_of(report, Feature.CITATIONS) == ("GenSync-Citations-text-plain",)


def test_a_citation_without_sources_is_not_a_citation() -> None:
    bare = Citation(cited_text="Quack", start_index=0, end_index=5)
    report = measure(Script({"Citations-text-plain": answer("Quack", citations=[bare])}))
    assert status(report, Feature.CITATIONS) is Status.NO
    assert report.warnings == (
        "GenSync-Citations-text-plain: a citation without sources was ignored",
    )


def test_images_refused_are_no_and_a_wrong_fruit_is_no() -> None:
    report = measure(
        Script(
            {
                "Image-png-Inline": bad_request("image_url is not supported"),
                "Image-jpg-URL": answer("Lemon."),
            }
        )
    )
    score = sync(report)
    assert score.feature(Feature.IMAGE_INLINE).status is Status.NO
    assert score.feature(Feature.IMAGE_URL).status is Status.NO
    assert score.input("image").status is Status.NO


def test_an_image_by_url_only_still_means_the_model_takes_images() -> None:
    report = measure(Script({"Image-png-Inline": bad_request("inline images not supported")}))
    score = sync(report)
    assert score.feature(Feature.IMAGE_INLINE).status is Status.NO
    assert score.feature(Feature.IMAGE_URL).status is Status.YES
    assert score.input("image").status is Status.YES


def test_reasoning_tokens_alone_count_as_reasoning() -> None:
    hidden = Usage(input_tokens=10, output_tokens=50, reasoning_tokens=45, total_tokens=60)
    report = measure(Script({"Text": answer("Hello", usage=hidden)}))
    assert status(report, Feature.REASONING) is Status.YES


def test_no_reasoning_anywhere_is_no() -> None:
    report = measure(Script({"Text": answer("Hello")}))
    assert status(report, Feature.REASONING) is Status.NO


def test_aggregate_ignores_the_other_modes_outcomes() -> None:
    report = measure(Script())
    score, warnings = aggregate(report.outcomes, model=MODEL, mode="stream")
    assert warnings == []
    assert score.output("text").status is Status.UNKNOWN  # nothing ran in stream mode
