"""The ``genai`` logger tree: a DEBUG line per request and answer, a WARNING per retry, no key."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from harness.flavors import Flavor, each_flavor
from harness.loopback import HTTPLoopback, Incoming, Outgoing
from harness.scripted import Sleeps
from secret_scan import assert_no_secret, encodings_of

import genai_baseten
import genai_core as genai
from genai_core.http import RetryPolicy, safe_url
from genai_core.openai_chat.compatible import OpenAICompatibleClient

KEY = "sk-logging-test/0123456789"
PROMPT = "a prompt whose text must not be logged"
ANSWER = {"choices": [{"message": {"role": "assistant", "content": "fine"}}]}


def _no_wait() -> RetryPolicy:
    # rand=0: no jitter, so the first backoff is exactly INITIAL_RETRY_DELAY (0.5 s).
    return Sleeps().policy(max_retries=2, rand=lambda: 0.0)


def _flaky() -> httpx.MockTransport:
    """503, then a connection reset, then 200 (each with the server's request id)."""
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(503, text="busy", headers={"x-request-id": "srv-1"})
        if calls["n"] == 2:
            raise httpx.ConnectError("connection reset", request=request)
        return httpx.Response(200, json=ANSWER, headers={"x-request-id": "srv-3"})

    return httpx.MockTransport(handler)


def _messages(caplog: pytest.LogCaptureFixture, name: str) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == name]


@each_flavor
async def test_request_response_and_retry_lines(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    # The sync and the async client log the same lines.
    caplog.set_level(logging.DEBUG, logger="genai")
    client = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)(
        model="m", api_key=KEY, transport=_flaky(), retry_policy=_no_wait()
    )
    assert (await flavor.gen_sync(client, [genai.Message.user(PROMPT)])).text == "fine"
    lines = _messages(caplog, "genai.http")
    url = "https://inference.baseten.co/v1/chat/completions"
    rid = re.search(r"request_id=(\S+)", lines[0][1])
    assert rid is not None
    sent_id = rid.group(1)
    expected = [
        (logging.DEBUG, f"request POST {url} attempt 1/3 request_id={sent_id}"),
        (
            logging.DEBUG,
            f"response POST {url} status 503 after <t> attempt 1 "
            f"request_id={sent_id} server_request_id=srv-1",
        ),
        (
            logging.WARNING,
            f"retrying POST {url} in 0.50s (attempt 2/3) after HTTP 503 "
            f"request_id={sent_id} server_request_id=srv-1",
        ),
        (logging.DEBUG, f"request POST {url} attempt 2/3 request_id={sent_id}"),
        (
            logging.DEBUG,
            f"no response POST {url}: ConnectError after <t> attempt 2 request_id={sent_id}",
        ),
        # The second backoff doubles: 1.0 s.
        (
            logging.WARNING,
            f"retrying POST {url} in 1.00s (attempt 3/3) after ConnectError request_id={sent_id}",
        ),
        (logging.DEBUG, f"request POST {url} attempt 3/3 request_id={sent_id}"),
        (
            logging.DEBUG,
            f"response POST {url} status 200 after <t> attempt 3 "
            f"request_id={sent_id} server_request_id=srv-3",
        ),
    ]
    timed = [(lvl, re.sub(r"after \d+\.\d{3}s", "after <t>", msg)) for lvl, msg in lines]
    assert timed == expected
    for record in caplog.records:
        assert PROMPT not in record.getMessage()
        assert_no_secret(record, KEY)


def test_logger_tree_and_no_default_output() -> None:
    # The documented names: "genai", with "genai.http" (and "genai.http.body") below it.
    import genai_core  # noqa: F401  (the library is loaded: its loggers exist)

    root = logging.getLogger("genai")
    assert logging.getLogger("genai.http").parent is root
    assert logging.getLogger("genai.http.body").parent is logging.getLogger("genai.http")
    # A library adds no handler of its own but a NullHandler: the application decides.
    assert [type(h) for h in logging.getLogger("genai").handlers] == [logging.NullHandler]


def test_safe_url_masks_credentials() -> None:
    assert safe_url("https://u:pw@host/v1/x?key=abc&n=1") == (
        "https://<redacted>@host/v1/x?key=<redacted>&n=1"
    )
    assert safe_url("https://host/v1/chat/completions") == "https://host/v1/chat/completions"


# --- httpcore logs response headers at DEBUG: a key echoed in one must not get through ----------


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A loopback server answering 401 with the request's key echoed in headers and body."""

    def answer(request: Incoming) -> Outgoing:
        auth = request.headers.get("authorization", "")
        body = json.dumps({"error": {"message": f"bad key {auth}"}}).encode()
        headers = {"Content-Type": "application/json", "X-Echo-Auth": auth}
        for i, form in enumerate(encodings_of(KEY)):
            if form.isascii():
                headers[f"X-Echo-{i}"] = form
        return Outgoing(401, body, headers)

    with HTTPLoopback(answer, protocol="HTTP/1.0") as server:
        yield server.url + "/v1"


def test_httpx_and_httpcore_debug_records_hold_no_key(
    caplog: pytest.LogCaptureFixture, echo_server: str
) -> None:
    for name in ("genai", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = genai_baseten.Client(model="m", api_key=KEY, base_url=echo_server, max_retries=0)
    with client, pytest.raises(genai.AuthenticationError) as info:
        client.gen_sync([genai.Message.user("hi")])
    names = {r.name for r in caplog.records}
    # The headers did reach httpcore's log (so the check below looks at something).
    assert "httpcore.http11" in names
    heads = [r for r in caplog.records if "receive_response_headers.complete" in r.getMessage()]
    assert heads and "X-Echo-Auth" in heads[0].getMessage()
    assert_no_secret(caplog.records, KEY, "log records")
    assert_no_secret(info.value, KEY, "the error")


def test_password_in_base_url_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    # httpx's INFO line quotes the request URL, user and password included.
    password = "url-password-0123456789"
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="genai")
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["authorization"])
        return httpx.Response(200, json=ANSWER)

    client = OpenAICompatibleClient(
        model="m",
        base_url=f"http://user:{password}@127.0.0.1:9/v1",
        transport=httpx.MockTransport(handler),
    )
    assert client.gen_sync([genai.Message.user("hi")]).text == "fine"
    assert sent and sent[0].startswith("Basic ")  # the password was sent, as Basic auth
    assert any(r.name == "httpx" for r in caplog.records)
    assert_no_secret(caplog.records, password)


def test_bodies_are_logged_only_on_explicit_opt_in(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="genai")
    prompt = f"{PROMPT}: {json.dumps(KEY)[1:-1]}"
    client = genai_baseten.Client(
        model="m", api_key=KEY, transport=_flaky(), retry_policy=_no_wait()
    )
    client.gen_sync([genai.Message.user(prompt)])
    assert not [r for r in caplog.records if r.name == "genai.http.body"]  # "genai" is not enough
    caplog.clear()

    body_logger = logging.getLogger("genai.http.body")
    body_logger.setLevel(logging.DEBUG)
    client = genai_baseten.Client(
        model="m", api_key=KEY, transport=_flaky(), retry_policy=_no_wait()
    )
    try:
        client.gen_sync([genai.Message.user(prompt)])
    finally:
        body_logger.setLevel(logging.NOTSET)
    bodies = [r.getMessage() for r in caplog.records if r.name == "genai.http.body"]
    url = "https://inference.baseten.co/v1/chat/completions"
    # Three attempts, each with its request body, and the 503's body before its retry.
    assert len([b for b in bodies if b.startswith(f"request body POST {url}: ")]) == 3
    assert f"error body (HTTP 503) POST {url}: busy" in bodies
    assert PROMPT in bodies[0]
    assert "<redacted>" in bodies[0]  # the key in the prompt, JSON-escaped, is not
    assert_no_secret(caplog.records, KEY)
