"""Smoke tests of the Baseten client, replayed from the project's cassettes in testdata/test_smoke/.

By default each test replays its cassette (``genai_recorder``: no network, no key; the shipped
cassettes are authored, see their metadata). With a key they run live and re-record::

    RECORD=all BASETEN_API_KEY=... python -m pytest tests/test_smoke.py

so the assertions are about what any correct answer has (a greeting, a square_root call with
2025, the answer 45), not about the exact wording of the recording.
"""

from __future__ import annotations

import json
import os

import pytest

import genai_baseten
from genai_core import AuthenticationError, Message, TextOptions, ToolCallResult
from genai_core.cli import DEMO_PROMPT, SQUARE_ROOT_TOOL, run_square_root
from genai_core.httprecord import Recorder, RecordMode

MODEL = "openai/gpt-oss-120b"
# Read at import: tests/conftest.py removes the variable from each test's environment, so that a
# key in the shell changes nothing unless a recording was asked for.
_LIVE_KEY = os.environ.get("BASETEN_API_KEY", "")
PROMPT = "Say hello in one short sentence."


@pytest.fixture
def client(genai_recorder: Recorder) -> genai_baseten.Client:
    if genai_recorder.mode is RecordMode.REPLAY:
        key = "replay-no-key"
    elif _LIVE_KEY:
        key = _LIVE_KEY
    else:
        pytest.fail("recording needs BASETEN_API_KEY", pytrace=False)
    return genai_baseten.Client(model=MODEL, api_key=key)


def test_chat(client: genai_baseten.Client) -> None:
    msgs = [Message.user(PROMPT)]
    with client.gen_stream(msgs) as stream:
        fragments = list(stream)
        streamed = stream.result()
    assert len([f for f in fragments if f.text]) > 1  # the answer arrived in pieces
    assert "hello" in streamed.text.lower()
    assert streamed.reasoning
    assert streamed.usage.finish_reason == "stop"
    assert streamed.usage.output_tokens > 0

    whole = client.gen_sync(msgs)
    assert "hello" in whole.text.lower()
    assert whole.usage.total_tokens == whole.usage.input_tokens + whole.usage.output_tokens


@pytest.mark.genai_record(split="bytes", seed=1)  # replayed reads cut inside SSE events
def test_tool_round_trip(client: genai_baseten.Client) -> None:
    msgs: list[Message] = [Message.user(DEMO_PROMPT)]
    opts = TextOptions(tools=[SQUARE_ROOT_TOOL], tool_call_request="required")
    with client.gen_stream(msgs, opts) as stream:
        for _ in stream:
            pass
        first = stream.result()
    assert first.usage.finish_reason == "tool_calls"
    [call] = first.tool_calls
    assert call.name == "square_root"
    assert json.loads(call.arguments) == {"number": 2025}

    answer = ToolCallResult(id=call.id, name=call.name, result=run_square_root(call))
    msgs += [first, Message.tool_results(answer)]
    final_opts = TextOptions(tools=[SQUARE_ROOT_TOOL], tool_call_request="none")
    with client.gen_stream(msgs, final_opts) as stream:
        for _ in stream:
            pass
        final = stream.result()
    assert "45" in final.text
    assert final.tool_calls == []


def test_list_models(client: genai_baseten.Client) -> None:
    models = client.list_models()
    ids = [m.id for m in models]
    assert MODEL in ids
    assert len(set(ids)) == len(ids)


def test_bad_key(genai_recorder: Recorder) -> None:
    # A key Baseten cannot accept; the recorder refuses to write it into the cassette.
    bad = genai_baseten.Client(model=MODEL, api_key="not-a-valid-baseten-key")
    with pytest.raises(AuthenticationError) as info, bad.gen_stream([Message.user(PROMPT)]) as s:
        list(s)
    assert info.value.status_code == 403
    assert "baseten: HTTP 403" in str(info.value)
