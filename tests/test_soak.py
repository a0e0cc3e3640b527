"""Soak: thousands of streams against the loopback server, each ended a random way (read to the
end, ``break`` without close, ``close()``, a deadline, a cancelled task), while file descriptors,
threads and traced memory stay flat.

Not part of the normal run (marker ``soak``): ``pytest -m soak tests/test_soak.py``.
``GENAI_SOAK_STREAMS`` sets the number of streams per client (default 2000).
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import threading
import tracemalloc
from collections.abc import Iterator

import anyio
import pytest
from faults import HEL, LO, STOP, USAGE, stream_head
from faultserver import CLOSE, FaultServer, Script, Sleep, fault_server
from harness.bodies import sse

import genai_baseten
import genai_core as genai
from genai_core import errors

pytestmark = [
    pytest.mark.soak,
    # A task cancelled mid-read leaves httpcore's inner byte generators to be finalised by trio's
    # hook (only the outermost one can be aclosed from outside); the connection itself is closed
    # by response.aclose(), which the fd count below checks.
    pytest.mark.filterwarnings("ignore:Async generator 'httpcore\\.:ResourceWarning"),
]

STREAMS = int(os.environ.get("GENAI_SOAK_STREAMS", "2000"))
KEY = "fake-key-for-soak-0123456789"
MSGS = [genai.Message.user("hi")]
MODEL = "openai/gpt-oss-120b"
# Twenty text events with a short pause in the middle, so some endings happen mid-read.
SCRIPT: Script = [
    stream_head(),
    sse(HEL, *[LO] * 10),
    Sleep(0.002),
    sse(*[LO] * 9, STOP, USAGE, "[DONE]"),
    CLOSE,
]
# Allowed growth of traced memory from the first checkpoint to the last.
MEMORY_SLACK = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with fault_server() as srv:
        srv.script(SCRIPT)
        yield srv


def _gauges() -> tuple[int, int, int]:
    gc.collect()
    return (
        len(os.listdir("/proc/self/fd")),
        threading.active_count(),
        tracemalloc.get_traced_memory()[0],
    )


def _check(samples: list[tuple[int, int, int]], server: FaultServer) -> None:
    assert server.wait_closed(5.0)
    first, last = samples[0], _gauges()
    assert last[0] <= first[0], f"fds grew: {first[0]} -> {last[0]}"
    assert last[1] <= first[1], f"threads grew: {first[1]} -> {last[1]}"
    assert last[2] - first[2] < MEMORY_SLACK, f"memory grew: {first[2]} -> {last[2]}"


def test_soak_sync(server: FaultServer) -> None:
    rng = random.Random(13)
    tracemalloc.start()
    samples: list[tuple[int, int, int]] = []
    try:
        with genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, timeout=5.0) as c:
            for i in range(STREAMS):
                if i == STREAMS // 10:
                    samples.append(_gauges())  # after warm-up: caches and pools are filled
                way = rng.randrange(4)
                cut = rng.randrange(1, 15)
                if way == 0:
                    assert c.gen_stream(MSGS).result().text == "Hel" + "lo" * 19
                elif way == 1:
                    for n, _ in enumerate(c.gen_stream(MSGS)):
                        if n == cut:
                            break  # dropped, never closed
                elif way == 2:
                    with c.gen_stream(MSGS) as s:
                        for n, _ in enumerate(s):
                            if n == cut:
                                s.close()
                else:
                    with contextlib.suppress(errors.APITimeoutError):
                        c.gen_stream(MSGS, deadline=0.001).result()
        _check(samples, server)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_soak_async(server: FaultServer, backend: str) -> None:
    rng = random.Random(14)
    tracemalloc.start()
    samples: list[tuple[int, int, int]] = []

    async def one(c: genai_baseten.AsyncClient, way: int, cut: int) -> None:
        if way == 0:
            async with c.gen_stream(MSGS) as s:
                assert (await s.aresult()).text == "Hel" + "lo" * 19
        elif way == 1:
            with anyio.move_on_after(0.001):  # cancelled wherever it is
                async with c.gen_stream(MSGS) as s:
                    await s.aresult()
        else:
            async with c.gen_stream(MSGS) as s:
                n = 0
                async for _ in s:
                    n += 1
                    if n == cut:
                        break

    async def main() -> None:
        async with genai_baseten.AsyncClient(
            MODEL, api_key=KEY, base_url=server.url, timeout=5.0
        ) as c:
            for i in range(0, STREAMS, 10):
                if i == STREAMS // 10:
                    samples.append(_gauges())
                async with anyio.create_task_group() as tg:
                    for _ in range(10):
                        tg.start_soon(one, c, rng.randrange(3), rng.randrange(1, 15))

    try:
        anyio.run(main, backend=backend)
        _check(samples, server)
    finally:
        tracemalloc.stop()
