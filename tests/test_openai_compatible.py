"""The ``openaicompatible`` provider against a loopback OpenAI-compatible server.

Every test talks over a real socket to :mod:`fake_openai` (127.0.0.1, in-process), through the
sync client and the async client on asyncio and on trio, with one test body (:class:`Flavor`
hides the ``await``). Expected values are computed from the fake server's documented behaviour
(``"echo: <text>"``, word-count usage, ``[len, ord, index]`` vectors), never from the client.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_openai import MODELS, TEXT_ONLY_MODEL, FakeOpenAI, fake_vector, serve
from harness.bodies import event
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_flavor, each_mode
from harness.loopback import AsyncLoopbackTransport, LoopbackTransport, Outgoing
from harness.scripted import ScriptedServer, Sleeps, json_answer

import genai_baseten
import genai_core
from genai_core.errors import (
    APITimeoutError,
    BadRequestError,
    InputRef,
    MalformedResponseError,
    MissingAPIKeyError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ServerError,
    StreamError,
    UnsupportedInputError,
    ValidationError,
)
from genai_core.http import RetryPolicy
from genai_core.openai_chat import AsyncOpenAICompatibleClient, OpenAICompatibleClient, Options
from genai_core.openai_chat.client import ChatClient
from genai_core.types import Doc, Embeddings, Message, Model, RateLimit, Result

MODEL = "fake/echo-1"
KEY = "sk-loopback-secret-0123456789"
NOW = 1_750_000_000.0
MSGS = [Message.user("say hello")]
ECHO = "echo: say hello"
ECHO_USAGE = (2, 3, 5)  # prompt words, answer words, total

AnyClient = OpenAICompatibleClient | AsyncOpenAICompatibleClient


def no_sleep_policy() -> RetryPolicy:
    return Sleeps().policy(clock=lambda: NOW)


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeOpenAI]:
    yield from serve()


@pytest.fixture
def fake(_server: FakeOpenAI) -> FakeOpenAI:
    """The module's server, with no requests, scripted answers or extra headers."""
    _server.reset()
    return _server


def make(flavor: Flavor, provider: str = "openaicompatible", **kw: Any) -> Any:
    """A client of ``provider`` (``openaicompatible`` or ``baseten``) in ``flavor``."""
    kw.setdefault("model", MODEL)
    kw.setdefault("retry_policy", no_sleep_policy())
    if provider == "baseten":
        return flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)(**kw)
    return flavor.pick(OpenAICompatibleClient, AsyncOpenAICompatibleClient)(**kw)


@contextlib.asynccontextmanager
async def open_client(flavor: Flavor, fake: FakeOpenAI | None, **kw: Any) -> AsyncIterator[Any]:
    """A client on ``fake`` (base_url may be overridden), closed afterwards."""
    if fake is not None:
        kw.setdefault("base_url", fake.base_url)
    client = make(flavor, **kw)
    try:
        yield client
    finally:
        await flavor.close(client)


def usage_of(result: Result | Embeddings) -> tuple[int, int, int]:
    u = result.usage
    return (u.input_tokens, u.output_tokens, u.total_tokens)


# --- 1. the provider: registration, URL, auth, headers, transport ---------------------------


def test_get_provider_by_name_works_end_to_end(fake: FakeOpenAI) -> None:
    client = genai_core.get_provider("openaicompatible", base_url=fake.base_url, model=MODEL)
    assert isinstance(client, OpenAICompatibleClient)
    assert client.name == "openaicompatible"
    assert client.model == MODEL
    try:
        assert client.gen_sync(MSGS).text == ECHO
    finally:
        assert isinstance(client, ChatClient)
        client.close()
    assert "openaicompatible" in genai_core.provider_names()


@pytest.mark.anyio
async def test_get_async_provider_by_name_works_end_to_end(fake: FakeOpenAI) -> None:
    client = genai_core.get_async_provider("openaicompatible", base_url=fake.base_url, model=MODEL)
    assert isinstance(client, AsyncOpenAICompatibleClient)
    try:
        assert (await client.gen_sync(MSGS)).text == ECHO
    finally:
        await client.aclose()


def test_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="genai.providers")}
    assert names.get("openaicompatible") == "genai_core.openai_chat.compatible:register"


@each_flavor
@pytest.mark.parametrize(
    "suffix", ["", "/", "/chat/completions", "/chat/completions/", "//"], ids=repr
)
async def test_base_url_suffixes_are_stripped(
    flavor: Flavor, fake: FakeOpenAI, suffix: str
) -> None:
    async with open_client(flavor, fake, base_url=fake.base_url + suffix) as client:
        assert client.base_url == fake.base_url
        await flavor.gen_sync(client, MSGS)
        await flavor.list_models(client)
    assert [r.path for r in fake.requests] == ["/v1/chat/completions", "/v1/models"]


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("localhost:8000/v1", r"'localhost:8000/v1' has no scheme.*'http://localhost:8000/v1'"),
        ("127.0.0.1/v1", r"has no scheme"),
        ("ftp://example.com/v1", r"http:// or https://"),
        ("http:///v1", r"with a host"),
        ("http://example.com/v1?key=1", r"query"),
        ("   ", r"base_url is empty.*'http://localhost:8000/v1'"),
        ("https://", r"'https://' must be an http:// or https:// URL with a host"),
    ],
)
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=repr)
def test_bad_base_url_is_a_validation_error_quoting_it(
    flavor: Flavor, url: str, match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        make(flavor, base_url=url)


def test_base_url_is_required() -> None:
    with pytest.raises(ValidationError, match=r"base_url is required.*http://localhost"):
        OpenAICompatibleClient(model=MODEL)


@each_flavor
async def test_credentials_in_the_base_url_are_sent_as_basic_auth(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    url = fake.base_url.replace("http://", "http://bob:hunter2secret@")
    async with open_client(flavor, fake, base_url=url) as client:
        assert "hunter2secret" not in repr(client)
        await flavor.gen_sync(client, MSGS)
    basic = base64.b64encode(b"bob:hunter2secret").decode()
    assert fake.requests[0].headers["authorization"] == f"Basic {basic}"


@each_flavor
async def test_credentials_in_the_base_url_and_an_api_key_are_refused(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    # httpx would send the URL's Basic auth in place of the key, silently.
    url = fake.base_url.replace("http://", "http://bob:hunter2secret@")
    with pytest.raises(ValidationError, match="user and password") as info:
        make(flavor, base_url=url, api_key=KEY)
    assert "hunter2secret" not in str(info.value)
    assert KEY not in str(info.value)
    # Sending only the URL's credentials is a choice the caller can make.
    async with open_client(flavor, fake, base_url=url, api_key=KEY, auth_scheme=None) as client:
        await flavor.gen_sync(client, MSGS)
    assert fake.requests[0].headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"api_key": 12345678}, "api_key must be a string, got int"),
        ({"default_headers": {"X-Team": 3}}, r"default_headers\['X-Team'\] must be a string"),
        ({"default_headers": [("X-Team", "a")]}, "default_headers must be a mapping"),
        ({"proxy": "nonsense"}, r"proxy"),
        ({"proxy": "socks9://bob:hunter2secret@p.example:1"}, r"\*\*\*@p\.example"),
    ],
)
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=repr)
def test_bad_client_arguments_are_validation_errors(
    flavor: Flavor, kw: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValidationError, match=match) as info:
        make(flavor, base_url="http://127.0.0.1:9/v1", **kw)
    assert "hunter2secret" not in str(info.value)


@each_flavor
async def test_no_key_means_no_auth_header(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        await flavor.gen_sync(client, MSGS)
    async with open_client(flavor, fake, api_key="") as client:
        await flavor.gen_sync(client, MSGS)
    assert [("authorization" in r.headers) for r in fake.requests] == [False, False]


@each_flavor
async def test_key_is_sent_as_bearer(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake, api_key=KEY) as client:
        await flavor.gen_sync(client, MSGS)
        await flavor.stream(client, MSGS)
        await flavor.list_models(client)
        await flavor.embed(client, "x")
        assert KEY not in repr(client)
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {KEY}"] * 4


@each_flavor
async def test_no_environment_variable_is_read_unless_named(
    flavor: Flavor, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An OpenAI key in the shell must not be sent to whatever server base_url names.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-leak-123")
    monkeypatch.setenv("MY_GATEWAY_KEY", KEY)
    async with open_client(flavor, fake) as client:
        await flavor.gen_sync(client, MSGS)
    async with open_client(flavor, fake, api_key_env="MY_GATEWAY_KEY") as client:
        await flavor.gen_sync(client, MSGS)
    assert "authorization" not in fake.requests[0].headers
    assert fake.requests[1].headers["authorization"] == f"Bearer {KEY}"


@each_flavor
async def test_a_named_environment_variable_that_is_unset_is_a_missing_key(
    flavor: Flavor, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MY_GATEWAY_KEY", raising=False)
    async with open_client(flavor, fake, api_key_env="MY_GATEWAY_KEY") as client:
        with pytest.raises(MissingAPIKeyError, match="MY_GATEWAY_KEY"):
            await flavor.gen_sync(client, MSGS)
    assert fake.requests == []


@each_flavor
async def test_headers_merge_replace_and_remove(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        await flavor.gen_sync(client, MSGS)
    headers = {"X-Team": "search", "x-request-id": None, "ACCEPT": "application/json"}
    async with open_client(
        flavor, fake, default_headers=headers, user_agent="my-app/2.1"
    ) as client:
        await flavor.gen_sync(client, MSGS)
        await flavor.stream(client, MSGS)
    plain, merged, streamed = fake.requests
    assert plain.headers["user-agent"].startswith("genai-baseten/")
    assert plain.headers["x-request-id"]
    for req in (merged, streamed):
        assert req.headers["x-team"] == "search"
        assert req.headers["user-agent"] == "my-app/2.1"
        assert "x-request-id" not in req.headers
        # One Accept header: the caller's replaced the default whatever its case.
        assert req.headers["accept"] == "application/json"


@each_flavor
async def test_header_names_differing_in_case_replace_each_other(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    # The scripted server sees the request as built, repeated header lines included.
    server = ScriptedServer(json_answer(200, {"object": "list", "data": []}))
    client = make(
        flavor,
        base_url=fake.base_url,
        default_headers={"user-agent": "lower/1"},
        http_client=flavor.http_client(transport=server.transport()),
    )
    await flavor.list_models(client)
    await flavor.close(client)
    assert server.requests[0].headers.get_list("user-agent") == ["lower/1"]


@each_flavor
async def test_max_retries_zero_is_one_attempt(flavor: Flavor, fake: FakeOpenAI) -> None:
    fake.enqueue(*[Outgoing.json(503, {"error": "overloaded"})] * 3)
    async with open_client(flavor, fake, max_retries=0) as client:
        with pytest.raises(ServerError, match="overloaded"):
            await flavor.gen_sync(client, MSGS)
    assert len(fake.requests) == 1


@each_flavor
async def test_retries_then_success(flavor: Flavor, fake: FakeOpenAI) -> None:
    fake.enqueue(Outgoing.json(503, {"error": "overloaded"}), Outgoing.json(502, {"error": "bad"}))
    async with open_client(flavor, fake, max_retries=2) as client:
        assert (await flavor.gen_sync(client, MSGS)).text == ECHO
    assert len(fake.requests) == 3


@each_flavor
async def test_timeout_is_applied(flavor: Flavor, fake: FakeOpenAI) -> None:
    fake.enqueue(Outgoing(200, b"{}", {"Content-Type": "application/json"}, delay=1.0))
    async with open_client(flavor, fake, timeout=0.2, max_retries=0) as client:
        with pytest.raises(APITimeoutError):
            await flavor.gen_sync(client, MSGS)


@each_flavor
async def test_injected_http_client_is_used_and_left_open(flavor: Flavor, fake: FakeOpenAI) -> None:
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async def ahook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    http: httpx.Client | httpx.AsyncClient
    if flavor.is_async:
        http = httpx.AsyncClient(event_hooks={"request": [ahook]})
    else:
        http = httpx.Client(event_hooks={"request": [hook]})
    async with open_client(flavor, fake, http_client=http) as client:
        assert client.http_client is http
        await flavor.gen_sync(client, MSGS)
    assert not http.is_closed
    await flavor.close(http)
    assert seen == ["/v1/chat/completions"]


@each_flavor
async def test_transport_is_given_to_the_created_client(flavor: Flavor, fake: FakeOpenAI) -> None:
    # A transport that reaches the fake server whatever host the URL names.
    transport = flavor.pick(LoopbackTransport(fake.port), AsyncLoopbackTransport(fake.port))
    url = "https://api.example.invalid/v1"
    async with open_client(flavor, None, base_url=url, transport=transport) as c:
        assert (await flavor.gen_sync(c, MSGS)).text == ECHO
    assert fake.requests[0].headers["host"] == "api.example.invalid"


@each_flavor
async def test_proxy_is_given_to_the_created_client(flavor: Flavor, fake: FakeOpenAI) -> None:
    # The fake server plays the HTTP proxy: a request through a proxy names the absolute URL.
    async with open_client(
        flavor, None, base_url="http://api.example.invalid/v1", proxy=fake.url
    ) as c:
        assert (await flavor.gen_sync(c, MSGS)).text == ECHO
    assert fake.requests[0].target == "http://api.example.invalid/v1/chat/completions"


@pytest.mark.anyio
async def test_with_blocks_keep_the_class_for_type_checkers() -> None:
    # mypy runs on tests/: these annotations fail it if __enter__ returns the base class.
    with OpenAICompatibleClient(base_url="http://127.0.0.1:9/v1") as client:
        same: OpenAICompatibleClient = client
    with genai_baseten.Client(model=MODEL, api_key=KEY) as baseten:
        same_baseten: genai_baseten.Client = baseten
    async with AsyncOpenAICompatibleClient(base_url="http://127.0.0.1:9/v1") as aclient:
        same_async: AsyncOpenAICompatibleClient = aclient
    assert (same, same_baseten, same_async) == (client, baseten, aclient)
    assert client.http_client.is_closed and aclient.http_client.is_closed


def test_a_transport_of_the_other_flavor_is_refused() -> None:
    with pytest.raises(ValidationError, match="AsyncBaseTransport"):
        AsyncOpenAICompatibleClient(base_url="http://x/v1", transport=httpx.HTTPTransport())
    with pytest.raises(ValidationError, match="BaseTransport"):
        OpenAICompatibleClient(base_url="http://x/v1", transport=httpx.AsyncHTTPTransport())


def test_transport_or_proxy_beside_an_http_client_is_refused() -> None:
    with httpx.Client() as http, pytest.raises(ValidationError, match="http_client"):
        OpenAICompatibleClient(base_url="http://x/v1", http_client=http, proxy="http://p:1")


# --- 2. one engine: chat, stream, models; Baseten is the same provider ------------------------


@each_flavor
async def test_gen_sync_stream_and_models(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        result = await flavor.gen_sync(client, MSGS, genai_core.TextOptions(max_tokens=9))
        fragments, streamed = await flavor.stream(client, MSGS)
        models = await flavor.list_models(client)
    assert result.text == ECHO
    assert usage_of(result) == ECHO_USAGE
    assert result.finish_reason == "stop"
    assert [f.text for f in fragments] == ["echo:", " say", " hello"]
    assert streamed.text == ECHO
    assert usage_of(streamed) == ECHO_USAGE
    assert streamed.finish_reason == "stop"
    assert [m.id for m in models] == ["fake/echo-1", "fake/embed-1", "fake/text-only-1"]
    assert models[0].owned_by == "tests"
    sent = fake.requests[0].json()
    assert sent["max_tokens"] == 9
    assert sent["messages"] == [{"role": "user", "content": "say hello"}]
    assert fake.requests[1].json()["stream"] is True


@each_flavor
async def test_baseten_client_is_the_same_engine_with_its_dialect(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    async with open_client(flavor, fake, provider="baseten", api_key=KEY) as client:
        assert isinstance(client, (OpenAICompatibleClient, AsyncOpenAICompatibleClient))
        opts = genai_baseten.Options(top_k=5, presence_penalty=0.5, extra_body={"x_flag": 1})
        result = await flavor.gen_sync(client, MSGS, genai_core.TextOptions(max_tokens=9), opts)
        _, streamed = await flavor.stream(client, MSGS)
    assert result.text == streamed.text == ECHO
    sent = fake.requests[0]
    assert sent.headers["authorization"] == f"Api-Key {KEY}"
    body = sent.json()
    assert body["max_completion_tokens"] == 9
    assert "max_tokens" not in body
    assert (body["top_k"], body["presence_penalty"], body["x_flag"]) == (5, 0.5, 1)


def test_baseten_adds_configuration_and_extensions_but_no_chat_logic() -> None:
    # Requirement 2 made checkable: Baseten's classes are the generic ones with a different
    # config and the body-extension hook; sending, parsing and streaming are inherited.
    import genai_baseten.client as baseten_client

    engine = {
        "gen_sync",
        "gen_stream",
        "list_models",
        "embed",
        "_send",
        "_build",
        "_build_chat",
        "_chat_inputs",
        "_raise_for_status",
        "_json",
        "_parse_chat",
        "_parse_models",
        "_parse_embeddings",
        "_stream_core",
    }
    for cls, generic in (
        (genai_baseten.Client, OpenAICompatibleClient),
        (genai_baseten.AsyncClient, AsyncOpenAICompatibleClient),
    ):
        assert issubclass(cls, generic)
        own = cls.__mro__[: cls.__mro__.index(generic)]
        overridden = {name for c in own for name in vars(c)} & engine
        assert overridden == set()
    source = Path(baseten_client.__file__).read_text()
    for engine_module in ("httpx", "json", "sse", ".response", ".stream"):
        assert not re.search(rf"^\s*(from|import) \S*{re.escape(engine_module)}\b", source, re.M)


# --- 3. extra request fields, raw responses ---------------------------------------------------


@each_flavor
async def test_extra_body_never_overwrites_typed_fields(flavor: Flavor, fake: FakeOpenAI) -> None:
    extra = {
        "model": "other",
        "stream": False,
        "max_tokens": 1,
        "temperature": 2.0,
        "stream_options": {"include_usage": False, "continuous_usage_stats": True},
        "presence_penalty": 1.5,
        "guided_choice": ["yes", "no"],
    }
    opts = Options(extra_body=extra, presence_penalty=0.25, user="u-1", reasoning_effort="low")
    text = genai_core.TextOptions(max_tokens=7, temperature=0.5)
    async with open_client(flavor, fake) as client:
        _, result = await flavor.stream(client, MSGS, text, opts)
    assert result.text == ECHO
    body = fake.requests[0].json()
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["max_tokens"] == 7
    assert body["temperature"] == 0.5
    assert body["stream_options"] == {"include_usage": True, "continuous_usage_stats": True}
    assert body["presence_penalty"] == 0.25
    assert (body["user"], body["reasoning_effort"]) == ("u-1", "low")
    assert body["guided_choice"] == ["yes", "no"]
    assert "frequency_penalty" not in body
    # The caller's dict is left as it was.
    assert extra["stream_options"] == {"include_usage": False, "continuous_usage_stats": True}


NOT_JSON = r"cannot be sent as JSON.*extra_body"


@each_flavor
@pytest.mark.parametrize(
    "value",
    [{1, 2}, b"bytes", float("nan"), datetime(2026, 1, 1)],
    ids=["set", "bytes", "nan", "dt"],
)
async def test_extra_body_that_is_not_json_is_refused_before_sending(
    flavor: Flavor, fake: FakeOpenAI, value: Any
) -> None:
    opts = Options(extra_body={"odd": value})
    async with open_client(flavor, fake) as client:
        with pytest.raises(ValidationError, match=NOT_JSON):
            await flavor.gen_sync(client, MSGS, opts)
        with pytest.raises(ValidationError, match=NOT_JSON):
            client.gen_stream(MSGS, opts)  # checked when the stream is made, before any request
        with pytest.raises(ValidationError, match=NOT_JSON):
            await flavor.embed(client, "x", extra_body={"odd": value})
    assert fake.requests == []


@each_flavor
async def test_extra_body_fills_fields_left_unset(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        await flavor.gen_sync(client, MSGS, Options(extra_body={"max_tokens": 3, "n": 1}))
    body = fake.requests[0].json()
    assert (body["max_tokens"], body["n"]) == (3, 1)


@each_flavor
async def test_gen_sync_result_raw_is_the_decoded_body(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        result = await flavor.gen_sync(client, MSGS)
    assert result.raw["system_fingerprint"] == "fp-fake"
    assert result.raw["choices"][0]["message"]["content"] == ECHO
    assert "raw" not in result.model_dump()  # not part of the conversation
    assert "fp-fake" not in repr(result)


@each_flavor
async def test_stream_raw_chunks_only_when_asked(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        _, plain = await flavor.stream(client, MSGS)
        _, kept = await flavor.stream(client, MSGS, Options(raw_chunks=True))
    assert plain.raw is None
    # 3 word chunks, the finish chunk and the usage chunk ([DONE] is not JSON).
    assert len(kept.raw) == 5
    assert {c["system_fingerprint"] for c in kept.raw} == {"fp-fake"}
    assert [c["choices"][0]["delta"].get("content") for c in kept.raw[:3]] == [
        "echo:",
        " say",
        " hello",
    ]
    assert kept.raw[-1]["usage"]["total_tokens"] == 5


@each_flavor
async def test_stream_answered_with_json_keeps_the_body_as_raw(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    body = {
        "id": "c",
        "service_tier": "flex",
        "choices": [{"message": {"content": "whole"}, "finish_reason": "stop"}],
    }
    fake.enqueue(Outgoing.json(200, body))
    async with open_client(flavor, fake) as client:
        _, result = await flavor.stream(client, MSGS)
    assert result.text == "whole"
    assert result.raw["service_tier"] == "flex"


@each_flavor
async def test_options_of_another_provider_are_refused(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        with pytest.raises(NotSupportedError) as info:
            await flavor.gen_sync(client, MSGS, genai_baseten.Options(top_k=3))
    assert info.value.options == ("Options",)
    assert fake.requests == []


@each_flavor
async def test_baseten_takes_the_generic_options_but_not_both(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    async with open_client(flavor, fake, provider="baseten", api_key=KEY) as client:
        await flavor.gen_sync(client, MSGS, Options(frequency_penalty=0.5))
        with pytest.raises(ValidationError, match="given together"):
            await flavor.gen_sync(client, MSGS, Options(), genai_baseten.Options())
    assert len(fake.requests) == 1
    assert fake.requests[0].json()["frequency_penalty"] == 0.5


# --- 4. content parts: text, images, audio, files; refused before sending or by the server ----

# Bytes with the real signatures of their types (the rest is filler).
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRloopback"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00loopback"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt loopback"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00loopback"
PDF = b"%PDF-1.7\n%loopback"
ASK = "what is in it"
ASK_ECHO = f"echo: {ASK}"


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@each_mode
@pytest.mark.parametrize(
    ("doc", "part"),
    [
        pytest.param(
            Doc.from_url("https://img.example/cat.png", detail="high"),
            {
                "type": "image_url",
                "image_url": {"url": "https://img.example/cat.png", "detail": "high"},
            },
            id="image-url-detail",
        ),
        pytest.param(
            Doc.from_url("https://img.example/cat.png"),
            {"type": "image_url", "image_url": {"url": "https://img.example/cat.png"}},
            id="image-url",
        ),
        pytest.param(
            Doc.from_bytes(PNG),  # no name: the signature gives the type
            {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}},
            id="png-bytes",
        ),
        pytest.param(
            Doc.from_bytes(JPEG, "photo.jpeg", detail="low"),
            {
                "type": "image_url",
                "image_url": {"url": data_url("image/jpeg", JPEG), "detail": "low"},
            },
            id="jpeg-bytes-detail",
        ),
        pytest.param(
            Doc.from_bytes(PNG, "mislabelled.jpg"),  # the bytes say PNG: the URL must too
            {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}},
            id="png-named-jpg",
        ),
        pytest.param(
            Doc.from_bytes(WAV, "memo.wav"),
            {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
            id="wav",
        ),
        pytest.param(
            Doc.from_bytes(MP3),
            {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}},
            id="mp3",
        ),
        pytest.param(
            Doc.from_bytes(PDF, "report.pdf"),
            {
                "type": "file",
                "file": {"filename": "report.pdf", "file_data": data_url("application/pdf", PDF)},
            },
            id="pdf",
        ),
        pytest.param(
            Doc.from_bytes(PDF),  # no name: OpenAI requires one, so one is made up
            {
                "type": "file",
                "file": {"filename": "document.pdf", "file_data": data_url("application/pdf", PDF)},
            },
            id="pdf-unnamed",
        ),
    ],
)
async def test_each_content_part_reaches_the_server(
    mode: Mode, fake: FakeOpenAI, doc: Doc, part: dict[str, Any]
) -> None:
    async with open_client(mode.flavor, fake) as client:
        result = await mode.generate_checked(client, [Message.user(ASK, doc)])
    assert result.text == ASK_ECHO  # the server read the text part
    (request,) = fake.requests
    assert request.json()["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": ASK}, part]}
    ]


@each_mode
async def test_a_turn_of_every_kind_keeps_its_order(mode: Mode, fake: FakeOpenAI) -> None:
    notes = Doc.from_bytes(b"The cat is called Tom.", "notes.txt")
    turn = Message.user(
        notes,
        "Compare",
        Doc.from_bytes(JPEG, "a.jpg"),
        "with",
        Doc.from_url("https://img.example/b.png", detail="auto"),
        Doc.from_bytes(WAV, "c.wav"),
        Doc.from_bytes(PDF, "d.pdf"),
    )
    history = [Message.user("hello there"), Message.assistant("echo: hello there"), turn]
    async with open_client(mode.flavor, fake) as client:
        result = await mode.generate_checked(client, history)
    # Text documents are inlined as text parts, so the server echoes them with the rest.
    assert result.text == "echo: The cat is called Tom. Compare with"
    assert usage_of(result)[0] == 2 + 7  # the words of both user turns' text
    messages = fake.requests[0].json()["messages"]
    assert messages[:2] == [
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "echo: hello there"},
    ]
    assert messages[2] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "The cat is called Tom."},
            {"type": "text", "text": "Compare"},
            {"type": "image_url", "image_url": {"url": data_url("image/jpeg", JPEG)}},
            {"type": "text", "text": "with"},
            {
                "type": "image_url",
                "image_url": {"url": "https://img.example/b.png", "detail": "auto"},
            },
            {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
            {
                "type": "file",
                "file": {"filename": "d.pdf", "file_data": data_url("application/pdf", PDF)},
            },
        ],
    }


@each_mode
async def test_baseten_sends_each_part_as_its_own_message(mode: Mode, fake: FakeOpenAI) -> None:
    # Baseten takes text and images by default; this model says it also takes audio and files.
    info = Model(id=MODEL, input_modalities=["text", "image", "audio", "file"])
    turn = Message.user(ASK, Doc.from_bytes(PNG, "p.png"), Doc.from_bytes(MP3), Doc.from_bytes(PDF))
    async with open_client(
        mode.flavor, fake, provider="baseten", api_key=KEY, model_info=info
    ) as client:
        result = await mode.generate_checked(client, [turn])
    assert result.text == ASK_ECHO
    assert fake.requests[0].json()["messages"] == [
        {"role": "user", "content": ASK},
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "file",
                    "file": {
                        "filename": "document.pdf",
                        "file_data": data_url("application/pdf", PDF),
                    },
                }
            ],
        },
    ]


async def refused_locally(flavor: Flavor, client: Any, messages: list[Message]) -> list[str]:
    """The messages of the NotSupportedError raised by gen_sync and by gen_stream itself (a
    stream's inputs are checked when it is created, before it is iterated)."""
    out = []
    with pytest.raises(NotSupportedError) as sync_info:
        await flavor.gen_sync(client, messages)
    out.append(str(sync_info.value))
    with pytest.raises(NotSupportedError) as stream_info:
        client.gen_stream(messages)
    out.append(str(stream_info.value))
    return out


@each_flavor
@pytest.mark.parametrize(
    ("provider", "doc", "words"),
    [
        pytest.param(
            "openaicompatible",
            Doc.from_bytes(b"\x00\x00\x00\x18ftypmp42", "clip.mp4"),
            "video input cannot be sent in a chat message (video clip.mp4 at messages[0]",
            id="video",
        ),
        pytest.param(
            "openaicompatible",
            Doc.from_url("https://media.example/clip.webm", mime_type="video/webm"),
            "video input cannot be sent",
            id="video-url",
        ),
        pytest.param(
            "openaicompatible",
            Doc.from_bytes(b"fLaC\x00\x00\x00\x22x", "song.flac"),
            "audio of type audio/flac cannot be sent",
            id="flac",
        ),
        pytest.param(
            "openaicompatible",
            Doc.from_url("https://media.example/memo.wav"),
            "audio input must be given as bytes, not a URL",
            id="audio-url",
        ),
        pytest.param(
            "baseten",
            Doc.from_bytes(PDF, "report.pdf"),
            f"model '{MODEL}' is not known to take document input (document report.pdf",
            id="baseten-pdf",
        ),
        pytest.param(
            "baseten",
            Doc.from_bytes(WAV, "memo.wav"),
            f"model '{MODEL}' is not known to take audio input (audio memo.wav",
            id="baseten-audio",
        ),
    ],
)
async def test_what_the_target_cannot_take_is_refused_before_sending(
    flavor: Flavor, fake: FakeOpenAI, provider: str, doc: Doc, words: str
) -> None:
    async with open_client(flavor, fake, provider=provider, api_key=KEY) as client:
        messages = await refused_locally(flavor, client, [Message.user(doc, ASK)])
    for message in messages:
        assert message.startswith(f"{provider}: ")
        assert words in message
    assert fake.requests == []


@each_flavor
@pytest.mark.parametrize("provider", ["openaicompatible", "baseten"])
async def test_what_model_info_leaves_out_is_refused_before_sending(
    flavor: Flavor, fake: FakeOpenAI, provider: str
) -> None:
    info = Model(id=MODEL, input_modalities=["text", "audio"])
    image = Doc.from_bytes(PNG, "cat.png")
    async with open_client(flavor, fake, provider=provider, api_key=KEY, model_info=info) as client:
        messages = await refused_locally(flavor, client, [Message.user(ASK, image)])
        assert fake.requests == []
        # What it lists is sent.
        result = await flavor.gen_sync(client, [Message.user(ASK, Doc.from_bytes(WAV))])
    for message in messages:
        assert f"model '{MODEL}' does not take image input (image cat.png at messages[0]" in message
        assert "its input modalities are audio, text" in message
    assert result.text == ASK_ECHO
    assert len(fake.requests) == 1


@each_flavor
async def test_modalities_listed_by_the_server_are_enforced(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    image = Message.user(ASK, Doc.from_bytes(PNG, "cat.png"))
    async with open_client(flavor, fake, model=TEXT_ONLY_MODEL) as client:
        assert client.model_info is None
        await flavor.list_models(client)
        assert client.model_info is not None
        assert client.model_info.input_modalities == ["text"]
        messages = await refused_locally(flavor, client, [image])
        result = await flavor.gen_sync(client, [Message.user(ASK)])
    assert f"model '{TEXT_ONLY_MODEL}' does not take image input" in messages[0]
    assert result.text == ASK_ECHO
    assert [r.path for r in fake.requests] == ["/v1/models", "/v1/chat/completions"]


@each_mode
@pytest.mark.parametrize("provider", ["openaicompatible", "baseten"])
async def test_server_refusal_is_an_unsupported_input_error_naming_the_input(
    mode: Mode, fake: FakeOpenAI, provider: str
) -> None:
    # The client does not know the model's modalities, so it sends; the server refuses.
    history = [
        Message.user("hello"),
        Message.assistant("echo: hello"),
        Message.user(ASK, Doc.from_bytes(JPEG, "cat.jpg")),
    ]
    async with open_client(
        mode.flavor, fake, provider=provider, api_key=KEY, model=TEXT_ONLY_MODEL
    ) as client:
        with pytest.raises(UnsupportedInputError) as info:
            await mode.generate_checked(client, history)
        # Text alone is answered by the same model.
        result = await mode.generate_checked(client, [*history[:2], Message.user(ASK)])
    err = info.value
    assert isinstance(err, BadRequestError)
    assert err.status_code == 400
    assert err.provider == provider
    assert err.message == f"{TEXT_ONLY_MODEL} is not a multimodal model"
    assert err.error_type == "BadRequestError"
    assert err.inputs == (InputRef(2, 1, "image", "cat.jpg"),)
    assert err.model == TEXT_ONLY_MODEL
    text = str(err)
    assert "image cat.jpg at messages[2].requests[1]" in text
    assert KEY not in text
    assert result.text == ASK_ECHO
    assert len(fake.requests) == 2  # a 400 is not retried


@each_flavor
async def test_a_refusal_naming_no_document_sent_stays_a_plain_bad_request(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    refusal = {"error": {"message": "image_url is not supported", "code": 400}}
    fake.enqueue(Outgoing.json(400, refusal))
    async with open_client(flavor, fake) as client:
        with pytest.raises(BadRequestError) as info:
            await flavor.gen_sync(client, [Message.user(ASK)])
    assert type(info.value) is BadRequestError
    assert info.value.message == "image_url is not supported"


# --- 5. embeddings ----------------------------------------------------------------------------


@each_flavor
@pytest.mark.parametrize("encoding", ["float", "base64"])
async def test_embed_a_list(flavor: Flavor, fake: FakeOpenAI, encoding: str) -> None:
    texts = ["alpha", "be", "a b c"]
    async with open_client(flavor, fake) as client:
        out = await flavor.embed(client, texts, model="fake/embed-1", encoding_format=encoding)
    # The fake's vectors are small integers: exact in float32 too.
    assert out.vectors == [fake_vector(t, i, None) for i, t in enumerate(texts)]
    assert len(out) == 3
    assert out.model == "fake/embed-1"
    assert (out.usage.input_tokens, out.usage.total_tokens) == (5, 5)
    body = fake.requests[0].json()
    assert body == {"model": "fake/embed-1", "input": texts, "encoding_format": encoding}
    assert fake.requests[0].path == "/v1/embeddings"


@each_flavor
async def test_embed_a_string_with_dimensions(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        out = await flavor.embed(client, "hello", dimensions=2)
    assert out.vectors == [[5.0, 104.0]]
    assert fake.requests[0].json() == {
        "model": MODEL,
        "input": "hello",
        "encoding_format": "float",
        "dimensions": 2,
    }


@each_flavor
async def test_baseten_embed_uses_the_shared_route(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake, provider="baseten", api_key=KEY) as client:
        out = await flavor.embed(client, ["hi"], encoding_format="base64")
    assert out.vectors == [[2.0, 104.0, 0.0]]
    req = fake.requests[0]
    assert (req.path, req.headers["authorization"]) == ("/v1/embeddings", f"Api-Key {KEY}")


@each_flavor
@pytest.mark.parametrize(
    ("args", "kw", "match"),
    [
        (([],), {}, "empty list"),
        ((["ok", 3],), {}, r"input\[1\] must be a string"),
        ((["ok", ""],), {}, r"input\[1\] is an empty string"),
        ((b"bytes",), {}, "string or a list"),
        (("x",), {"encoding_format": "int8"}, "encoding_format"),
        (("x",), {"dimensions": 0}, "dimensions"),
        (("x",), {"model": 3}, "model must be a non-empty string"),
        (("x",), {"user": 3}, "user must be a string"),
    ],
)
async def test_embed_bad_input_raises_before_sending(
    flavor: Flavor, fake: FakeOpenAI, args: tuple[Any, ...], kw: dict[str, Any], match: str
) -> None:
    async with open_client(flavor, fake) as client:
        with pytest.raises(ValidationError, match=match):
            await flavor.embed(client, *args, **kw)
    assert fake.requests == []


@each_flavor
async def test_embed_wrong_number_of_vectors_is_a_malformed_response(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    fake.enqueue(Outgoing.json(200, {"data": [{"index": 0, "embedding": [1.0]}]}))
    async with open_client(flavor, fake) as client:
        with pytest.raises(MalformedResponseError, match="expected 2 vectors, got 1"):
            await flavor.embed(client, ["a", "b"])


# --- 6. rate limits ---------------------------------------------------------------------------

LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-limit-tokens": "150000",
    "x-ratelimit-remaining-tokens": "149984",
    "x-ratelimit-reset-tokens": "6m0s",
}
EPOCH = datetime.fromtimestamp(NOW, tz=timezone.utc)
EXPECTED_LIMITS = [
    RateLimit(kind="requests", limit=60, remaining=59, reset=EPOCH + timedelta(seconds=1)),
    RateLimit(kind="tokens", limit=150000, remaining=149984, reset=EPOCH + timedelta(minutes=6)),
]


@each_flavor
async def test_rate_limit_headers_become_usage_limits(flavor: Flavor, fake: FakeOpenAI) -> None:
    fake.headers.update(LIMIT_HEADERS)
    async with open_client(flavor, fake) as client:
        result = await flavor.gen_sync(client, MSGS)
        _, streamed = await flavor.stream(client, MSGS)
        embedded = await flavor.embed(client, "x")
    assert result.usage.limits == EXPECTED_LIMITS
    assert streamed.usage.limits == EXPECTED_LIMITS
    assert embedded.usage.limits == EXPECTED_LIMITS


@each_flavor
async def test_no_rate_limit_headers_means_no_limits(flavor: Flavor, fake: FakeOpenAI) -> None:
    async with open_client(flavor, fake) as client:
        assert (await flavor.gen_sync(client, MSGS)).usage.limits == []


@each_mode
async def test_429_carries_retry_after_and_the_limits(mode: Mode, fake: FakeOpenAI) -> None:
    exhausted = {**LIMIT_HEADERS, "x-ratelimit-remaining-requests": "0"}
    fake.enqueue(
        Outgoing.json(429, {"error": {"message": "slow down"}}, {"Retry-After": "7", **exhausted}),
        Outgoing.json(429, {"error": {"message": "slow"}}, {"retry-after-ms": "1500"}),
    )
    call = mode.flavor.stream if mode.stream else mode.flavor.gen_sync
    async with open_client(mode.flavor, fake, max_retries=0) as client:
        with pytest.raises(RateLimitError, match="slow down") as info:
            await call(client, MSGS)
        with pytest.raises(RateLimitError) as bare:
            await call(client, MSGS)
    assert info.value.retry_after == 7.0
    requests_limit = EXPECTED_LIMITS[0].model_copy(update={"remaining": 0})
    assert info.value.limits == [requests_limit, EXPECTED_LIMITS[1]]
    assert (bare.value.retry_after, bare.value.limits) == (1.5, [])


@each_flavor
async def test_404_names_the_url_that_was_tried(flavor: Flavor, fake: FakeOpenAI) -> None:
    # The most common slip: the API root without its "/v1".
    root = fake.base_url.removesuffix("/v1")
    async with open_client(flavor, fake, base_url=root, max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            await flavor.gen_sync(client, MSGS)
    assert f"POST {root}/chat/completions" in str(info.value)
    assert "base_url is the API root" in str(info.value)


# --- bad input: what a broken server or proxy sends ------------------------------------------

PROXY_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
    b"<style>body { font-family: sans-serif; }</style><script>var t = 1;</script></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream server did not answer &amp; gave up.</p>"
    + b"<p>filler</p>" * 400
    + b"</body></html>"
)


@each_mode
async def test_html_error_page_from_a_proxy(mode: Mode, fake: FakeOpenAI) -> None:
    fake.enqueue(Outgoing(502, PROXY_PAGE, {"Content-Type": "text/html"}))
    call = mode.flavor.stream if mode.stream else mode.flavor.gen_sync
    async with open_client(mode.flavor, fake, max_retries=0) as client:
        with pytest.raises(ServerError) as info:
            await call(client, MSGS)
    message = info.value.message
    assert message.startswith("502 Bad Gateway: Bad Gateway The upstream server did not answer &")
    assert len(message) <= 200
    assert "<" not in message
    assert "font-family" not in message
    assert "var t" not in message


@each_flavor
@pytest.mark.parametrize(
    ("content", "ctype", "match"),
    [
        (PROXY_PAGE, "text/html", r"got an HTML page: '502 Bad Gateway: Bad Gateway"),
        (b"OK", "text/plain", r"got a body that is not JSON: 'OK'"),
        (b"", "application/octet-stream", r"not JSON: '\(empty\)'"),
    ],
)
async def test_non_json_success_body_is_a_malformed_response(
    flavor: Flavor, fake: FakeOpenAI, content: bytes, ctype: str, match: str
) -> None:
    fake.enqueue(Outgoing(200, content, {"Content-Type": ctype}))
    async with open_client(flavor, fake) as client:
        with pytest.raises(MalformedResponseError, match=match) as info:
            await flavor.gen_sync(client, MSGS)
    assert info.value.status_code == 200
    assert not isinstance(info.value, StreamError)  # a whole body, not a stream
    assert fake.base_url in str(info.value)  # the hint names the URL to check


@each_flavor
@pytest.mark.parametrize(
    "body", [{"object": "list"}, {"data": "none"}, "a string"], ids=["no-data", "str", "not-obj"]
)
async def test_a_model_list_of_the_wrong_shape_is_a_malformed_response(
    flavor: Flavor, fake: FakeOpenAI, body: Any
) -> None:
    fake.enqueue(Outgoing.json(200, body))
    async with open_client(flavor, fake, api_key=KEY) as client:
        with pytest.raises(
            MalformedResponseError, match=r"expected \{'data': \[\.\.\.\]\} listing models"
        ) as info:
            await flavor.list_models(client)
    assert info.value.status_code == 200


@each_flavor
async def test_html_page_answering_a_stream_request(flavor: Flavor, fake: FakeOpenAI) -> None:
    fake.enqueue(Outgoing(200, [PROXY_PAGE[:300], PROXY_PAGE[300:]], {"Content-Type": "text/html"}))
    async with open_client(flavor, fake) as client:
        with pytest.raises(StreamError, match=r"expected an event stream, got: '502 Bad Gateway"):
            await flavor.stream(client, MSGS)


@each_flavor
async def test_empty_stream_is_an_error_not_an_empty_answer(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    fake.enqueue(Outgoing(200, [b": keep-alive\n\n"], {"Content-Type": "text/event-stream"}))
    async with open_client(flavor, fake) as client:
        with pytest.raises(StreamError, match="without sending any event"):
            await flavor.stream(client, MSGS)


@each_flavor
async def test_a_stream_of_only_done_is_a_clean_empty_answer(
    flavor: Flavor, fake: FakeOpenAI
) -> None:
    fake.enqueue(Outgoing(200, [event("[DONE]")], {"Content-Type": "text/event-stream"}))
    async with open_client(flavor, fake) as client:
        fragments, result = await flavor.stream(client, MSGS)
    assert fragments == []
    assert result.text == ""


# --- the documentation's runnable example ------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "openai-compatible.md"


def test_docs_runnable_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    if not DOC.exists():
        pytest.skip("docs/ is not installed with the tests")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    exec(compile(blocks[-1], str(DOC), "exec"), {"__name__": "doc_example"})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Hello! 5 fp-demo"
    assert lines[1].startswith("requests 60 59 ")
    assert lines[2] == "[[3.0, 0.5, 0.0], [5.0, 0.5, 1.0]]"


def test_cli_talks_to_the_server_with_base_url(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    from genai_core import cli

    base = ["--provider", "openaicompatible", "--base-url", fake.base_url]
    assert cli.main(["models", *base]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed[1:]] == [m["id"] for m in MODELS]
    assert cli.main(["chat", *base, "--model", MODEL, "say hello"]) == 0
    assert capsys.readouterr().out.strip() == ECHO
    assert [r.path for r in fake.requests] == ["/v1/models", "/v1/chat/completions"]


README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_openaicompatible_example_runs_against_the_server(fake: FakeOpenAI) -> None:
    if not README.exists():
        pytest.skip("README.md is not installed with the tests")
    section = README.read_text().split("### Any OpenAI-compatible server", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    code = block.group(1).replace("http://localhost:8000/v1", fake.base_url)
    scope: dict[str, Any] = {"genai": genai_core, "msgs": MSGS}
    exec(compile(code, str(README), "exec"), scope)
    assert scope["res"].text == ECHO
    assert scope["emb"].vectors == [
        fake_vector("some text", 0, None),
        fake_vector("more text", 1, None),
    ]
    assert [r.path for r in fake.requests] == ["/v1/chat/completions", "/v1/embeddings"]
    assert [r.json()["model"] for r in fake.requests] == ["Qwen/Qwen3-0.6B", "BAAI/bge-m3"]
    scope["client"].close()
