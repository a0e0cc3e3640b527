"""What a Baseten client knows of models, and what that knowledge decides.

Three sources: ``model_info=`` (this client's model), ``models=`` (a model list fetched
earlier) and ``list_models()``. Two decisions read them: which documents may be sent (input
modalities, :attr:`~genai_core.openai_chat.client.ChatClientBase.model_info`) and whether
thinking is switched on by default (``supported_features``, :mod:`genai_baseten.thinking`). The
rules: the client's entry in a list becomes ``model_info`` unless ``model_info=`` was given, which
always wins; a call's explicit choice of thinking always wins over the default.

Every test runs through the sync and async clients, each with ``gen_sync`` and ``gen_stream``,
over ``httpx.MockTransport``. The model ids are outside the thinking table, so only the model
list decides.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from harness.chat import KEY, ChatAnswer, chat_client
from harness.flavors import Mode, each_mode
from harness.scripted import ScriptedServer

import genai_baseten
import genai_core
from genai_core.errors import NotSupportedError
from genai_core.openai_chat import Options as ChatOptions
from genai_core.types import Doc, Message, Model

THINKER = "acme/thinker-7"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt model-info"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRmodel-info"
HELLO = [Message.user("hi")]
AUDIO = [Message.user("what is said?", Doc.from_bytes(WAV, "memo.wav"))]
IMAGE = [Message.user("what is it?", Doc.from_bytes(PNG, "dot.png"))]

# The model as the server lists it: it reasons and hears.
ENTRY = Model(
    id=THINKER,
    supported_features=["tools", "reasoning"],
    input_modalities=["text", "image", "audio"],
)
OTHER_ENTRY = Model(id="acme/other", supported_features=["reasoning"])


def listed(model: Model) -> dict[str, Any]:
    """``model`` as a ``GET /models`` entry."""
    return {
        "id": model.id,
        "object": "model",
        "supported_features": model.supported_features,
        "input_modalities": model.input_modalities,
    }


LISTED = listed(ENTRY)
OTHER = listed(OTHER_ENTRY)


def _check_key(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Api-Key {KEY}"


class Catalog(ScriptedServer):
    """Lists ``listing`` on ``GET /models``, answers every chat request "ok"."""

    def __init__(self, *listing: dict[str, Any]) -> None:
        super().__init__(self.answer, check=_check_key)
        self.listing = list(listing)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": self.listing})
        return ChatAnswer(content="ok")(request)

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The bodies of the chat requests."""
        return self.bodies_for("/chat/completions")

    def thinking(self) -> Any:
        """``enable_thinking`` of the last chat request; None when the switch was not sent."""
        return self.bodies[-1].get("chat_template_args", {}).get("enable_thinking")


async def refused(mode: Mode, client: Any, messages: list[Message]) -> str:
    with pytest.raises(NotSupportedError) as info:
        await mode.generate(client, messages)
    return str(info.value)


@pytest.mark.anyio
@each_mode
@pytest.mark.parametrize("with_model", [True, False], ids=["model-and-info", "info-only"])
async def test_model_info_decides_thinking_and_modalities(mode: Mode, with_model: bool) -> None:
    info = Model(id=THINKER, supported_features=["reasoning"], input_modalities=["text"])
    server = Catalog()
    kw: dict[str, Any] = {"model": THINKER} if with_model else {"model": None}
    client = chat_client(mode, server, model_info=info, **kw)
    assert client.model == THINKER
    assert client.model_info is info
    await mode.generate(client, HELLO)
    assert server.bodies[-1]["chat_template_args"] == {"enable_thinking": True}
    # Its modalities are text only: even an image (Baseten's default) is refused.
    assert "does not take image input" in await refused(mode, client, IMAGE)
    assert len(server.bodies) == 1


@pytest.mark.anyio
@each_mode
async def test_model_info_without_reasoning_sends_no_switch(mode: Mode) -> None:
    server = Catalog()
    client = chat_client(mode, server, model=THINKER, model_info=Model(id=THINKER))
    await mode.generate(client, IMAGE)  # no modalities listed: Baseten's default (text, image)
    assert "chat_template_args" not in server.bodies[-1]


@pytest.mark.anyio
@each_mode
async def test_models_given_to_the_constructor_are_learned(mode: Mode) -> None:
    listed = [Model(id=OTHER_ENTRY.id), ENTRY]
    server = Catalog()
    client = chat_client(mode, server, model=THINKER, models=listed)
    assert client.model_info == listed[1]
    await mode.generate(client, AUDIO)  # audio: allowed by the entry, not by Baseten's default
    assert server.thinking() is True
    assert server.bodies[-1]["messages"][1]["content"][0]["type"] == "input_audio"
    assert server.paths == ["/v1/chat/completions"]  # nothing was fetched


@pytest.mark.anyio
@each_mode
async def test_a_list_without_the_model_teaches_nothing_about_it(mode: Mode) -> None:
    server = Catalog()
    client = chat_client(mode, server, model=THINKER, models=[OTHER_ENTRY])
    assert client.model_info is None
    await mode.generate(client, HELLO)
    assert "chat_template_args" not in server.bodies[-1]
    assert "not known to take audio input" in await refused(mode, client, AUDIO)


@pytest.mark.anyio
@each_mode
async def test_list_models_teaches_both(mode: Mode) -> None:
    server = Catalog(OTHER, LISTED)
    client = chat_client(mode, server, model=THINKER)
    await mode.generate(client, HELLO)
    assert server.thinking() is None
    assert "not known to take audio input" in await refused(mode, client, AUDIO)
    models = await mode.flavor.list_models(client)
    assert client.model_info == models[1]
    assert client.model_info.input_modalities == LISTED["input_modalities"]
    await mode.generate(client, AUDIO)
    assert server.thinking() is True
    assert server.bodies[-1]["messages"][1]["content"][0]["input_audio"]["format"] == "wav"


@pytest.mark.anyio
@each_mode
async def test_list_models_refreshes_what_models_said(mode: Mode) -> None:
    before = Model(id=THINKER, input_modalities=["text"])
    server = Catalog(LISTED)
    client = chat_client(mode, server, model=THINKER, models=[before])
    await refused(mode, client, IMAGE)
    await mode.flavor.list_models(client)
    assert client.model_info is not None
    assert client.model_info.supports("reasoning")
    await mode.generate(client, IMAGE)
    assert server.thinking() is True


@pytest.mark.anyio
@each_mode
@pytest.mark.parametrize("also_given", [False, True], ids=["listed-later", "and-models="])
async def test_explicit_model_info_wins_over_any_list(mode: Mode, also_given: bool) -> None:
    # The caller says: no reasoning, text only. The server's list says otherwise.
    info = Model(id=THINKER, input_modalities=["text"])
    server = Catalog(OTHER, LISTED)
    extra = {"models": [ENTRY]} if also_given else {}
    client = chat_client(mode, server, model=THINKER, model_info=info, **extra)
    models = await mode.flavor.list_models(client)
    assert models[1].supports("reasoning")  # the listing itself is returned as it is
    assert client.model_info is info
    await mode.generate(client, HELLO)
    assert "chat_template_args" not in server.bodies[-1]
    assert "does not take audio input" in await refused(mode, client, AUDIO)


@pytest.mark.anyio
@each_mode
async def test_model_info_with_reasoning_keeps_thinking_on_after_a_list_without(
    mode: Mode,
) -> None:
    info = Model(id=THINKER, supported_features=["reasoning"])
    server = Catalog({"id": THINKER, "object": "model", "supported_features": []})
    client = chat_client(mode, server, model=THINKER, model_info=info)
    await mode.flavor.list_models(client)
    await mode.generate(client, HELLO)
    assert server.thinking() is True


THINKING_OFF = [
    pytest.param(genai_baseten.Options(thinking=False), id="thinking=False"),
    pytest.param(
        genai_baseten.Options(chat_template_args={"enable_thinking": False}),
        id="chat_template_args",
    ),
    pytest.param(
        genai_baseten.Options(extra_body={"chat_template_args": {"enable_thinking": False}}),
        id="baseten-extra_body",
    ),
    pytest.param(
        ChatOptions(extra_body={"chat_template_args": {"enable_thinking": False}}),
        id="generic-extra_body",
    ),
]


@pytest.mark.anyio
@each_mode
@pytest.mark.parametrize("off", THINKING_OFF)
@pytest.mark.parametrize("source", ["model_info", "models", "list_models"])
async def test_an_explicit_choice_always_wins(mode: Mode, off: object, source: str) -> None:
    server = Catalog(LISTED)
    entry = ENTRY
    kw: dict[str, Any] = {"model_info": entry} if source == "model_info" else {}
    if source == "models":
        kw["models"] = [entry]
    client = chat_client(mode, server, model=THINKER, **kw)
    if source == "list_models":
        await mode.flavor.list_models(client)
    await mode.generate(client, HELLO)
    assert server.thinking() is True  # the default, from the model's entry
    await mode.generate(client, HELLO, off)
    assert server.bodies[-1]["chat_template_args"] == {"enable_thinking": False}


@pytest.mark.anyio
@each_mode
async def test_extra_body_template_args_join_the_default(mode: Mode) -> None:
    # extra_body that says nothing of thinking leaves the default on, next to its own members.
    server = Catalog()
    client = chat_client(mode, server, model=THINKER, models=[ENTRY])
    opts = ChatOptions(extra_body={"chat_template_args": {"reasoning_budget": 64}})
    await mode.generate(client, HELLO, opts)
    assert server.bodies[-1]["chat_template_args"] == {
        "enable_thinking": True,
        "reasoning_budget": 64,
    }


def test_models_and_model_info_through_the_registry() -> None:
    entry = ENTRY
    client = genai_core.get_provider("baseten", model=THINKER, api_key=KEY, models=[entry])
    assert isinstance(client, genai_baseten.Client)
    assert client.model_info == entry
    aclient = genai_core.get_async_provider("baseten", api_key=KEY, model_info=entry)
    assert isinstance(aclient, genai_baseten.AsyncClient)
    assert (aclient.model, aclient.model_info) == (THINKER, entry)
