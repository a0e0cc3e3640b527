"""Regression tests for the reliability and secrets defects of the relfix review: quadratic
redaction, keys that leak through httpx's own messages, credentials re-applied on a redirect,
foreign loggers, the secret filter's cost, stream close races and deadlines."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from faults import error
from faultserver import FaultServer, fault_server

import genai_baseten
import genai_core as genai
from genai_core import _redact, errors

KEY = "fake-key-for-relfix-0123456789"
MSGS = [genai.Message.user("hi")]
MODEL = "openai/gpt-oss-120b"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as srv:
        yield srv


class _Counting:
    """A secret pattern that counts match attempts, and stops a quadratic scan early."""

    def __init__(self, pattern: re.Pattern[str], limit: int) -> None:
        self.pattern, self.limit, self.calls = pattern, limit, 0

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        self.calls += 1
        if self.calls > self.limit:
            raise AssertionError(f"more than {self.limit} match attempts")
        return self.pattern.match(text, pos)


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[_Counting]:
    made: list[_Counting] = []
    real = _redact.secret_pattern

    def counting(secret: str) -> _Counting:
        made.append(_Counting(real(secret), 1000))
        return made[-1]

    monkeypatch.setattr(_redact, "secret_pattern", counting)
    return made


# -- 1. redaction is linear on runs of backslashes --------------------------------------------


def test_a_run_of_backslashes_is_tried_once(attempts: list[_Counting]) -> None:
    text = "\\" * 1_000_000
    assert errors.redact(text, [KEY]) == text
    # One attempt at the start of the run: no occurrence can start inside it.
    assert [c.calls for c in attempts] == [1]


def test_escapes_after_a_run_of_backslashes_are_still_found() -> None:
    escaped = "".join(f"\\\\u{ord(c):04x}" for c in KEY)  # JSON escaped inside JSON
    text = "x" + "\\" * 500 + escaped + "\\" * 7 + "y"
    # Any number of backslashes make one escape: the run is part of the first one.
    assert errors.redact(text, [KEY]) == "x<redacted>" + "\\" * 7 + "y"
    assert errors.redact("\\" * 9 + "x" + "\\\\" + KEY, [KEY]) == "\\" * 9 + "x\\\\<redacted>"


def test_a_secret_holding_a_backslash_is_found_inside_a_run() -> None:
    secret = "ab\\cdefghij"
    assert errors.redact("\\\\\\" + secret, [secret]) == "\\\\\\<redacted>"


def test_an_error_body_of_backslashes_is_redacted_once_per_field(
    server: FaultServer, attempts: list[_Counting]
) -> None:
    body = b'{"error": "' + b"\\\\" * 32_768 + b'"}'
    server.scripts = [error(400, body)]
    with genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, max_retries=0) as c:
        with pytest.raises(genai.BadRequestError) as info:
            c.gen_sync(MSGS)
    assert info.value.body == body.decode()
    assert sum(c.calls for c in attempts) < 100
