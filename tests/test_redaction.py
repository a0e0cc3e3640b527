"""Key redaction finds a key in every encoding: JSON escapes, percent-encoding, HTML, base64.

The expected forms are built here by hand or by the standard library's own encoders (json,
urllib, base64), and checked with the independent oracle of ``secret_scan``.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from secret_scan import assert_no_secret, encodings_of, find_secret

import genai_baseten
import genai_core as genai
from genai_core.errors import APIError, redact
from genai_core.http import redact_headers
from genai_core.httprecord import Recorder
from genai_core.httprecord.recorder import SecretLeakError

KEY = "sk-live/AbC+dEf=0123456789"
REPLACED = "<redacted>"


# --- fixed examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoded", encodings_of(KEY))
def test_redact_finds_every_encoding(encoded: str) -> None:
    text = f'{{"error": {{"message": "Invalid key {encoded}, check it"}}}}'
    out = redact(text, [KEY])
    assert REPLACED in out
    assert_no_secret(out, KEY)
    assert out.startswith('{"error": {"message": "Invalid key ')
    assert out.endswith(', check it"}}')


def test_json_escaped_slash_and_unicode_escapes() -> None:
    # What some servers write: "/" as "\/", and any character as \uXXXX in either hex case.
    assert redact(r"key sk-live\/AbC+dEf=0123456789!", [KEY]) == "key <redacted>!"
    mixed = "".join(f"\\u{ord(c):04X}" if c in "kAd" else c for c in KEY)
    assert redact(f"[{mixed}]", [KEY]) == "[<redacted>]"
    lower = "".join(f"\\u{ord(c):04x}" for c in KEY)
    assert redact(lower, [KEY]) == "<redacted>"


def test_percent_encoded_forms() -> None:
    assert redact("?key=sk-live%2FAbC%2BdEf%3D0123456789&x=1", [KEY]) == "?key=<redacted>&x=1"
    assert redact("sk-live%2fAbC%2bdEf%3d0123456789", [KEY]) == "<redacted>"
    # Only some characters encoded, and an encoding of the percent sign itself (%25).
    assert redact("sk-live/AbC%2BdEf=0123456789", [KEY]) == "<redacted>"
    assert redact("sk-live%252FAbC+dEf=0123456789", [KEY]) == "<redacted>"
    assert redact("a+b+c+d+e+f+g+h", ["a b c d e f g h"]) == "<redacted>"


def test_base64_basic_auth_at_each_alignment() -> None:
    for user in ("", "u", "us", "user", "someone@example.com"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            token = encode(f"{user}:{KEY}".encode()).decode()
            out = redact(f"Authorization: Basic {token}", [KEY])
            assert REPLACED in out, (user, token)
            assert_no_secret(out, KEY)


def test_short_keys_are_redacted_too() -> None:
    # Below the old 8-character minimum, which left such keys in error bodies as they were.
    assert (
        redact('{"message": "bad key abc123"}', ["abc123"]) == '{"message": "bad key <redacted>"}'
    )
    assert redact("k=\\u0061bc123", ["abc123"]) == "k=<redacted>"


def test_text_without_the_key_is_left_alone() -> None:
    text = "Incorrect API key provided: sk-live/AbC (see https://example.com/a%2Fb)"
    assert redact(text, [KEY]) == text
    assert redact(text, [None, ""]) == text


def test_longest_secret_first() -> None:
    assert redact("abcdefgh-ijkl", ["abcdefgh", "abcdefgh-ijkl"]) == "<redacted>"


def test_redact_headers_masks_named_and_echoed_values() -> None:
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-echo": json.dumps(KEY),
        "content-type": "application/json",
    }
    out = redact_headers(headers, [KEY])
    assert out == {
        "Authorization": "Bearer <redacted>",
        "x-echo": '"<redacted>"',
        "content-type": "application/json",
    }


# --- properties --------------------------------------------------------------------------------

# No backslash: "\\" then "u0030" is ambiguous to decode (escape, or a key character?).
KEY_ALPHABET = string.ascii_letters + string.digits + '-_./+=:~ %"é€😀'


def _encoders(char: str) -> list[Callable[[str], str]]:
    """Ways one character may be written (each independent of the others)."""
    out: list[Callable[[str], str]] = [
        lambda c: c,
        lambda c: json.dumps(c, ensure_ascii=True)[1:-1],
        lambda c: "".join(f"\\u{u:04x}" for u in _utf16(c)),
        lambda c: "".join(f"\\u{u:04X}" for u in _utf16(c)),
        lambda c: quote(c, safe=""),
        lambda c: "".join(f"%{b:02x}" for b in c.encode()),
        lambda c: f"&#x{ord(c):X};",
        lambda c: f"&#{ord(c)};",
    ]
    if char == "/":
        out.append(lambda c: "\\/")
    if char == " ":
        out.append(lambda c: "+")
    return out


def _utf16(c: str) -> list[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


@st.composite
def encoded_keys(draw: st.DrawFn) -> tuple[str, str]:
    key = draw(st.text(alphabet=KEY_ALPHABET, min_size=1, max_size=40))
    parts = []
    for c in key:
        encoders = _encoders(c)
        parts.append(encoders[draw(st.integers(0, len(encoders) - 1))](c))
    return key, "".join(parts)


FILLER = st.text(alphabet=" .,;!?()[]{}", max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(encoded_keys(), FILLER, FILLER)
def test_property_any_per_character_encoding_is_redacted(
    pair: tuple[str, str], before: str, after: str
) -> None:
    key, encoded = pair
    # Filler shares no character with the key, so the only occurrence is the encoded one.
    before, after = ("".join(c for c in t if c not in key) for t in (before, after))
    text = f"{before}{encoded}{after}"
    # Only real leaks count: a literal "%" written before percent-encoded digits ("%" "0" "%30"
    # for the key "%00") decodes to something else, so no reader would see the key there.
    assume(find_secret(text, key) is not None)
    out = redact(text, [key])
    assert out.startswith(before) and out.endswith(after)
    # The marker itself may spell a short key ("ted"): look at what is around it.
    assert_no_secret(out.replace(REPLACED, "\0"), key)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=8, max_size=48),
    st.text(alphabet=string.ascii_letters + "@.", max_size=20),
    st.booleans(),
)
def test_property_key_in_basic_auth_is_redacted(key: str, user: str, urlsafe: bool) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    token = encode(f"{user}:{key}".encode()).decode()
    out = redact(f"Basic {token}", [key])
    assert_no_secret(out.replace(REPLACED, "\0"), key)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=string.ascii_lowercase, min_size=8, max_size=30), FILLER)
def test_property_text_without_key_characters_is_unchanged(key: str, text: str) -> None:
    assert redact(text, [key]) == text


# --- errors built from a server's answer --------------------------------------------------------


@pytest.mark.parametrize("encoded", encodings_of(KEY))
def test_error_body_echoing_the_key_in_any_encoding(encoded: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = '{"error": {"message": "bad key: ' + encoded + '", "code": "' + encoded + '"}}'
        return httpx.Response(
            401,
            content=body.encode(),
            headers={"content-type": "application/json", "x-echo": quote(KEY, safe="")},
        )

    client = genai_baseten.Client(
        model="m", api_key=KEY, transport=httpx.MockTransport(handler), max_retries=0
    )
    with pytest.raises(genai.AuthenticationError) as info:
        client.gen_sync([genai.Message.user("hi")])
    err: APIError = info.value
    assert err.status_code == 401
    assert "<redacted>" in err.body
    assert_no_secret(err, KEY)


# --- the cassette recorder's check --------------------------------------------------------------


@pytest.mark.parametrize(
    "echo",
    [
        KEY.replace("/", "\\/"),
        "".join(f"\\u{ord(c):04x}" for c in KEY),
        quote(KEY, safe=""),
        base64.b64encode(f"user:{KEY}".encode()).decode(),
    ],
)
def test_recorder_refuses_a_cassette_with_an_encoded_key(tmp_path: Path, echo: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = '{"choices": [{"message": {"role": "assistant", "content": "' + echo + '"}}]}'
        return httpx.Response(
            200, content=body.encode(), headers={"content-type": "application/json"}
        )

    path = tmp_path / "leak.json"
    recorder = Recorder(path, mode="all")
    http = httpx.Client(transport=recorder.transport(httpx.MockTransport(handler)))
    client = genai_baseten.Client(model="m", api_key=KEY, http_client=http, max_retries=0)
    client.gen_sync([genai.Message.user("hi")])
    with pytest.raises(SecretLeakError) as info:
        recorder.close()
    assert "interaction 0" in str(info.value)
    assert_no_secret(info.value, KEY)
    assert not path.exists()


def test_recorder_refuses_short_secrets() -> None:
    with pytest.raises(genai.ValidationError, match="8 characters or more") as info:
        Recorder("unused.json", mode="replay", secrets=["abc"])
    assert "abc" not in str(info.value)
