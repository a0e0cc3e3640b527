"""Questions asked of the capability tables: ``scoreboard.find`` / ``supports``, the tier rule
(``pick_tier``), and the clients' ``scoreboard()``, ``supports()`` and ``model="cheap"``.

Query tests run on a small table authored here, installed as the provider ``acme``; the tier
tests run on the model lists Baseten served in the recordings (the 13-model ``Warmup`` list,
named in ../shared/wire/README.md, and ``example.json`` replayed from GENAI_WIRE_DIR) and on
authored lists for the edge cases. Expected tiers are worked out by hand from the rule.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
import types
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import wire
from harness.chat import ChatAnswer
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_mode, resolve
from harness.scripted import ScriptedServer

import genai_baseten
import genai_core as genai
import scoreboard
from genai_core import capabilities
from genai_core.errors import NotSupportedError, ValidationError
from genai_core.httprecord import Cassette, ReplayTransport
from genai_core.openai_chat import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from scoreboard import Feature, Match, ProviderScore, Status, UnknownEntryError
from scoreboard import tables as sb_tables

DOC = {"kind": "documented", "reference": "https://example.com/acme"}


def cell(status: str) -> dict[str, Any]:
    return {"status": status, "source": DOC}


def mode(**features: str) -> dict[str, Any]:
    return {
        "inputs": {"text": cell("yes")},
        "outputs": {"text": cell("yes")},
        "features": {k: cell(v) for k, v in features.items()},
    }


ACME = ProviderScore.from_dict(
    {
        "provider": "acme",
        "models": [
            {
                "models": ["acme/big-2"],
                "tier": "sota",
                "sync": mode(tools="yes", seed="yes"),
                "stream": mode(tools="flaky", seed="yes"),
            },
            {
                "models": ["acme/small-1", "acme/small-1-fast"],
                "sync": mode(tools="yes", seed="no"),
                "stream": mode(tools="yes"),
            },
            {"models": ["acme/new-3"], "sync": mode(tools="no")},
        ],
    }
)


def entry_points(**targets: str) -> dict[str, metadata.EntryPoint]:
    """Entry points of group genai.scoreboards, as installed metadata would list them."""
    group = sb_tables.ENTRY_POINT_GROUP
    return {name: metadata.EntryPoint(name, value, group) for name, value in targets.items()}


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> ProviderScore:
    """``acme``'s table installed next to the shipped ones."""
    module = types.ModuleType("acme_scoreboard")
    module.table = lambda: ACME  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "acme_scoreboard", module)
    loaders = entry_points(acme="acme_scoreboard:table", baseten="genai_baseten:scoreboard")
    monkeypatch.setattr(sb_tables, "installed", lambda: loaders)
    return ACME


def picked(matches: list[Match]) -> list[tuple[str, str, str, str]]:
    return [(m.model, m.mode, m.feature.value, m.status.value) for m in matches]


# -- find ----------------------------------------------------------------------------------------


def test_find_tools_in_stream(acme: ProviderScore) -> None:
    found = scoreboard.find(provider="acme", feature="tools", mode="stream")
    assert picked(found) == [("acme/small-1", "stream", "tools", "yes")]
    assert found[0].models == ("acme/small-1", "acme/small-1-fast")
    assert found[0].provider == "acme" and found[0].tier is None
    assert str(found[0]) == "acme acme/small-1 stream tools: yes"


def test_find_with_several_statuses_and_all(acme: ProviderScore) -> None:
    works = scoreboard.find("acme", feature="tools", status=["yes", Status.FLAKY])
    assert picked(works) == [
        ("acme/big-2", "sync", "tools", "yes"),
        ("acme/big-2", "stream", "tools", "flaky"),
        ("acme/small-1", "sync", "tools", "yes"),
        ("acme/small-1", "stream", "tools", "yes"),
    ]
    everything = scoreboard.find("acme", feature="tools", status=None)
    assert len(everything) == 6  # three entries, two modes each
    assert ("acme/new-3", "sync", "tools", "no") in picked(everything)


def test_a_mode_never_examined_reads_unknown(acme: ProviderScore) -> None:
    found = scoreboard.find("acme", model="acme/new-3", mode="stream", status="UNKNOWN")
    assert [m.feature for m in found] == list(Feature)
    assert {m.cell.source for m in found} == {None}
    assert scoreboard.find("acme", model="acme/new-3", mode="stream") == []  # nothing says yes


def test_find_by_a_group_member(acme: ProviderScore) -> None:
    found = scoreboard.find("acme", model="acme/small-1-fast", feature="seed", status=None)
    assert picked(found) == [
        ("acme/small-1", "sync", "seed", "no"),
        ("acme/small-1", "stream", "seed", "unknown"),
    ]


def test_find_across_providers(acme: ProviderScore) -> None:
    found = scoreboard.find(feature="tools", mode="sync")
    providers = {m.provider for m in found}
    assert providers == {"acme", "baseten"}
    assert ("acme/big-2", "sync", "tools", "yes") in picked(found)
    assert {m.tier for m in found if m.provider == "acme"} == {"sota", None}
    only = scoreboard.find(model="acme/big-2", feature="seed", mode="stream")
    assert picked(only) == [("acme/big-2", "stream", "seed", "yes")]


def test_unknown_names_list_what_exists(acme: ProviderScore) -> None:
    with pytest.raises(UnknownEntryError, match="providers with one: acme, baseten"):
        scoreboard.find("acmee")
    with pytest.raises(UnknownEntryError, match="it lists: acme/big-2, acme/small-1, acme/small"):
        scoreboard.find("acme", model="acme/big-3")
    with pytest.raises(UnknownEntryError, match=r"acme: acme/big-2.*; baseten: zai-org/GLM-5\.2"):
        scoreboard.find(model="acme/big-3")
    with pytest.raises(UnknownEntryError, match="features are: usage, finish_reason"):
        scoreboard.find("acme", feature="toolz")
    with pytest.raises(UnknownEntryError, match="modes are: sync, stream"):
        scoreboard.find("acme", mode="async")
    with pytest.raises(UnknownEntryError, match="statuses are: yes, flaky, no, unknown"):
        scoreboard.find("acme", status="maybe")
    with pytest.raises(UnknownEntryError, match="statuses are"):
        scoreboard.find("acme", status=[True])  # type: ignore[list-item]
    with pytest.raises(UnknownEntryError, match="empty collection"):
        scoreboard.find("acme", status=[])


def test_a_table_that_cannot_be_loaded_says_where_it_comes_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaders = entry_points(gone="no_such_module_here:table", baseten="genai_baseten:missing")
    monkeypatch.setattr(sb_tables, "installed", lambda: loaders)
    with pytest.raises(scoreboard.ScoreboardError, match="no_such_module_here:table") as info:
        scoreboard.load("gone")
    assert "entry point group genai.scoreboards" in str(info.value)
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    with pytest.raises(scoreboard.ScoreboardError, match="genai_baseten:missing"):
        scoreboard.find(feature="tools")


def test_modality_names_are_checked(acme: ProviderScore) -> None:
    score = scoreboard.load("acme").entry("acme/big-2").sync
    assert score is not None
    assert score.input(" Text").status is Status.YES
    assert score.output("image").status is Status.UNKNOWN
    with pytest.raises(UnknownEntryError, match="modalities are: text, image, audio, video"):
        score.input("images")
    with pytest.raises(UnknownEntryError, match="features are: usage"):
        score.feature("logprobs")


def test_supports(acme: ProviderScore) -> None:
    assert scoreboard.supports("acme", "acme/big-2", "tools") is Status.YES
    assert scoreboard.supports("acme", "acme/big-2", "tools", "stream") is Status.FLAKY
    assert not scoreboard.supports("acme", "acme/big-2", "tools", "stream")
    assert scoreboard.supports("acme", "acme/small-1-fast", Feature.SEED) is Status.NO
    assert scoreboard.supports("acme", "acme/new-3", "seed", "stream") is Status.UNKNOWN
    with pytest.raises(UnknownEntryError, match="no model 'acme/x'"):
        scoreboard.supports("acme", "acme/x", "tools")
    with pytest.raises(UnknownEntryError, match="unknown feature"):
        scoreboard.supports("acme", "acme/big-2", "teleport")


def test_shipped_baseten_answers() -> None:
    # Facts stated in ../shared/wire/README.md about the reference client's recordings: GLM
    # refuses logprobs with 400, and neither GLM nor DeepSeek takes images.
    assert scoreboard.supports("baseten", "zai-org/GLM-5.2", "top_logprobs") is Status.NO
    for model in ("zai-org/GLM-5.2", "deepseek-ai/DeepSeek-V4-Pro"):
        for m in ("sync", "stream"):
            assert scoreboard.supports("baseten", model, "image_inline", m) is Status.NO
    # A model nothing documents stays unknown, never no.
    assert {
        c.status for c in scoreboard.find("baseten", model="moonshotai/Kimi-K3", status=None)
    } == {Status.UNKNOWN}


# -- the tier rule -------------------------------------------------------------------------------

# The model list of the reference client's Warmup recording (../shared/wire/README.md).
WARMUP = [
    "openai/gpt-oss-120b",
    "zai-org/GLM-4.7",
    "moonshotai/Kimi-K2.6",
    "deepseek-ai/DeepSeek-V4-Pro",
    "nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B",
    "zai-org/GLM-5.2",
    "moonshotai/Kimi-K2.7-Code",
    "deepseek-ai/DeepSeek-V4-Flash-0731",
    "thinkingmachines/inkling",
    "zai-org/GLM-5.2-Fast",
    "moonshotai/Kimi-K3",
    "thinkingmachines/inkling-small",
    "deepseek-ai/DeepSeek-V4-Pro-0813",
]


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("zai-org/GLM-5.2", "zai-org/GLM-"),
        ("openai/gpt-oss-120b", "openai/gpt-oss-"),
        ("deepseek-ai/DeepSeek-V4-Pro", "deepseek-ai/DeepSeek-V"),
        ("thinkingmachines/inkling", "thinkingmachines/inkling"),
        ("org2/model-7b", "org2/model-"),  # digits in the owner do not count
        ("gpt-4o", "gpt-"),
    ],
)
def test_model_family(model: str, family: str) -> None:
    assert scoreboard.model_family(model) == family


def test_model_version() -> None:
    assert scoreboard.model_version("zai-org/GLM-4.10", "zai-org/GLM-") == (4, 10)
    assert scoreboard.model_version(
        "deepseek-ai/DeepSeek-V4-Flash-0731", "deepseek-ai/DeepSeek-V"
    ) == (4,)
    assert scoreboard.model_version("openai/gpt-oss-120b", "openai/gpt-oss-") == (120,)
    assert scoreboard.model_version("zai-org/GLM-X", "zai-org/GLM-") is None
    assert scoreboard.model_version("openai/gpt-4o", "zai-org/GLM-") is None


def tiers(model: str) -> ProviderScore:
    """A table whose only entry, ``model``, is the sota tier."""
    return ProviderScore.from_dict(
        {"provider": "t", "models": [{"models": [model], "tier": "sota"}]}
    )


def test_warmup_list_gives_the_recorded_preferences() -> None:
    # The reference client's "Preferred" test: SOTA GLM-5.2, Good DeepSeek-V4-Pro, Cheap
    # gpt-oss-120b. GLM-5.2 and GLM-5.2-Fast tie at 5.2; the DeepSeek-V family ties at 4 between
    # V4-Pro, V4-Flash-0731 and V4-Pro-0813: the tier's own model is listed and wins each tie.
    table = scoreboard.load("baseten")
    assert scoreboard.pick_tier(table, "sota", WARMUP) == "zai-org/GLM-5.2"
    assert scoreboard.pick_tier(table, "good", WARMUP) == "deepseek-ai/DeepSeek-V4-Pro"
    assert scoreboard.pick_tier(table, "cheap", WARMUP) == "openai/gpt-oss-120b"
    assert scoreboard.pick_tier(table, "SOTA", WARMUP) == "zai-org/GLM-5.2"


def test_versions_compare_as_numbers() -> None:
    table = tiers("z/GLM-4.9")
    assert scoreboard.pick_tier(table, "sota", ["z/GLM-4.9", "z/GLM-4.10", "z/GLM-4.2"]) == (
        "z/GLM-4.10"
    )
    assert scoreboard.pick_tier(table, "sota", ["z/GLM-5", "z/GLM-4.10"]) == "z/GLM-5"
    assert scoreboard.pick_tier(table, "sota", ["z/GLM-5", "z/GLM-5.1"]) == "z/GLM-5.1"
    assert scoreboard.pick_tier(table, "sota", ["z/GLM-10", "z/GLM-9.9"]) == "z/GLM-10"


def test_ties_prefer_the_tier_model_then_the_first_listed() -> None:
    table = tiers("d/DeepSeek-V4-Pro")
    # All three are version 4: the tier's own model wins the tie wherever it is listed.
    listed = ["d/DeepSeek-V4-Flash-0731", "d/DeepSeek-V4-Pro", "d/DeepSeek-V4-Pro-0813"]
    assert scoreboard.pick_tier(table, "sota", listed) == "d/DeepSeek-V4-Pro"
    listed = ["z/GLM-5.2-Fast", "z/GLM-5.2"]
    assert scoreboard.pick_tier(tiers("z/GLM-5.2"), "sota", listed) == "z/GLM-5.2"
    # Without the tier's model in the list, the first listed of the tie wins.
    listed = ["d/DeepSeek-V4-Flash-0731", "d/DeepSeek-V4-Pro-0813"]
    assert scoreboard.pick_tier(table, "sota", listed) == "d/DeepSeek-V4-Flash-0731"
    # A newer version still beats the tier's own model.
    listed = ["d/DeepSeek-V4-Pro", "d/DeepSeek-V5-Flash"]
    assert scoreboard.pick_tier(table, "sota", listed) == "d/DeepSeek-V5-Flash"
    # A date suffix is not a version: 4-0731 is version 4, below 4.1.
    listed = ["d/DeepSeek-V4-0731", "d/DeepSeek-V4.1"]
    assert scoreboard.pick_tier(table, "sota", listed) == "d/DeepSeek-V4.1"


def test_other_families_are_ignored() -> None:
    table = tiers("o/gpt-oss-120b")
    listed = ["o/gpt-oss-safeguard-20b", "o/gpt-5", "o/gpt-oss-20b", "x/gpt-oss-999b"]
    assert scoreboard.pick_tier(table, "sota", listed) == "o/gpt-oss-20b"
    # A model without a version is its own family.
    assert scoreboard.pick_tier(tiers("t/inkling"), "sota", ["t/inkling-small", "t/inkling"]) == (
        "t/inkling"
    )


def test_no_model_of_the_family() -> None:
    table = tiers("z/GLM-5.2")
    with pytest.raises(UnknownEntryError) as info:
        scoreboard.pick_tier(table, "sota", ["o/gpt-oss-120b", "z/glm-6"])
    message = str(info.value)
    for needle in ("'sota'", "'z/GLM-'", "o/gpt-oss-120b, z/glm-6", "Pass a model id"):
        assert needle in message
    with pytest.raises(UnknownEntryError, match="it lists: no models"):
        scoreboard.pick_tier(table, "sota", [])
    with pytest.raises(UnknownEntryError, match="marks no model as 'cheap'"):
        scoreboard.pick_tier(table, "cheap", ["z/GLM-5.2"])
    with pytest.raises(UnknownEntryError, match="tiers are: sota, good, cheap"):
        scoreboard.pick_tier(table, "best", ["z/GLM-5.2"])


def test_client_tier_names_match_the_schema() -> None:
    assert capabilities.TIERS == scoreboard.TIERS


# -- clients -------------------------------------------------------------------------------------

KEY = "tier-test-key"


class Baseten(ScriptedServer):
    """An authored Baseten: serves ``models`` at GET /models and a short answer to each chat;
    ``seen`` lists (method, path, model) of what arrived."""

    def __init__(self, models: list[str]) -> None:
        super().__init__(self.answer)
        self.models = models

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": m} for m in self.models]})
        assert request.url.path == "/v1/chat/completions", request.url
        return ChatAnswer(content="Hi")(request)

    @property
    def seen(self) -> list[tuple[str, str, str | None]]:
        return [
            ("GET", "/models", None)
            if r.method == "GET"
            else ("POST", "/chat/completions", json.loads(r.content)["model"])
            for r in self.requests
        ]


def sync_client(server: Any, **kw: Any) -> genai_baseten.Client:
    return genai_baseten.Client(api_key=KEY, transport=httpx.MockTransport(server), **kw)


def async_client(server: Any, **kw: Any) -> genai_baseten.AsyncClient:
    return genai_baseten.AsyncClient(api_key=KEY, transport=httpx.MockTransport(server), **kw)


HI = [genai.Message.user("Say hi")]


@each_mode
@pytest.mark.parametrize(
    ("tier", "picked"),
    [("good", "deepseek-ai/DeepSeek-V4-Pro"), ("sota", "zai-org/GLM-5.2")],
)
async def test_a_tier_resolves_on_the_first_request(mode: Mode, tier: str, picked: str) -> None:
    server = Baseten(WARMUP)
    flavor = mode.flavor
    client = flavor.pick(sync_client, async_client)(server, model=tier)
    assert (client.model, client.tier) == (None, tier)
    assert f"tier={tier!r}" in repr(client)
    assert server.seen == []  # the constructor sends nothing
    for i in range(2):
        if mode.stream:
            s = client.gen_stream(HI)
            assert len(server.seen) == 2 * i  # lazy: inputs checked, nothing sent until iterated
            fragments, _ = await flavor.collect(s)
            text = "".join(f.text or "" for f in fragments)
        else:
            text = (await flavor.gen_sync(client, HI)).text
        assert text == "Hi"
    assert client.model == picked
    assert await resolve(client.resolve_model()) == picked
    assert server.seen == [
        ("GET", "/models", None),
        ("POST", "/chat/completions", picked),
        ("POST", "/chat/completions", picked),
    ]
    await flavor.close(client)


@pytest.mark.anyio
async def test_concurrent_first_requests_list_the_models_once() -> None:
    server = Baseten(WARMUP)

    async def slow(request: httpx.Request) -> httpx.Response:
        # The list takes a while: the other tasks reach resolve_model meanwhile.
        if request.method == "GET":
            await anyio.sleep(0.05)
        return server(request)

    client = genai_baseten.AsyncClient(
        api_key=KEY, transport=httpx.MockTransport(slow), model="cheap"
    )
    texts: list[str | None] = []

    async def ask() -> None:
        texts.append((await client.gen_sync(HI)).text)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(ask)
    assert texts == ["Hi"] * 3
    assert [s for s in server.seen if s[0] == "GET"] == [("GET", "/models", None)]
    assert {s[2] for s in server.seen if s[0] == "POST"} == {"openai/gpt-oss-120b"}
    await client.aclose()


def test_threads_share_one_model_list() -> None:
    server = Baseten(WARMUP)

    def slow(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            time.sleep(0.05)  # the other threads reach resolve_model meanwhile
        return server(request)

    client = sync_client(slow, model="good")
    threads = [threading.Thread(target=client.gen_sync, args=(HI,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s in server.seen if s[0] == "GET"] == [("GET", "/models", None)]
    assert len(server.seen) == 5


def test_explicit_resolve_and_an_earlier_list() -> None:
    server = Baseten(WARMUP)
    client = sync_client(server, model="CHEAP")
    assert client.resolve_model() == "openai/gpt-oss-120b"
    assert client.resolve_model() == "openai/gpt-oss-120b"
    assert server.seen == [("GET", "/models", None)]
    # A list fetched by the caller first is used, not fetched again.
    server2 = Baseten(["zai-org/GLM-5.2", "zai-org/GLM-6"])
    client2 = sync_client(server2, model="sota")
    client2.list_models()
    assert client2.resolve_model() == "zai-org/GLM-6"
    assert server2.seen == [("GET", "/models", None)]


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_models_given_resolve_in_the_constructor(flavor: Flavor) -> None:
    make = partial(flavor.mock_client, api_key=KEY)
    models = [genai.Model(id=m) for m in ["zai-org/GLM-5.2", "zai-org/GLM-5.10", "zai-org/GLM-5.9"]]
    client = make(refuse, model="sota", models=models)
    assert client.model == "zai-org/GLM-5.10"
    assert client.tier == "sota"
    # Bare ids do as well as Model objects (a list kept from elsewhere, or typed by hand).
    by_id = make(refuse, model="cheap", models=["openai/gpt-oss-20b", "openai/gpt-oss-120b"])
    assert by_id.model == "openai/gpt-oss-120b"
    with pytest.raises(ValidationError, match="models= takes Model objects or model ids"):
        make(refuse, model="cheap", models=[""])


@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_a_tier_newer_than_the_table_answers_from_the_tier_entry(flavor: Flavor) -> None:
    make = partial(flavor.mock_client, api_key=KEY)
    # Baseten lists a GLM release the shipped table has never heard of: "sota" picks it, and
    # supports() answers from the entry the tier was measured on (zai-org/GLM-5.2).
    models = [genai.Model(id=m) for m in [*WARMUP, "zai-org/GLM-5.3"]]
    client = make(refuse, model="sota", models=models)
    assert client.model == "zai-org/GLM-5.3"
    table = client.scoreboard()
    with pytest.raises(UnknownEntryError):
        table.entry("zai-org/GLM-5.3")
    for feature in Feature:
        for mode in ("sync", "stream"):
            expected = table.entry("zai-org/GLM-5.2").cell(feature, mode).status
            assert client.supports(feature, mode) is expected, (feature, mode)
    assert client.supports("top_logprobs") is Status.NO
    assert client.supports("tool_bias", "sync") is Status.FLAKY
    # A tier that picked a model the table does list answers for that model, unknowns included.
    listed = make(refuse, model="good", models=[genai.Model(id="deepseek-ai/DeepSeek-V4-Pro-0813")])
    assert listed.model == "deepseek-ai/DeepSeek-V4-Pro-0813"
    assert listed.supports("tools") is Status.UNKNOWN


@pytest.mark.parametrize("think_tags", ["auto", "off"])
@pytest.mark.parametrize("stream", [False, True], ids=["gen_sync", "gen_stream"])
def test_the_answer_is_read_as_planned_for_the_model_picked(stream: bool, think_tags: str) -> None:
    # The request is built before the tier is resolved (checked against the table's stand-in,
    # zai-org/GLM-5.2), then again for the model the list gives (a newer GLM): what is sent is
    # the picked model's body (with its thinking switch), and the answer is read the way the
    # call asked (inline <think> tags split off, or left in the text).
    served: list[dict[str, Any]] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"data": [{"id": m} for m in [*WARMUP, GLM_NEXT]]})
        served.append(json.loads(request.content))
        return ChatAnswer(content="<think>hmm</think>Hi").response(stream)

    client = genai_baseten.Client(model="sota", api_key=KEY, transport=httpx.MockTransport(server))
    options = genai.TextOptions(think_tags=think_tags)  # type: ignore[arg-type]
    if stream:
        with client.gen_stream(HI, options) as s:
            list(s)
            res = s.result()
    else:
        res = client.gen_sync(HI, options)
    [body] = served
    assert body["model"] == GLM_NEXT
    assert body["chat_template_args"] == {"enable_thinking": True}  # GLM thinks by default
    if think_tags == "auto":
        assert (res.reasoning, res.text) == ("hmm", "Hi")
    else:
        assert (res.reasoning, res.text) == ("", "<think>hmm</think>Hi")  # no reasoning


GLM_NEXT = "zai-org/GLM-5.3"


def test_get_provider_takes_a_tier() -> None:
    models = [genai.Model(id=m) for m in WARMUP]
    p = genai.get_provider("baseten", model="cheap", models=models, api_key=KEY)
    assert p.model == "openai/gpt-oss-120b"
    ap = genai.get_async_provider("baseten", model="good", models=models, api_key=KEY)
    assert ap.model == "deepseek-ai/DeepSeek-V4-Pro"
    p.close()


def test_no_model_of_the_family_is_a_clear_error() -> None:
    server = Baseten(["openai/gpt-oss-120b", "moonshotai/Kimi-K3"])
    client = sync_client(server, model="sota")
    with pytest.raises(UnknownEntryError) as info:
        client.gen_sync(HI)
    message = str(info.value)
    assert "'sota'" in message and "'zai-org/GLM-'" in message
    assert "openai/gpt-oss-120b, moonshotai/Kimi-K3" in message
    assert server.seen == [("GET", "/models", None)]  # no chat request went out
    with pytest.raises(UnknownEntryError, match="zai-org/GLM-"):
        sync_client(refuse, model="sota", models=[genai.Model(id="openai/gpt-oss-120b")])


def test_bad_input_fails_before_the_model_list() -> None:
    client = sync_client(refuse, model="cheap")
    with pytest.raises(ValidationError, match="option objects"):
        client.gen_sync(HI, 42)
    with pytest.raises(ValidationError, match="option objects"):
        client.gen_stream(HI, 42)
    with pytest.raises(NotSupportedError, match="another provider's options"):
        client.gen_sync(HI, _ForeignOptions())
    assert client.model is None


class _ForeignOptions(genai.openai_chat.Options):
    """Another provider's options: a subclass Baseten refuses before sending anything."""


def test_tier_with_model_info_is_refused() -> None:
    with pytest.raises(ValidationError, match="is a tier picked at run time"):
        sync_client(refuse, model="good", model_info=genai.Model(id="deepseek-ai/DeepSeek-V4-Pro"))


def test_openaicompatible_has_no_scoreboard_and_no_tiers() -> None:
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["model"])
        return ChatAnswer(content="Hi").response(False)

    client = OpenAICompatibleClient(
        base_url="http://127.0.0.1:9/v1", model="cheap", transport=httpx.MockTransport(server)
    )
    assert client.model == "cheap" and client.tier is None  # a server may call a model "cheap"
    client.gen_sync(HI)
    assert seen == ["cheap"]
    with pytest.raises(NotSupportedError, match="openaicompatible has no capability scoreboard"):
        client.scoreboard()
    with pytest.raises(NotSupportedError, match="providers with one: baseten"):
        client.supports("tools")
    aclient = AsyncOpenAICompatibleClient(base_url="http://127.0.0.1:9/v1", model="m")
    with pytest.raises(NotSupportedError):
        aclient.scoreboard()


@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_client_scoreboard_and_supports(flavor: Flavor) -> None:
    make = partial(flavor.mock_client, api_key=KEY)
    client = make(refuse, model="zai-org/GLM-5.2")
    assert client.scoreboard() is genai_baseten.scoreboard()
    assert client.scoreboard() == scoreboard.load("baseten")
    assert client.supports("top_logprobs") is Status.NO
    assert client.supports("tools", mode="stream") is Status.YES
    assert client.supports(Feature.TOOL_BIAS) is Status.FLAKY
    with pytest.raises(UnknownEntryError, match="features are: usage"):
        client.supports("tool")
    with pytest.raises(UnknownEntryError, match="modes are: sync, stream"):
        client.supports("tools", mode="batch")
    other = make(refuse, model="zai-org/GLM-9")
    with pytest.raises(UnknownEntryError, match="no model 'zai-org/GLM-9'; it lists: zai-org/GLM"):
        other.supports("tools")
    pending = make(refuse, model="sota")
    with pytest.raises(ValidationError, match="call resolve_model"):
        pending.supports("tools")
    with pytest.raises(ValidationError, match="has no model"):
        make(refuse).supports("tools")


def test_building_a_client_does_not_import_the_scoreboard() -> None:
    code = textwrap.dedent(
        """
        import sys
        import genai_baseten
        genai_baseten.Client(model="zai-org/GLM-5.2", api_key="k")
        print("scoreboard" in sys.modules)
        """
    )
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


# -- the older recorded list (../shared/wire/baseten/example.json) ------------------------------


@pytest.fixture
def example_cassette() -> Path:
    root = wire.wire_dir()
    if root is None:
        pytest.skip(wire.SKIP_REASON)
    return root / "baseten" / "example.json"


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        # zai-org/GLM-: GLM-4.6 (4.6), GLM-4.7 (4.7), GLM-5 (5) -> GLM-5.
        ("sota", "zai-org/GLM-5"),
        # deepseek-ai/DeepSeek-V: V3-0324 (3), V3.1 (3.1) -> V3.1.
        ("good", "deepseek-ai/DeepSeek-V3.1"),
        # openai/gpt-oss-: only gpt-oss-120b.
        ("cheap", "openai/gpt-oss-120b"),
    ],
)
def test_example_list_replayed(example_cassette: Path, tier: str, expected: str) -> None:
    transport = ReplayTransport(Cassette.load(example_cassette))
    client = genai_baseten.Client(model=tier, api_key=KEY, transport=transport)
    assert client.resolve_model() == expected
    assert client.model == expected
