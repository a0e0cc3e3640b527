"""The stream assembler keeps text, not one object per chunk (the property behind the memory
benchmark in ``benchmarks/scale.py``), and joining as it goes never reorders or loses text."""

from __future__ import annotations

import json
import random
import tracemalloc

import pytest
from harness.bodies import chunk, usage

from genai_core.openai_chat.stream import ChatStreamAssembler


def _chunk(**delta: object) -> str:
    body = chunk(delta, id="c", model="m", created=None, usage=usage(1, 1))
    return json.dumps(body)


def _tokens(rng: random.Random, n: int) -> list[str]:
    sizes = (1, 2, 4, 6, 9, 40, 700)
    return [f"{i}:" + "é—x"[i % 3] * rng.choice(sizes) for i in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_text_survives_compaction_in_order(seed: int) -> None:
    rng = random.Random(seed)
    a = ChatStreamAssembler(provider="p")
    reasoning = _tokens(rng, rng.randrange(0, 3000))
    text = _tokens(rng, rng.randrange(1, 3000))
    more = _tokens(rng, rng.randrange(1, 200))
    fragments = []
    for tok in reasoning:
        fragments += a.feed(_chunk(reasoning_content=tok))
    for tok in text:
        fragments += a.feed(_chunk(content=tok))
    for tok in more:
        fragments += a.feed(_chunk(reasoning_content=tok))
    call = {"index": 0, "id": "t1", "function": {"name": "f", "arguments": '{"x": 1}'}}
    a.feed(_chunk(tool_calls=[call]))
    fragments += a.end()
    res = a.result()
    # Every fragment was yielded as it came, whole.
    assert [f.reasoning for f in fragments if f.reasoning] == reasoning + more
    assert [f.text for f in fragments if f.text] == text
    # The Result keeps the blocks in order: reasoning, text, reasoning again, the call.
    kinds = ["reasoning" if r.reasoning else "text" if r.text else "call" for r in res.replies]
    assert kinds == (["reasoning"] if reasoning else []) + ["text", "reasoning", "call"]
    assert res.replies[-3].text == "".join(text)
    assert res.replies[-2].reasoning == "".join(more)
    if reasoning:
        assert res.replies[0].reasoning == "".join(reasoning)
    assert res.tool_calls[0].arguments == '{"x": 1}'


def _retained(n_tokens: int) -> tuple[int, int]:
    """Bytes the assembler holds after ``n_tokens`` text chunks, and the text's own size."""
    a = ChatStreamAssembler(provider="p")
    chunks = [_chunk(content=f" w{i % 10}") for i in range(n_tokens)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for c in chunks:
            a.feed(c)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held, 3 * n_tokens


def test_retained_memory_is_the_text_not_a_string_per_chunk() -> None:
    held, text_size = _retained(20_000)
    # A str per 3-character token would hold ~52 bytes per chunk (object header plus list slot);
    # joined text is 3 bytes per chunk. Allow for the last usage dict and the open pieces.
    assert held < 4 * text_size + 20_000, (held, text_size)
