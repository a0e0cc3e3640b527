"""Multimodal input: documents as content parts, model modalities, refused inputs.

Three layers:

* sans-IO: :class:`Doc` types (extension, signature), ``content.py`` conversion for the two
  layouts (one array message; Baseten's one message per part), refusal messages;
* clients: the Baseten client and a generic OpenAI-compatible client over ``httpx.MockTransport``,
  each test run through Client and AsyncClient (asyncio and trio), ``gen_sync`` and
  ``gen_stream``;
* the real recordings in ``GENAI_WIRE_DIR`` (MultiModal-*, Citations-*), when it is set.

Answers are written from the wire format; the image bytes are a few bytes with a real signature.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx
import pytest
import wire
from harness import bodies
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_mode
from harness.scripted import ScriptedServer

import genai_baseten
import genai_core as genai
from genai_core.errors import (
    BadRequestError,
    InputRef,
    NotSupportedError,
    UnsupportedInputError,
    ValidationError,
)
from genai_core.openai_chat.client import AsyncChatClient, ChatClient, ProviderConfig
from genai_core.openai_chat.content import (
    ContentRules,
    doc_to_part,
    input_refs,
    normalise_modalities,
    user_message_to_wire,
)
from genai_core.openai_chat.error_body import api_error, refused_inputs
from genai_core.openai_chat.request import ChatDialect
from genai_core.types import Doc, Message, Model, Result, kind_of_mime, mime_from_data

MODEL = "acme/vision-1"
KEY = "bt-secret-key-0123456789abcdef"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-jpeg"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRfake"
GIF = b"GIF89a\x01\x00\x01\x00fake"
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 fake"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt fake"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00fake"
MP3_FRAME = b"\xff\xfb\x90\x64fake"
PDF = b"%PDF-1.7\n%fake"
FLAC = b"fLaC\x00\x00\x00\x22fake"
OGG = b"OggS\x00\x02fake"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- Doc: types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (WAV, "audio/wav"),
        (MP3, "audio/mpeg"),
        (MP3_FRAME, "audio/mpeg"),
        (PDF, "application/pdf"),
        (FLAC, "audio/flac"),
        (OGG, "audio/ogg"),
        (b"hello world", None),
        (b"RIFF\x00\x00\x00\x00AVI fake", None),
    ],
)
def test_signature_gives_the_type(data: bytes, mime: str | None) -> None:
    assert mime_from_data(data) == mime
    if mime is not None:
        assert Doc.from_bytes(data).mime() == mime


def test_image_signature_wins_over_an_image_extension() -> None:
    # A PNG saved as .jpg is sent as what it is; the data URL must not claim JPEG.
    assert Doc.from_bytes(PNG, "photo.jpg").mime() == "image/png"
    # Bytes without a known signature keep the extension's type.
    assert Doc.from_bytes(b"\x00\x01", "photo.jpg").mime() == "image/jpeg"


def test_signature_never_overrides_a_non_image_extension() -> None:
    # Text that happens to start like an MP3 tag stays text.
    assert Doc.from_bytes(b"ID3 tags explained", "notes.txt").mime() == "text/plain"
    assert Doc.from_bytes(PNG, "notes.txt").mime() == "text/plain"
    assert Doc.from_bytes(PNG, "x.jpg", mime_type="image/webp").mime() == "image/webp"


@pytest.mark.parametrize("filename", [None, "photo", "photo.unknownext123"])
def test_image_of_unknown_type_is_a_validation_error_saying_what_to_pass(
    filename: str | None,
) -> None:
    with pytest.raises(ValidationError) as info:
        Doc.from_bytes(b"\x00\x01 not an image signature", filename)
    msg = str(info.value)
    assert "filename" in msg
    assert "mime_type" in msg


@pytest.mark.parametrize(
    ("mime", "kind"),
    [
        ("text/plain", "text"),
        ("text/markdown", "text"),
        ("application/json", "text"),
        ("application/ld+json", "text"),
        ("application/x-yaml", "text"),
        ("image/png", "image"),
        ("IMAGE/PNG; q=1", "image"),
        ("audio/wav", "audio"),
        ("video/mp4", "video"),
        ("application/pdf", "document"),
        ("application/zip", "document"),
        (None, "document"),
    ],
)
def test_kind_of_mime(mime: str | None, kind: str) -> None:
    assert kind_of_mime(mime) == kind


def test_url_of_unknown_type_counts_as_an_image() -> None:
    assert Doc.from_url("https://example.com/render?id=3").kind == "image"
    assert Doc.from_url("https://example.com/paper.pdf").kind == "document"


def test_detail_is_for_images_only() -> None:
    assert Doc.from_bytes(PNG, "a.png", detail="low").detail == "low"
    assert Doc.from_url("https://example.com/render?id=3", detail="high").detail == "high"
    with pytest.raises(ValidationError, match="images only"):
        Doc.from_bytes(PDF, "a.pdf", detail="low")
    with pytest.raises(ValidationError, match="detail"):
        Doc.from_bytes(PNG, "a.png", detail="medium")  # type: ignore[arg-type]
    assert "detail='low'" in repr(Doc.from_bytes(PNG, "a.png", detail="low"))


# --- content conversion (sans-IO) ----------------------------------------------------------------

GENERIC = ContentRules()
SPLIT = ContentRules(split_user_parts=True, default_modalities=frozenset({"text", "image"}))


def user_wire(*parts: str | Doc, rules: ContentRules = GENERIC, **kw: Any) -> list[Any]:
    return user_message_to_wire(Message.user(*parts), 0, rules, provider="test", **kw)


def test_array_layout_puts_every_part_in_one_message() -> None:
    got = user_wire(
        "Compare these.",
        Doc.from_bytes(PNG, "a.png", detail="low"),
        Doc.from_url("https://example.com/b.jpg", detail="high"),
        Doc.from_bytes(b"Side notes.", "notes.txt"),
        Doc.from_bytes(WAV, "voice.wav"),
        Doc.from_bytes(MP3, "song.mp3"),
        Doc.from_bytes(PDF, "report.pdf"),
    )
    assert got == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare these."},
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/png;base64,{b64(PNG)}", "detail": "low"},
                },
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/b.jpg", "detail": "high"},
                },
                {"type": "text", "text": "Side notes."},
                {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
                {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}},
                {
                    "type": "file",
                    "file": {
                        "filename": "report.pdf",
                        "file_data": f"data:application/pdf;base64,{b64(PDF)}",
                    },
                },
            ],
        }
    ]


def test_array_layout_single_parts() -> None:
    assert user_wire("Hi") == [{"role": "user", "content": "Hi"}]
    url = "https://example.com/cat.jpg"
    assert user_wire(Doc.from_url(url)) == [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
    ]


def test_split_layout_sends_one_message_per_part_in_order() -> None:
    got = user_wire(
        Doc.from_bytes(b"The sky is green.", "facts.txt"),
        "What colour is the sky?",
        Doc.from_bytes(JPEG, "sky.jpg"),
        rules=SPLIT,
    )
    assert got == [
        {"role": "user", "content": "The sky is green."},
        {"role": "user", "content": "What colour is the sky?"},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{b64(JPEG)}"}}
            ],
        },
    ]


def test_data_urls_are_used_as_they_are() -> None:
    pdf_url = f"data:application/pdf;base64,{b64(PDF)}"
    part = doc_to_part(Doc.from_url(pdf_url))
    assert part == {"type": "file", "file": {"filename": "document.pdf", "file_data": pdf_url}}
    audio = doc_to_part(Doc.from_url(f"data:audio/wav;base64,{b64(WAV)}"))
    assert audio == {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}}
    assert doc_to_part(Doc.from_url("data:text/plain,caf%C3%A9%20au%20lait")) == "café au lait"
    # RFC 2397: a data: URL without a type is text.
    assert doc_to_part(Doc.from_url("data:,plain%20text")) == "plain text"


def test_text_document_must_be_utf8() -> None:
    with pytest.raises(ValidationError) as info:
        user_wire("Read this", Doc.from_bytes(b"caf\xe9", "menu.txt"))
    assert "menu.txt" in str(info.value)
    assert "messages[0].requests[1]" in str(info.value)
    assert "UTF-8" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (Doc.from_url("https://example.com/notes.txt"), ["text document", "URL", "bytes"]),
        (Doc.from_url("https://example.com/voice.wav"), ["audio", "bytes", "from_bytes"]),
        (Doc.from_url("https://example.com/paper.pdf"), ["document", "bytes"]),
        (Doc.from_bytes(FLAC, "voice.flac"), ["audio/flac", "mp3, wav"]),
        (Doc.from_bytes(b"\x00\x00\x00\x18ftypmp42", "clip.mp4"), ["video", "clip.mp4"]),
    ],
)
def test_what_the_wire_cannot_carry_is_not_supported(doc: Doc, words: list[str]) -> None:
    with pytest.raises(NotSupportedError) as info:
        user_wire("Look", doc)
    for word in words:
        assert word in str(info.value)
    assert "messages[0].requests[1]" in str(info.value)


def test_audio_formats_are_the_targets() -> None:
    rules = ContentRules(audio_formats=frozenset({"wav", "mp3", "flac"}))
    assert user_wire(Doc.from_bytes(FLAC, "voice.flac"), rules=rules) == [
        {
            "role": "user",
            "content": [
                {"type": "input_audio", "input_audio": {"data": b64(FLAC), "format": "flac"}}
            ],
        }
    ]


def test_known_modalities_decide_and_name_the_model() -> None:
    with pytest.raises(NotSupportedError) as info:
        user_wire("Read", Doc.from_bytes(PDF, "report.pdf"), model=MODEL, modalities=["text"])
    msg = str(info.value)
    assert repr(MODEL) in msg
    assert "document report.pdf at messages[0].requests[1]" in msg
    assert "its input modalities are text" in msg
    assert info.value.options == ("Doc[application/pdf]",)
    # "file" is what model lists call documents.
    got = user_wire(Doc.from_bytes(PDF, "r.pdf"), model=MODEL, modalities=["text", "file"])
    assert got[0]["content"][0]["type"] == "file"


def test_default_modalities_apply_only_when_the_model_lists_none() -> None:
    with pytest.raises(NotSupportedError) as info:
        user_wire("Hear", Doc.from_bytes(WAV, "v.wav"), rules=SPLIT, model=MODEL)
    assert repr(MODEL) in str(info.value)
    assert "list_models()" in str(info.value)
    assert "model_info=" in str(info.value)
    got = user_wire(Doc.from_bytes(WAV, "v.wav"), rules=SPLIT, modalities=["text", "audio"])
    assert got[0]["content"][0]["type"] == "input_audio"
    # Text documents are inlined as text: never refused for modality.
    assert user_wire(Doc.from_bytes(b"x", "a.txt"), rules=SPLIT, modalities=["image"]) == [
        {"role": "user", "content": "x"}
    ]


def test_target_parts_limit_even_a_model_that_lists_the_modality() -> None:
    rules = ContentRules(parts=frozenset({"text", "image"}))
    with pytest.raises(NotSupportedError, match="cannot be sent in a chat message"):
        user_wire(Doc.from_bytes(WAV, "v.wav"), rules=rules, modalities=["text", "audio"])


@pytest.mark.parametrize(
    ("values", "want"),
    [
        (["text", "image"], {"text", "image"}),
        (["Text", "FILE", "pdf"], {"text", "document"}),
        ([], None),
        (None, None),
    ],
)
def test_normalise_modalities(values: list[str] | None, want: set[str] | None) -> None:
    assert normalise_modalities(values) == (frozenset(want) if want is not None else None)


def test_input_refs_list_the_non_text_documents() -> None:
    msgs = [
        Message.user("a", Doc.from_bytes(b"t", "a.txt"), Doc.from_bytes(PNG, "a.png")),
        Message.assistant("ok"),
        Message.user(Doc.from_url("https://example.com/v.wav"), Doc.from_bytes(JPEG)),
    ]
    assert input_refs(msgs) == [
        InputRef(0, 2, "image", "a.png"),
        InputRef(2, 0, "audio", "https://example.com/v.wav"),
        InputRef(2, 1, "image", f"image/jpeg, {len(JPEG)} bytes"),
    ]


# --- refusals (sans-IO) --------------------------------------------------------------------------

IMG = InputRef(0, 1, "image", "cat.jpg")
AUD = InputRef(0, 2, "audio", "v.wav")
PDF_REF = InputRef(1, 0, "document", "r.pdf")


@pytest.mark.parametrize(
    ("message", "inputs", "want"),
    [
        (
            "This model does not support multimodal (image/video/audio) inputs.",
            [IMG, AUD, PDF_REF],
            [IMG, AUD],
        ),
        ("image_url is not supported", [IMG, AUD], [IMG]),
        ("Invalid content type. image_url is only supported by certain models.", [IMG], [IMG]),
        ("image input is not supported - hint: provide the mmproj", [AUD, IMG], [IMG]),
        ("The model does not support audio inputs", [IMG, AUD], [AUD]),
        ("Model acme is not a multimodal model", [IMG, AUD], [IMG, AUD]),
        ("PDF files are not supported", [IMG, PDF_REF], [PDF_REF]),
        # Names a modality none of the inputs has: every input is reported.
        ("video input is not supported", [IMG], [IMG]),
        ("`response_format.json_schema.name` cannot be empty", [IMG], None),
        ("This model does not support logprobs > 1.", [IMG], None),
        ("This model does not support multimodal (image/video/audio) inputs.", [], None),
    ],
)
def test_refused_inputs(message: str, inputs: list[InputRef], want: list[InputRef] | None) -> None:
    assert refused_inputs(message, inputs) == want


def test_only_a_plain_bad_request_is_refined() -> None:
    msg = "This model does not support multimodal (image/video/audio) inputs."
    body = json.dumps({"object": "error", "message": msg, "type": "BadRequestError", "code": 400})

    def error(status: int, inputs: list[InputRef]) -> genai.APIError:
        return api_error(
            status, body, {}, provider="p", request_id="r1", inputs=inputs, model="m/x"
        )

    refined = error(400, [IMG])
    assert isinstance(refined, UnsupportedInputError)
    assert (refined.status_code, refined.request_id, refined.model) == (400, "r1", "m/x")
    assert (refined.message, refined.error_type, refined.inputs) == (msg, "BadRequestError", (IMG,))
    assert type(error(400, [])) is BadRequestError  # nothing non-text was sent
    assert type(error(500, [IMG])) is genai.ServerError


# --- clients over MockTransport ------------------------------------------------------------------


class GenericClient(ChatClient):
    """An OpenAI-compatible target with the default content rules (one array message)."""

    config: ClassVar[ProviderConfig] = ProviderConfig(
        name="generic",
        base_url="http://127.0.0.1:9/v1",
        dialect=ChatDialect(provider="generic"),
        key_required=False,
    )


class GenericAsyncClient(AsyncChatClient):
    config: ClassVar[ProviderConfig] = GenericClient.config


AnyClient = ChatClient | AsyncChatClient


USAGE = bodies.usage(9, 1)


def chat_server(
    reply: str = "banana",
    *,
    error: tuple[int, dict[str, Any]] | None = None,
    models: list[dict[str, Any]] | None = None,
) -> ScriptedServer:
    """Answers chat requests with ``reply`` (JSON or SSE, as asked) or ``error``; lists models."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": models or []})
        if error is not None:
            return httpx.Response(error[0], json=error[1])
        kw: dict[str, Any] = {"id": "chatcmpl-1", "model": None, "created": None}
        if json.loads(request.content).get("stream"):
            sse = bodies.events_of(
                [
                    bodies.chunk({"role": "assistant", "content": reply}, **kw),
                    bodies.chunk({}, finish="stop", **kw),
                    bodies.chunk(None, usage=USAGE, **kw),
                ]
            )
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse)
        kw["model"] = MODEL
        return httpx.Response(200, json=bodies.completion(reply, usage=USAGE, **kw))

    return ScriptedServer(answer)


def client_for(
    mode: Mode,
    server: Callable[[httpx.Request], httpx.Response],
    *,
    generic: bool = False,
    **kw: Any,
) -> AnyClient:
    """A client of ``mode`` on ``server``: Baseten's, or the generic one of this file."""
    kw.setdefault("model", MODEL)
    kw.setdefault("api_key", KEY)
    kw.setdefault("max_retries", 0)
    classes = (
        (GenericClient, GenericAsyncClient)
        if generic
        else (genai_baseten.Client, genai_baseten.AsyncClient)
    )
    client: AnyClient = mode.mock_client(server, sync_cls=classes[0], async_cls=classes[1], **kw)
    return client


F = TypeVar("F", bound=Callable[..., Any])


@each_mode
async def test_baseten_sends_image_bytes_and_url_one_part_per_message(mode: Mode) -> None:
    server = chat_server("banana")
    client = client_for(mode, server)
    msgs = [
        Message.user(
            "What fruit is it?",
            Doc.from_bytes(JPEG, "fruit.jpg"),
            Doc.from_url("https://example.com/fruit.png", detail="low"),
        )
    ]
    result = await mode.generate_checked(client, msgs)
    assert result.text == "banana"
    (body,) = server.bodies_for("/completions")
    assert body["messages"] == [
        {"role": "user", "content": "What fruit is it?"},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{b64(JPEG)}"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/fruit.png", "detail": "low"},
                }
            ],
        },
    ]


@each_mode
async def test_baseten_inlines_text_documents(mode: Mode) -> None:
    server = chat_server("Quack")
    client = client_for(mode, server)
    doc = Doc.from_bytes(b"# Duckland\n\nThe capital is Quack.", "duckland.md")
    await mode.generate_checked(client, [Message.user(doc, "What is the capital?")])
    assert server.bodies_for("/completions")[0]["messages"] == [
        {"role": "user", "content": "# Duckland\n\nThe capital is Quack."},
        {"role": "user", "content": "What is the capital?"},
    ]


@each_mode
@pytest.mark.parametrize(
    ("doc", "kind"),
    [(Doc.from_bytes(PDF, "report.pdf"), "document"), (Doc.from_bytes(WAV, "memo.wav"), "audio")],
)
async def test_baseten_refuses_pdf_and_audio_before_any_request(
    mode: Mode, doc: Doc, kind: str
) -> None:
    server = chat_server()
    client = client_for(mode, server)
    with pytest.raises(NotSupportedError) as info:
        await mode.generate_checked(client, [Message.user("Summarise", doc)])
    msg = str(info.value)
    assert msg.startswith("baseten: ")
    assert repr(MODEL) in msg
    assert f"{kind} {doc.filename} at messages[0].requests[1]" in msg
    assert server.requests == []


@each_mode
async def test_modalities_learned_from_list_models(mode: Mode) -> None:
    entry = {"id": MODEL, "input_modalities": ["text", "image", "audio", "file"]}
    server = chat_server("heard", models=[{"id": "other/model"}, entry])
    client = client_for(mode, server)
    assert client.model_info is None
    models = await mode.flavor.list_models(client)
    assert client.model_info == models[1]
    msgs = [Message.user("What is said?", Doc.from_bytes(WAV, "memo.wav"), Doc.from_bytes(PDF))]
    await mode.generate_checked(client, msgs)
    assert server.bodies_for("/completions")[0]["messages"][1:] == [
        {
            "role": "user",
            "content": [
                {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "file",
                    "file": {
                        "filename": "document.pdf",
                        "file_data": f"data:application/pdf;base64,{b64(PDF)}",
                    },
                }
            ],
        },
    ]


@each_mode
async def test_a_text_only_listing_refuses_images_locally(mode: Mode) -> None:
    server = chat_server(models=[{"id": MODEL, "input_modalities": ["text"]}])
    client = client_for(mode, server)
    await mode.flavor.list_models(client)
    with pytest.raises(NotSupportedError) as info:
        await mode.generate_checked(
            client, [Message.user("Describe", Doc.from_bytes(PNG, "cat.png"))]
        )
    assert "does not take image input" in str(info.value)
    assert repr(MODEL) in str(info.value)
    assert server.bodies_for("/completions") == []


@each_mode
async def test_model_info_given_is_used_and_wins_over_the_listing(mode: Mode) -> None:
    info = Model(id=MODEL, input_modalities=["text", "audio"])
    server = chat_server("ok", models=[{"id": MODEL}])
    client = client_for(mode, server, model=None, model_info=info)
    assert client.model == MODEL
    await mode.flavor.list_models(client)
    assert client.model_info is info
    await mode.generate_checked(client, [Message.user(Doc.from_bytes(MP3, "song.mp3"))])
    part = server.bodies_for("/completions")[0]["messages"][0]["content"][0]
    assert part == {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}}


def test_model_info_through_the_registry() -> None:
    info = Model(id=MODEL, input_modalities=["text", "image"])
    client = genai.get_provider("baseten", model=MODEL, api_key=KEY, model_info=info)
    assert isinstance(client, genai_baseten.Client)
    assert client.model_info is info


def test_model_info_must_describe_the_model() -> None:
    with pytest.raises(ValidationError, match="describes 'other/m'"):
        genai_baseten.Client(model=MODEL, api_key=KEY, model_info=Model(id="other/m"))
    with pytest.raises(ValidationError, match="must be a Model"):
        genai_baseten.Client(model=MODEL, api_key=KEY, model_info={"id": MODEL})  # type: ignore[arg-type]


MULTIMODAL_400 = {
    "error": {
        "code": 400,
        "message": "This model does not support multimodal (image/video/audio) inputs.",
        "type": "Bad Request",
    }
}


@each_mode
async def test_provider_refusal_is_an_unsupported_input_error_naming_the_input(mode: Mode) -> None:
    server = chat_server(error=(400, MULTIMODAL_400))
    client = client_for(mode, server)
    msgs = [
        Message.user("Hi"),
        Message.assistant("Hello"),
        Message.user("What is this?", Doc.from_bytes(JPEG, "cat.jpg")),
    ]
    with pytest.raises(UnsupportedInputError) as info:
        await mode.generate_checked(client, msgs)
    err = info.value
    assert isinstance(err, BadRequestError)
    assert err.status_code == 400
    assert err.message == MULTIMODAL_400["error"]["message"]
    assert err.inputs == (InputRef(2, 1, "image", "cat.jpg"),)
    assert err.model == MODEL
    text = str(err)
    assert "HTTP 400" in text
    assert "image cat.jpg at messages[2].requests[1]" in text
    assert repr(MODEL) in text
    assert KEY not in text
    assert len(server.requests) == 1


@each_mode
@pytest.mark.parametrize(
    ("messages", "body"),
    [
        pytest.param([Message.user("Hi")], MULTIMODAL_400, id="no-documents"),
        pytest.param(
            [Message.user("Hi", Doc.from_bytes(PNG, "a.png"))],
            {"error": {"code": 400, "message": "`json_schema.name` cannot be empty"}},
            id="another-refusal",
        ),
    ],
)
async def test_other_400s_stay_plain_bad_requests(
    mode: Mode, messages: list[Message], body: dict[str, Any]
) -> None:
    client = client_for(mode, chat_server(error=(400, body)))
    with pytest.raises(BadRequestError) as info:
        await mode.generate_checked(client, messages)
    assert type(info.value) is BadRequestError


@each_mode
async def test_generic_target_sends_every_part_in_one_message(mode: Mode) -> None:
    server = chat_server("done")
    client = client_for(mode, server, generic=True)
    msgs = [
        Message.user(
            "Describe all of it.",
            Doc.from_url("https://example.com/cat.jpg", detail="high"),
            Doc.from_bytes(GIF, "anim.gif", detail="auto"),
            Doc.from_bytes(WAV, "memo.wav"),
            Doc.from_bytes(PDF, "paper.pdf"),
        )
    ]
    result = await mode.generate_checked(client, msgs)
    assert result.text == "done"
    (body,) = server.bodies_for("/completions")
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe all of it."},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"},
                },
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/gif;base64,{b64(GIF)}", "detail": "auto"},
                },
                {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
                {
                    "type": "file",
                    "file": {
                        "filename": "paper.pdf",
                        "file_data": f"data:application/pdf;base64,{b64(PDF)}",
                    },
                },
            ],
        }
    ]


@each_mode
@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(Doc.from_bytes(b"\x00\x00\x00\x18ftypmp42", "clip.mp4"), id="video"),
        pytest.param(Doc.from_url("https://example.com/memo.mp3"), id="audio-url"),
        pytest.param(Doc.from_bytes(OGG, "memo.ogg"), id="audio-format"),
    ],
)
async def test_generic_target_refuses_what_it_cannot_carry(mode: Mode, doc: Doc) -> None:
    server = chat_server()
    client = client_for(mode, server, generic=True)
    with pytest.raises(NotSupportedError) as info:
        await mode.generate_checked(client, [Message.user("Listen", doc)])
    assert str(info.value).startswith("generic: ")
    assert "messages[0].requests[1]" in str(info.value)
    assert server.requests == []


@each_mode
async def test_generic_target_lets_the_server_decide_and_names_what_it_refused(mode: Mode) -> None:
    body = {"error": {"message": "This model does not support audio input", "type": "invalid"}}
    server = chat_server(error=(400, body))
    client = client_for(mode, server, generic=True)
    msgs = [Message.user("Hear", Doc.from_bytes(PNG, "a.png"), Doc.from_bytes(WAV, "memo.wav"))]
    with pytest.raises(UnsupportedInputError) as info:
        await mode.generate_checked(client, msgs)
    assert info.value.inputs == (InputRef(0, 2, "audio", "memo.wav"),)


# --- the real recordings -------------------------------------------------------------------------

WIRE = wire.wire_dir()
CASES = wire.load_cases(WIRE) if WIRE is not None else []
needs_wire = pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)


def recorded(word: str) -> Callable[[F], F]:
    """Run a test over each recording whose name holds ``word``, with Client and AsyncClient."""
    cases = [pytest.param(c, id=c.id) for c in CASES if word in c.key]

    def mark(fn: F) -> F:
        for decorator in (
            pytest.mark.parametrize("case", cases or [pytest.param(None, id="no-recordings")]),
            pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str),
            pytest.mark.parametrize("anyio_backend", ["asyncio"]),
            pytest.mark.anyio,
            needs_wire,
        ):
            fn = decorator(fn)
        return fn

    return mark


async def _replay(case: wire.Case, flavor: Flavor, messages: list[Message]) -> tuple[Any, Any]:
    """Send ``messages`` as the recording's mode did; return (result or error, request body)."""
    it = case.interaction()
    call = wire.call_from_request(it.request_body)
    seen: list[httpx.Request] = []
    mode = Mode(flavor, call.stream)
    client = client_for(
        mode,
        wire.replay_handler(it, seen),
        model=call.model,
        api_key=wire.API_KEY,
        base_url=it.base_url,
    )
    try:
        outcome: Any = await mode.generate_checked(client, messages)
    except genai.GenAIError as exc:
        outcome = exc
    assert len(seen) == 1
    return outcome, json.loads(seen[0].content)


@recorded("MultiModal-Image")
async def test_recorded_image_refusal(case: wire.Case, flavor: Flavor) -> None:
    # The recorded call: the question, then the image (bytes with a filename, or a URL).
    it = case.interaction()
    question, image = wire.call_from_request(it.request_body).messages[0].requests
    assert image.doc is not None
    outcome, sent = await _replay(case, flavor, [Message.user(question, image)])
    assert sent == it.request_json
    assert isinstance(outcome, UnsupportedInputError)
    exp = case.expected["error"]
    assert outcome.status_code == exp["status"]
    assert exp["message_contains"] in outcome.message
    (ref,) = outcome.inputs
    assert (ref.message, ref.part, ref.kind) == (0, 1, "image")
    if image.doc.filename:
        assert ref.label == image.doc.filename
    else:
        assert image.doc.url is not None
        assert image.doc.url.startswith(ref.label.rstrip("…"))
    assert "messages[0].requests[1]" in str(outcome)
    assert outcome.model == wire.call_from_request(it.request_body).model


@recorded("Citations-text-")
async def test_recorded_text_document(case: wire.Case, flavor: Flavor) -> None:
    # The recorded call sends a text document, then the question: rebuild the document as a
    # file of the scenario's type and check it is inlined exactly as recorded.
    it = case.interaction()
    doc_text, question = (m["content"] for m in it.request_json["messages"])
    filename = "facts.md" if case.key.endswith("markdown.json") else "facts.txt"
    doc = Doc.from_bytes(doc_text.encode(), filename)
    outcome, sent = await _replay(case, flavor, [Message.user(doc, question)])
    assert sent == it.request_json
    assert isinstance(outcome, Result), outcome
    assert outcome.text == case.expected["text"]


# --- the documentation's example -----------------------------------------------------------------

DOC_PAGE = Path(__file__).resolve().parent.parent / "docs" / "multimodal.md"


def test_docs_example_prints_what_the_page_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Every Python block runs, in order, in one namespace; the output is the page's.
    page = DOC_PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(blocks) >= 2
    printed = page.split("It prints:", 1)[1]
    (expected,) = re.findall(r"```text\n(.*?)```", printed, re.S)
    namespace: dict[str, Any] = {"__name__": "docs_multimodal"}
    for block in blocks:
        exec(compile(block, str(DOC_PAGE), "exec"), namespace)
    assert capsys.readouterr().out == expected
