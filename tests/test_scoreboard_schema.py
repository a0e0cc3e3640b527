"""The capability table's schema: what it accepts, what it refuses and why, and its file form.

Tables here are built by hand as plain dicts (the file layout), so each test states the one
thing it breaks.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest
import wire

import genai_core
from scoreboard import (
    FEATURE_HELP,
    MODALITIES,
    TIERS,
    Cell,
    Feature,
    ModelScore,
    ModeScore,
    ProviderScore,
    ScoreboardError,
    Source,
    Status,
    UnknownEntryError,
    parse_feature,
)

DOC = {"kind": "documented", "reference": "https://example.com/doc"}


def cell(status: str, **source: Any) -> dict[str, Any]:
    return {"status": status, "source": {**DOC, **source}}


def mode(**features: str) -> dict[str, Any]:
    """A mode taking and answering text, with ``features`` set to the given statuses."""
    return {
        "inputs": {"text": cell("yes")},
        "outputs": {"text": cell("yes")},
        "features": {name: cell(status) for name, status in features.items()},
    }


def table(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": 1, "provider": "acme", **top, "models": list(entries)}


def parse(data: dict[str, Any]) -> ProviderScore:
    return ProviderScore.from_dict(data, where="test.json")


def refused(data: dict[str, Any], *needles: str) -> str:
    with pytest.raises(ScoreboardError) as info:
        parse(data)
    message = str(info.value)
    assert message.startswith("test.json: "), message
    for needle in needles:
        assert needle in message, message
    return message


# -- cells and sources ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["yes", "flaky", "no"])
def test_a_known_status_needs_a_source(status: str) -> None:
    data = table({"models": ["m"], "sync": mode()})
    data["models"][0]["sync"]["features"]["tools"] = {"status": status}
    refused(data, "features.tools", f"status {status!r} needs a source")
    with pytest.raises(ScoreboardError, match="needs a source"):
        Cell(status=status)


def test_unknown_needs_no_source_and_may_keep_a_note() -> None:
    assert Cell().status is Status.UNKNOWN
    noted = Cell(status="unknown", source=Source(kind="documented", reference="r", note="why"))
    assert noted.source is not None and noted.source.note == "why"


def test_smoke_source_names_its_scenarios_and_model() -> None:
    with pytest.raises(ScoreboardError, match="names the scenarios"):
        Source(kind="smoke", model="m")
    with pytest.raises(ScoreboardError, match="names the model id"):
        Source(kind="smoke", scenarios=("GenSync-Text",))
    ok = Source(kind="smoke", scenarios=("GenSync-Text",), model="m", recorded="2026-06-22")
    assert ok.model == "m"


def test_a_source_naming_the_other_modes_scenarios() -> None:
    data = table({"models": ["m"], "stream": mode(seed="yes")})
    data["models"][0]["stream"]["features"]["seed"]["source"]["scenarios"] = ["GenSync-Seed"]
    refused(data, "stream.features.seed: the source names GenSync-Seed, scenarios of the other")
    data["models"][0]["stream"]["features"]["seed"]["source"]["scenarios"] = ["GenStream-Seed"]
    parse(data)
    sync = table({"models": ["m"], "sync": mode(image_url="no")})
    sync["models"][0]["sync"]["features"]["image_url"]["source"]["scenarios"] = [
        "GenStreamMultiModal-Image-jpg-URL"
    ]
    refused(sync, "sync.features.image_url", "GenStreamMultiModal-Image-jpg-URL")


@pytest.mark.parametrize("when", ["2026-06-22", "2026-06-22T10:11:12Z", "2026-06-22 10:11"])
def test_recorded_is_an_iso_date(when: str) -> None:
    src = Source(kind="smoke", scenarios=("GenSync-Text",), model="m", recorded=when)
    assert src.recorded == when


@pytest.mark.parametrize("when", ["yesterday", "22/06/2026", "2026-13-01", ""])
def test_recorded_that_is_not_a_date_is_refused(when: str) -> None:
    with pytest.raises(ScoreboardError, match="recorded must be an ISO date"):
        Source(kind="smoke", scenarios=("GenSync-Text",), model="m", recorded=when)


def test_documented_source_names_its_reference() -> None:
    with pytest.raises(ScoreboardError, match="names its reference"):
        Source(kind="documented", note="trust me")
    data = table({"models": ["m"], "sync": mode()})
    data["models"][0]["sync"]["features"]["seed"] = {
        "status": "yes",
        "source": {"kind": "documented"},
    }
    refused(data, "features.seed", "names its reference")


def test_unknown_source_kind_is_refused() -> None:
    with pytest.raises(ScoreboardError, match="kind"):
        Source(kind="hearsay", reference="r")


def test_a_source_naming_a_model_the_entry_does_not_list() -> None:
    data = table({"models": ["m", "m-fast"], "sync": mode()})
    data["models"][0]["sync"]["features"]["stop"] = cell("yes", model="other")
    refused(data, "sync.features.stop", "'other'", "m, m-fast")
    data["models"][0]["sync"]["features"]["stop"] = cell("yes", model="m-fast")
    assert parse(data).entry("m-fast").cell("stop").status is Status.YES


# -- contradictions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dependent", ["tool_choice_required", "parallel_tools", "tool_bias", "tool_indecision"]
)
@pytest.mark.parametrize("works", ["yes", "flaky"])
def test_no_tools_contradicts_every_tool_feature(dependent: str, works: str) -> None:
    data = table({"models": ["m"], "stream": mode(tools="no", **{dependent: works})})
    refused(data, "models.0", "stream", f"tools is 'no' but {dependent} is {works!r}")
    # "no" or "unknown" for the dependent feature is consistent.
    parse(table({"models": ["m"], "stream": mode(tools="no", **{dependent: "no"})}))
    parse(table({"models": ["m"], "stream": mode(tools="no")}))


def test_indecision_needs_parallel_calls() -> None:
    refused(
        table({"models": ["m"], "sync": mode(tool_indecision="yes", parallel_tools="no")}),
        "tool_indecision",
        "parallel_tools is 'no'",
    )
    parse(table({"models": ["m"], "sync": mode(tool_indecision="flaky", parallel_tools="yes")}))
    parse(table({"models": ["m"], "sync": mode(tool_indecision="no", parallel_tools="no")}))


@pytest.mark.parametrize("feature", ["image_inline", "image_url"])
def test_no_image_input_contradicts_an_image_feature(feature: str) -> None:
    data = table({"models": ["m"], "sync": mode(**{feature: "yes"})})
    data["models"][0]["sync"]["inputs"]["image"] = cell("no")
    refused(data, f"image input is 'no' but {feature} is 'yes'")


def test_image_input_needs_one_way_to_send_it() -> None:
    data = table({"models": ["m"], "sync": mode(image_inline="no", image_url="no")})
    data["models"][0]["sync"]["inputs"]["image"] = cell("yes")
    refused(data, "image input is 'yes' but both image_inline and image_url are 'no'")
    data["models"][0]["sync"]["features"]["image_url"] = cell("unknown")
    parse(data)


def test_text_output_without_text_input() -> None:
    data = table({"models": ["m"], "sync": mode()})
    data["models"][0]["sync"]["inputs"]["text"] = cell("no")
    refused(data, "text input is 'no' but text output works")


def test_working_features_without_any_working_output_modality() -> None:
    data = table({"models": ["m"], "sync": {"features": {"seed": cell("yes")}}})
    refused(data, "seed works, but no output modality does (none is given)")
    data = table(
        {
            "models": ["m"],
            "sync": {
                "outputs": {"text": cell("no")},
                "features": {"json": cell("yes"), "stop": cell("flaky")},
            },
        }
    )
    refused(data, "stop, json work, but no output modality does (text is 'no')")
    # Not known to produce text (say, its Text scenario failed on a 500) is not a contradiction.
    data["models"][0]["sync"]["outputs"]["text"] = cell("unknown")
    parse(data)


def test_a_mode_without_outputs_may_hold_unknown_and_no_features() -> None:
    # Every feature is written out, unknown ones too: a mode examined without any output must
    # read back from its own file form, and a documented "no" needs no output either.
    examined = ModelScore(models=("m",), sync=ModeScore())
    text = ProviderScore(provider="acme", models=(examined,)).to_json()
    assert ProviderScore.from_json(text).entry("m").sync == ModeScore(features={})
    parse(table({"models": ["m"], "sync": {"features": {"top_logprobs": cell("no")}}}))


def test_bias_and_indecision_cannot_both_always_hold() -> None:
    data = table(
        {
            "models": ["m"],
            "sync": mode(tools="yes", parallel_tools="yes", tool_bias="yes", tool_indecision="yes"),
        }
    )
    refused(data, "tool_bias is 'yes'", "tool_indecision is 'yes'")
    # Biased on one question, once per option on the other: what GLM-5.2 did.
    parse(
        table(
            {
                "models": ["m"],
                "sync": mode(
                    tools="yes", parallel_tools="yes", tool_bias="flaky", tool_indecision="yes"
                ),
            }
        )
    )


def test_contradictions_lists_every_one() -> None:
    # Built without validation, to read the list the validator would refuse.
    src = Source(**DOC)
    score = ModeScore.model_construct(
        inputs={},
        outputs={"text": Cell(status="yes", source=src)},
        features={
            Feature.TOOLS: Cell(status="no", source=src),
            Feature.TOOL_BIAS: Cell(status="yes", source=src),
            Feature.PARALLEL_TOOLS: Cell(status="flaky", source=src),
        },
    )
    assert score.contradictions() == [
        "tools is 'no' but parallel_tools is 'flaky'",
        "tools is 'no' but tool_bias is 'yes'",
    ]


# -- entries and tables --------------------------------------------------------------------------


def test_a_model_in_two_entries() -> None:
    refused(
        table({"models": ["a", "b"]}, {"models": ["c", "b"]}), "model 'b' is in entries 0 and 1"
    )


def test_a_model_twice_in_one_entry_and_blank_ids() -> None:
    refused(table({"models": ["a", "a"]}), "a model is listed twice")
    refused(table({"models": [" a"]}), "without surrounding spaces")
    refused(table({"models": []}), "models")


def test_two_entries_with_one_tier() -> None:
    refused(
        table({"models": ["a"], "tier": "good"}, {"models": ["b"], "tier": "good"}),
        "two entries claim the good tier: 'a' and 'b'",
    )
    data = parse(table(*({"models": [t], "tier": t} for t in TIERS)))
    assert [data.tier(t).model for t in TIERS] == list(TIERS)


def test_a_tier_on_a_group() -> None:
    refused(table({"models": ["a", "b"], "tier": "sota"}), "the sota tier names one model")


def test_unknown_tier_name() -> None:
    refused(table({"models": ["a"], "tier": "best"}), "tier")
    with pytest.raises(UnknownEntryError, match="tiers are: sota, good, cheap"):
        parse(table({"models": ["a"]})).tier("best")
    assert parse(table({"models": ["a"], "tier": "good"})).tier(" Good").model == "a"
    with pytest.raises(UnknownEntryError, match="marks no model as 'cheap'"):
        parse(table({"models": ["a"]})).tier("cheap")


def test_unknown_feature_and_modality_names() -> None:
    data = table({"models": ["m"], "sync": mode()})
    data["models"][0]["sync"]["features"]["telepathy"] = cell("yes")
    refused(data, "features.telepathy", "'usage'")
    data = table({"models": ["m"], "sync": mode()})
    data["models"][0]["sync"]["outputs"]["smell"] = cell("yes")
    refused(data, "outputs.smell", "'text'")
    data = table({"models": ["m"], "sync": mode()})
    data["models"][0]["sync"]["features"]["tools"] = cell("sometimes")
    refused(data, "features.tools", "status: Input should be 'yes', 'flaky', 'no' or 'unknown'")


def test_unknown_mode_key_and_unknown_top_level_key() -> None:
    refused(table({"models": ["m"], "batch": mode()}), "batch")
    refused(table({"models": ["m"]}, colour="red"), "colour")


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_wrong_version(version: object) -> None:
    refused(table({"models": ["m"]}) | {"version": version}, f"version {version!r}")


def test_not_json_and_not_an_object() -> None:
    with pytest.raises(ScoreboardError, match=r"x\.json: not JSON"):
        ProviderScore.from_json("{", where="x.json")
    with pytest.raises(ScoreboardError, match="a scoreboard is a JSON object"):
        ProviderScore.from_json("[]", where="x.json")


def test_errors_are_genai_validation_errors() -> None:
    assert issubclass(ScoreboardError, genai_core.ValidationError)
    assert issubclass(UnknownEntryError, ScoreboardError)
    assert issubclass(UnknownEntryError, LookupError)


# -- lookups -------------------------------------------------------------------------------------


def test_missing_features_and_modes_read_as_unknown_never_no() -> None:
    data = parse(table({"models": ["m"], "sync": mode(tools="yes")}, {"models": ["n"]}))
    m = data.entry("m")
    assert m.cell("tools").status is Status.YES
    assert m.cell("seed").status is Status.UNKNOWN  # not in the file
    assert m.cell("tools", "stream").status is Status.UNKNOWN  # mode never examined
    assert m.stream is None and m.tested
    assert m.sync is not None and m.sync.input("image").status is Status.UNKNOWN
    n = data.entry("n")
    assert not n.tested
    assert {n.cell(f, md).status for f in Feature for md in ("sync", "stream")} == {Status.UNKNOWN}


def test_entry_lookup_lists_the_known_models() -> None:
    data = parse(table({"models": ["a", "a-fast"]}, {"models": ["b"]}))
    assert data.entry("a-fast").model == "a"
    assert data.model_ids() == ["a", "a-fast", "b"]
    with pytest.raises(UnknownEntryError, match="no model 'c'; it lists: a, a-fast, b"):
        data.entry("c")


def test_mode_and_feature_names_are_checked() -> None:
    entry = parse(table({"models": ["a"], "sync": mode()})).entry("a")
    with pytest.raises(UnknownEntryError, match="modes are: sync, stream"):
        entry.cell("tools", "batch")
    with pytest.raises(UnknownEntryError, match="features are: usage, finish_reason"):
        entry.cell("tool")
    assert parse_feature("Top-Logprobs") is Feature.TOP_LOGPROBS
    assert parse_feature(Feature.SEED) is Feature.SEED
    # Every name is read the same way: case and surrounding spaces do not matter.
    assert entry.cell("tools", " Sync") == entry.cell("tools", "sync")
    assert entry.mode("STREAM") is None


def test_status_truth() -> None:
    assert bool(Status.YES) is True
    assert [bool(s) for s in (Status.FLAKY, Status.NO, Status.UNKNOWN)] == [False] * 3
    assert [s.works for s in Status] == [True, True, False, False]
    assert str(Status.FLAKY) == "flaky" and Status("no") is Status.NO


def test_every_feature_has_help() -> None:
    assert set(FEATURE_HELP) == set(Feature)
    assert all(text and not text.endswith(".") for text in FEATURE_HELP.values())


# -- file form -----------------------------------------------------------------------------------


def full_table() -> dict[str, Any]:
    sync = mode(tools="yes", parallel_tools="flaky", seed="no")
    sync["inputs"]["image"] = cell("yes")
    sync["features"]["image_url"] = cell("yes", note="by URL only")
    stream = mode(usage="yes")
    stream["features"]["seed"] = {
        "status": "yes",
        "source": {
            "kind": "smoke",
            "scenarios": ["GenStream-Seed"],
            "model": "m",
            "recorded": "2026-06-22",
        },
    }
    return table(
        {"models": ["m"], "tier": "cheap", "comments": "measured", "sync": sync, "stream": stream},
        {"models": ["n", "n-fast"]},
        country="US",
        dashboard_url="https://example.com/",
        warnings=["beta"],
    )


def test_round_trip_is_stable_and_writes_every_feature() -> None:
    first = parse(full_table())
    text = first.to_json()
    assert text.endswith("}\n") and "\n  " in text
    again = ProviderScore.from_json(text)
    assert again == first
    assert again.to_json() == text  # a second trip changes nothing
    written = json.loads(text)
    for key in ("sync", "stream"):
        features = written["models"][0][key]["features"]
        assert list(features) == [f.value for f in Feature]  # all of them, in Feature order
    assert written["models"][0]["sync"]["features"]["stop"] == {"status": "unknown"}
    assert written["models"][0]["stream"]["features"]["seed"]["source"] == {
        "kind": "smoke",
        "scenarios": ["GenStream-Seed"],
        "model": "m",
        "recorded": "2026-06-22",
    }
    assert "sync" not in written["models"][1]  # a mode never examined is not invented
    assert list(written) == [
        "version",
        "provider",
        "country",
        "dashboard_url",
        "warnings",
        "models",
    ]


def test_modalities_are_written_in_modality_order() -> None:
    data = full_table()
    sync = data["models"][0]["sync"]
    sync["inputs"] = {"image": sync["inputs"]["image"], "text": sync["inputs"]["text"]}
    written = json.loads(parse(data).to_json())
    assert list(written["models"][0]["sync"]["inputs"]) == [
        m for m in MODALITIES if m in ("text", "image")
    ]


def test_a_file_without_some_features_reads_them_as_unknown() -> None:
    data = full_table()
    sparse = copy.deepcopy(data)
    del sparse["models"][0]["sync"]["features"]["seed"]
    score = parse(sparse)
    assert score.entry("m").cell("seed").status is Status.UNKNOWN
    assert parse(data).entry("m").cell("seed").status is Status.NO


def test_entries_are_immutable() -> None:
    score = parse(full_table())
    with pytest.raises(Exception, match="frozen"):
        score.provider = "other"
    entry = score.entry("m")
    assert isinstance(entry, ModelScore)
    with pytest.raises(Exception, match="frozen"):
        entry.tier = "sota"


# -- the shipped table ---------------------------------------------------------------------------


def shipped_text() -> str:
    return resources.files("genai_baseten").joinpath("scoreboard.json").read_text("utf-8")


def test_shipped_table_validates_and_is_canonical() -> None:
    text = shipped_text()
    score = ProviderScore.from_json(text, where="genai_baseten/scoreboard.json")
    assert score.provider == "baseten"
    assert score.to_json() == text, "rewrite the file with ProviderScore.to_json()"


def test_shipped_table_tiers() -> None:
    score = ProviderScore.from_json(shipped_text())
    assert {t: score.tier(t).model for t in TIERS} == {
        "sota": "zai-org/GLM-5.2",
        "good": "deepseek-ai/DeepSeek-V4-Pro",
        "cheap": "openai/gpt-oss-120b",
    }


def test_shipped_cells_say_where_they_come_from() -> None:
    score = ProviderScore.from_json(shipped_text())
    for entry in score.models:
        for md in ("sync", "stream"):
            examined = entry.mode(md)
            if examined is None:
                continue
            for name, c in examined.cells():
                if c.status is Status.UNKNOWN:
                    continue
                assert c.source is not None, (entry.model, md, name)
                if c.source.kind == "documented":
                    assert c.source.reference and c.source.note, (entry.model, md, name)
                if c.source.model is not None:
                    assert c.source.model in entry.models


# What Baseten's model list advertises (supported_features) and the feature it stands for.
ADVERTISED = {
    "json_mode": Feature.JSON,
    "structured_outputs": Feature.JSON_SCHEMA,
    "tools": Feature.TOOLS,
    "reasoning": Feature.REASONING,
}


def test_cells_documented_from_the_model_list_say_what_it_advertises() -> None:
    # The cells whose source is the recorded GET /v1/models must be exactly the features that
    # list advertises for the model: "yes" for each, and nothing else from that source (a
    # feature not advertised stays unknown, never "no").
    root = wire.wire_dir()
    if root is None:
        pytest.skip(wire.SKIP_REASON)
    recording = json.loads((root / "baseten" / "example.json").read_text(encoding="utf-8"))
    listed = {
        m["id"]: m
        for i in recording["interactions"]
        for m in json.loads(i["response"]["body"])["data"]
    }
    score = ProviderScore.from_json(shipped_text())
    checked = 0
    for entry in score.models:
        for md in ("sync", "stream"):
            examined = entry.mode(md)
            if examined is None:
                continue
            from_list = {
                f: c
                for f, c in examined.features.items()
                if c.source is not None and "GET /v1/models" in (c.source.reference or "")
            }
            if not from_list:
                continue
            advertised = {
                ADVERTISED[name]
                for name in listed[entry.model]["supported_features"]
                if name in ADVERTISED
            }
            assert set(from_list) == advertised, (entry.model, md)
            assert all(c.status is Status.YES for c in from_list.values()), (entry.model, md)
            checked += len(from_list)
    assert checked == 6  # GLM-4.7: json, json_schema and tools, sync and stream
