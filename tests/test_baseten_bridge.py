"""The legacy bridge (https://bridge.baseten.co/{model_id}/v1) through the chat client.

The answers are authored here in the shape the bridge's docs show: a random ``chatcmpl-<uuid>``
id, ``finish_reason: null``, ``usage`` all zeros, ``model`` echoing the model id. None of those
may come out as a meaningful value: no id, no finish reason, the "not reported" usage.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from baseten_fake import KEY as FAKE_KEY
from baseten_fake import serve
from harness import bodies
from harness.flavors import MODES, Mode, each_mode

import genai_baseten
import genai_core as genai
from genai_baseten import Target
from genai_baseten.bridge import AsyncBridgeClient, BridgeClient
from genai_core.pricing import COMPLETION, PROMPT, usage_known
from genai_core.types import Model, Usage

KEY = "fake-bridge-key-0123456789"
URL = "https://bridge.baseten.co/abcd1234/v1/chat/completions"
ANSWER = "It was played at a neutral site."
PRICED = Model(
    id="mistral-7b", pricing={PROMPT: Decimal("0.000001"), COMPLETION: Decimal("0.000002")}
)
ZERO: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def bridge_completion() -> dict[str, Any]:
    """The bridge's answer: its own id form, the model id as model, no finish reason, zero usage."""
    return bodies.completion(
        ANSWER,
        finish=None,
        usage=ZERO,
        id="chatcmpl-0b3c2d4e-1111-4222-8333-944455556666",
        model="abcd1234",
        created=1733212800,
    )


def chunks() -> bytes:
    kw: dict[str, Any] = {"id": "chatcmpl-7f7f7f7f-aaaa-4bbb-8ccc-dddddddddddd", "created": None}
    events = [
        bodies.chunk({"content": p}, finish=None, model="abcd1234", **kw)
        for p in ("It was played ", "at a neutral site.")
    ]
    events.append(bodies.chunk(None, usage=ZERO, model="abcd1234", **kw))
    return bodies.events_of(events)


def handler(bodies: list[dict[str, Any]]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == URL
        assert request.headers["authorization"] == f"Api-Key {KEY}"
        body = json.loads(request.content)
        bodies.append(body)
        if body.get("stream"):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=chunks()
            )
        return httpx.Response(200, json=bridge_completion())

    return httpx.MockTransport(answer)


def check(res: genai.Result, bodies: list[dict[str, Any]]) -> None:
    assert res.text == ANSWER
    assert res.id is None  # the bridge's random UUID means nothing
    assert res.finish_reason is None  # null: unknown, not "stop"
    assert res.raw_finish_reason is None
    assert res.usage == Usage()  # zeros: not reported, never a count of zero tokens
    assert not usage_known(res.usage)
    assert res.cost is None  # unknown, not $0
    assert res.usage.finish_reason is None
    assert bodies[0]["model"] == "mistral-7b"
    assert bodies[0]["max_tokens"] == 64  # the bridge's documented name for the limit
    assert "max_completion_tokens" not in bodies[0]


@each_mode
@pytest.mark.parametrize("how", ["for_target", "constructor"])
async def test_bridge(mode: Mode, how: str) -> None:
    sent: list[dict[str, Any]] = []
    flavor = mode.flavor
    kw: dict[str, Any] = {
        "api_key": KEY,
        "http_client": flavor.http_client(transport=handler(sent)),
        "model_info": PRICED,  # prices known: only the unknown usage keeps the cost unknown
    }
    bridge_cls = flavor.pick(BridgeClient, AsyncBridgeClient)
    if how == "for_target":
        cls = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)
        client = cls.for_target(Target.bridge("abcd1234"), "mistral-7b", **kw)
    else:
        client = bridge_cls(
            model="mistral-7b", base_url="https://bridge.baseten.co/abcd1234/v1", **kw
        )
    assert isinstance(client, bridge_cls)
    msgs = [genai.Message.user("Where was it played?")]
    res = await mode.generate_checked(client, msgs, genai.TextOptions(max_tokens=64))
    assert res.pricing == PRICED.pricing  # the engine's prices are kept, stream or not
    check(res, sent)


def test_dedicated_answers_keep_their_ids() -> None:
    """Only the bridge loses its id and usage: a dedicated deployment's answer keeps them."""
    body = bridge_completion()
    body["usage"] = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    body["choices"][0]["finish_reason"] = "stop"
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    client = genai_baseten.Client.for_target(
        "https://model-abcd1234.api.baseten.co/production/predict",
        "m",
        api_key=KEY,
        http_client=httpx.Client(transport=transport),
    )
    res = client.gen_sync([genai.Message.user("hi")])
    assert res.id == body["id"]
    assert (res.usage.input_tokens, res.usage.output_tokens) == (7, 5)


@pytest.mark.parametrize("mode", [m for m in MODES if m.flavor.backend == "asyncio"], ids=str)
def test_bridge_on_the_loopback_fake(mode: Mode) -> None:
    msgs = [genai.Message.user("Where was it played?")]
    opts = genai.TextOptions(max_tokens=64)
    flavor = mode.flavor
    with serve() as loop:
        transport = flavor.pick(loop.transport, loop.async_transport)()
        cls = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)
        client = cls.for_target(
            Target.bridge("abcd1234"),
            "mistral-7b",
            api_key=FAKE_KEY,
            http_client=flavor.http_client(transport=transport),
        )

        async def run() -> genai.Result:
            try:
                return await mode.generate_checked(client, msgs, opts)
            finally:
                await flavor.close(client.http_client)

        res = flavor.run(run)
        (seen,) = loop.fake.requests
    assert res is not None
    assert res.text == ANSWER
    assert (res.id, res.finish_reason, res.usage) == (None, None, Usage())
    assert seen.host == "bridge.baseten.co"
    assert seen.path == "/abcd1234/v1/chat/completions"
    assert seen.json()["max_tokens"] == 64
