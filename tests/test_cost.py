"""Cost of a call: Decimal dollars from the model list's per-token prices; None when unknown.

The expected values are written as arithmetic on the documented prices (Baseten lists dollars
per token under ``pricing``: ``prompt``, ``completion``, and on newer entries
``input_cache_read``), so that each can be checked by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import wire
from harness.chat import KEY, MODEL, ChatAnswer, ChatServer, chat_client, failing_midway
from harness.flavors import SYNC, Mode, each_mode

import genai_baseten
import genai_core as genai
from genai_core import Model, Result, Usage, ValidationError

# An authored price list in Baseten's shape (not a recording).
PRICED = Model(
    id=MODEL,
    pricing={
        "prompt": Decimal("0.000001"),
        "completion": Decimal("0.000002"),
        "input_cache_read": Decimal("0.0000001"),
        "image": Decimal("0"),
        "request": Decimal("0"),
    },
)


def usage(**counts: int) -> Usage:
    return Usage(**counts)


# --- the pure rules -------------------------------------------------------------------------


def test_input_and_output_tokens() -> None:
    u = usage(input_tokens=100, output_tokens=10, total_tokens=110)
    expected = 100 * Decimal("0.000001") + 10 * Decimal("0.000002")
    assert expected == Decimal("0.00012")
    assert genai.cost(u, PRICED) == expected
    assert isinstance(genai.cost(u, PRICED), Decimal)


def test_cached_input_at_the_cache_read_price() -> None:
    # 100 input tokens of which 64 came from the cache.
    u = usage(input_tokens=100, input_cached_tokens=64, output_tokens=10, total_tokens=110)
    expected = 36 * Decimal("0.000001") + 64 * Decimal("0.0000001") + 10 * Decimal("0.000002")
    assert expected == Decimal("0.0000624")
    assert genai.cost(u, PRICED) == expected


def test_cached_input_without_a_cache_price_costs_the_input_price() -> None:
    prices = {"prompt": Decimal("0.000001"), "completion": Decimal("0.000002")}
    u = usage(input_tokens=100, input_cached_tokens=64, output_tokens=10, total_tokens=110)
    assert genai.cost(u, prices) == 100 * Decimal("0.000001") + 10 * Decimal("0.000002")


def test_reasoning_tokens_are_output_tokens_counted_once() -> None:
    # completion_tokens (output_tokens) already includes the 40 reasoning tokens.
    u = usage(input_tokens=10, reasoning_tokens=40, output_tokens=50, total_tokens=60)
    expected = 10 * Decimal("0.000001") + 50 * Decimal("0.000002")
    assert genai.cost(u, PRICED) == expected == Decimal("0.00011")


def test_a_per_request_price_is_added_once() -> None:
    prices = {**PRICED.pricing, "request": Decimal("0.001")}
    u = usage(input_tokens=1, output_tokens=1, total_tokens=2)
    assert genai.cost(u, prices) == Decimal("0.000001") + Decimal("0.000002") + Decimal("0.001")


@pytest.mark.parametrize(
    "prices",
    [
        {},
        {"completion": Decimal("0.000002")},
        {"prompt": Decimal("0.000001")},
        None,
    ],
    ids=["none-listed", "no-input-price", "no-output-price", "no-model"],
)
def test_unknown_price_is_none(prices: dict[str, Decimal] | None) -> None:
    u = usage(input_tokens=10, output_tokens=5, total_tokens=15)
    assert genai.cost(u, prices) is None


def test_unknown_usage_is_none_never_zero() -> None:
    # A server that sends no usage leaves every counter at 0: that is "not reported", not free.
    assert genai.cost(Usage(), PRICED) is None
    assert Result().cost_for(PRICED) is None


def test_contradictory_counters_are_none() -> None:
    u = usage(input_tokens=10, input_cached_tokens=11, output_tokens=1, total_tokens=11)
    assert genai.cost(u, PRICED) is None


def test_free_prices_give_zero_not_none() -> None:
    free = {"prompt": Decimal(0), "completion": Decimal(0)}
    assert genai.cost(usage(input_tokens=3, output_tokens=2, total_tokens=5), free) == 0


def test_bad_arguments_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match=r"pricing must be a genai_core\.Model"):
        genai.cost(Usage(input_tokens=1), "cheap")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="takes a Result or a Usage"):
        genai.cost({"input_tokens": 1}, PRICED)  # type: ignore[arg-type]


def test_total_cost() -> None:
    a = Result(usage=usage(input_tokens=100, output_tokens=10, total_tokens=110))
    b = Result(usage=usage(input_tokens=10, output_tokens=5, total_tokens=15))
    pa, pb = (
        a.model_copy(update={"pricing": PRICED.pricing}),
        b.model_copy(update={"pricing": PRICED.pricing}),
    )
    assert genai.total_cost([pa, pb]) == (110 * Decimal("0.000001") + 15 * Decimal("0.000002"))
    assert genai.total_cost([pa, Decimal("1")]) == Decimal("1.00012")
    # One unknown makes the total unknown: a partial sum is not a total.
    assert genai.total_cost([pa, b]) is None
    assert genai.total_cost([]) == 0


def test_pricing_is_not_part_of_the_conversation() -> None:
    res = Result(usage=usage(input_tokens=1, output_tokens=1), pricing=dict(PRICED.pricing))
    assert "pricing" not in res.model_dump()
    assert "pricing" not in repr(res)


# --- on the client ---------------------------------------------------------------------------

CACHED_USAGE: dict[str, Any] = {
    "prompt_tokens": 100,
    "completion_tokens": 10,
    "total_tokens": 110,
    "prompt_tokens_details": {"cached_tokens": 64},
}


@each_mode
async def test_result_cost_with_model_info(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(ChatAnswer(content="Hi", usage=CACHED_USAGE))
    client = chat_client(mode, server, model_info=PRICED)
    res = await mode.generate(client, [genai.Message.user("Hi")])
    expected = 36 * Decimal("0.000001") + 64 * Decimal("0.0000001") + 10 * Decimal("0.000002")
    assert res.cost == expected


@each_mode
async def test_result_cost_is_none_when_the_client_knows_no_prices(
    anyio_backend: str, mode: Mode
) -> None:
    client = chat_client(mode, ChatServer(ChatAnswer(content="Hi")))
    res = await mode.generate(client, [genai.Message.user("Hi")])
    assert res.cost is None
    # harness.chat's default usage: 20 input, 5 output tokens.
    assert res.cost_for(PRICED) == 20 * Decimal("0.000001") + 5 * Decimal("0.000002")


def test_models_given_as_a_list_price_the_results() -> None:
    other = Model(id="other/model", pricing={"prompt": Decimal(1), "completion": Decimal(1)})
    client = chat_client(SYNC, ChatServer(ChatAnswer(content="Hi")), models=[other, PRICED])
    assert isinstance(client, genai_baseten.Client)
    res = client.gen_sync([genai.Message.user("Hi")])
    assert res.cost == 20 * Decimal("0.000001") + 5 * Decimal("0.000002")


def test_a_stream_error_keeps_the_priced_partial_result() -> None:
    usage = {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22}
    cut_short = failing_midway(ChatAnswer(content="Hel", usage=usage), 2)

    client = genai_baseten.Client(
        model=MODEL,
        api_key=KEY,
        model_info=PRICED,
        http_client=httpx.Client(transport=httpx.MockTransport(cut_short)),
    )
    stream = client.gen_stream([genai.Message.user("Hi")])
    with pytest.raises(genai.GenAIError, match="overloaded") as info, stream:
        list(stream)
    partial = info.value.partial_result
    assert partial is not None
    assert partial.pricing == PRICED.pricing


# --- on the recorded model list (../shared/wire/baseten/example.json) ------------------------


def _recorded_list() -> bytes:
    root = wire.wire_dir()
    if root is None:
        pytest.skip(wire.SKIP_REASON)
    recording = json.loads((root / "baseten" / "example.json").read_text(encoding="utf-8"))
    body: str = recording["interactions"][0]["response"]["body"]
    return body.encode("utf-8")


def _handler(answer: ChatAnswer) -> Any:
    models = _recorded_list()
    chat = ChatServer(answer)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/models"):
            return httpx.Response(200, content=models, headers={"Content-Type": "application/json"})
        return chat(request)

    return handler


@pytest.mark.wire
@each_mode
async def test_cost_after_list_models_on_the_recorded_list(anyio_backend: str, mode: Mode) -> None:
    # The recorded list prices openai/gpt-oss-120b at prompt "0.0000001", completion
    # "0.0000005" per token, with no cached-input price.
    handler = _handler(ChatAnswer(content="Hi", usage=CACHED_USAGE))
    client = chat_client(mode, handler)
    if isinstance(client, genai_baseten.AsyncClient):
        await client.list_models()
    else:
        client.list_models()
    res = await mode.generate(client, [genai.Message.user("Hi")])
    # 100 input tokens (64 cached, priced at the input price: no cache price is listed) and 10
    # output tokens.
    expected = 100 * Decimal("0.0000001") + 10 * Decimal("0.0000005")
    assert expected == Decimal("0.000015")
    assert res.cost == expected


@pytest.mark.wire
def test_cost_for_each_recorded_model() -> None:
    handler = _handler(ChatAnswer(content="unused"))
    client = genai_baseten.Client(
        model=MODEL, api_key=KEY, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    models = {m.id: m for m in client.list_models()}
    reasoning = usage(
        input_tokens=1000, input_cached_tokens=256, reasoning_tokens=200, output_tokens=300
    )
    # DeepSeek-V3.1: prompt "0.0000005", completion "0.0000015".
    assert (
        genai.cost(reasoning, models["deepseek-ai/DeepSeek-V3.1"])
        == (1000 * Decimal("0.0000005") + 300 * Decimal("0.0000015"))
        == Decimal("0.00095")
    )
    # GLM-5: prompt "0.00000095", completion "0.00000315".
    assert (
        genai.cost(reasoning, models["zai-org/GLM-5"])
        == (1000 * Decimal("0.00000095") + 300 * Decimal("0.00000315"))
        == Decimal("0.001895")
    )
    # Every listed model has both prices, so each cost is known and positive.
    for m in models.values():
        c = genai.cost(reasoning, m)
        assert c is not None and c > 0, m.id
