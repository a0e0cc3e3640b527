"""gen_batch at scale: 10,000 items through each engine against loopback fakes.

    .venv/bin/python -m benchmarks.batch            # 2,000 and 10,000 items, both engines
    .venv/bin/python -m benchmarks.batch --items 500

* **chat**: :class:`~genai_baseten.ChatEngine` on ``genai_baseten.AsyncClient`` (64 at once)
  against the chat fake of ``tests/fakeserver.py`` (one JSON answer per request).
* **async**: :class:`~genai_baseten.AsyncInferenceEngine` against the async-inference fake of
  ``tests/fake_baseten_async.py``, which answers each submit with 201 and then POSTs a signed
  webhook to the engine's receiver (verified and filed in SQLite). The documented 200/s submit
  pacing is lifted for this run (the fake has no limit), so the figure is the client's own cost,
  not Baseten's rate.
* **floor**: ``ChatEngine`` on an in-process provider that answers at once: what the batch
  machinery itself (state writes, scheduling, progress) costs per item.

The fakes run in a child process, so the figures are the client's alone: wall time (items/s),
the CPU time of this process per item (the client overhead, the receiver thread included) and
the peak of Python allocations (tracemalloc, a separate run) at two sizes: flat memory means the
peak does not grow with the number of finished items.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the loopback fakes live with the tests

import httpx  # noqa: E402

import genai_baseten  # noqa: E402
from genai_core import Message, Reply, Result  # noqa: E402

KEY = "fake-benchmark-key-0000"


def _serve_async(conn: Connection) -> None:
    from fake_baseten_async import FakeAsyncBaseten

    with FakeAsyncBaseten() as fake:
        fake.submits.clear()
        conn.send(fake.port)
        conn.recv()


def _serve_chat(conn: Connection) -> None:
    from fakeserver import fake_server

    with fake_server() as server:
        conn.send(server.url)
        conn.recv()


class _Child:
    def __init__(self, target: Callable[[Connection], None]) -> None:
        self.parent, child = mp.Pipe()
        self.proc = mp.get_context("spawn").Process(target=target, args=(child,), daemon=True)

    def __enter__(self) -> Any:
        self.proc.start()
        return self.parent.recv()

    def __exit__(self, *exc: object) -> None:
        self.parent.send("stop")
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()


class _Instant:
    """An AsyncProvider that answers at once: the batch machinery's own cost."""

    async def gen_sync(self, messages: list[Message], *options: object) -> Result:
        return Result(replies=[Reply(text="ok")])


class _ToFake(httpx.AsyncBaseTransport):
    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        request = httpx.Request(
            request.method, url, headers=request.headers, content=request.content
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _measure(make_engine: Callable[[], Any], items: list[Any], memory: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine()
        if memory:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        results = genai_baseten.gen_batch(items, engine=engine, state=Path(tmp) / "s.sqlite")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
        counts = results.counts()
        assert counts.done == len(items), counts
    return {
        "items_per_s": len(items) / wall,
        "cpu_ms_per_item": cpu * 1000 / len(items),
        "peak_mib": peak / 2**20,
    }


def run(sizes: list[int], engines: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def row(name: str, make: Callable[[], Any], n: int, item: Callable[[int], Any]) -> None:
        items = [item(i) for i in range(n)]
        timing = _measure(make, items, memory=False)
        memory = _measure(make, items, memory=True)
        rows.append({"engine": name, "items": n, **timing, "peak_mib": memory["peak_mib"]})
        print(
            f"{name:6} {n:6d} items: {timing['items_per_s']:8.0f} items/s, "
            f"{timing['cpu_ms_per_item']:.3f} ms CPU/item, peak {memory['peak_mib']:.1f} MiB",
            flush=True,
        )

    for n in sizes if "floor" in engines else []:
        row("floor", lambda: genai_baseten.ChatEngine(_Instant(), concurrency=64), n, str)
    if "chat" not in engines:
        sizes_chat: list[int] = []
    else:
        sizes_chat = sizes
    with _Child(_serve_chat) as url:

        def chat() -> genai_baseten.ChatEngine:
            client = genai_baseten.AsyncClient(
                # Retries for the connections the fake's small listen backlog drops under 64
                # concurrent connects (it closes each connection after one answer).
                model="fake/model-1",
                api_key=KEY,
                base_url=url,
                max_retries=2,
            )
            return genai_baseten.ChatEngine(client, concurrency=64)

        for n in sizes_chat:
            row("chat", chat, n, lambda i: f"prompt {i}")
    with _Child(_serve_async) as port:
        from fake_baseten_async import SECRET

        def async_engine() -> genai_baseten.AsyncInferenceEngine:
            engine = genai_baseten.AsyncInferenceEngine(
                "https://model-abcd1234.api.baseten.co/production",
                webhook_secret=SECRET,
                api_key=KEY,
                transport=_ToFake(port),
                local_webhook=True,  # the fake delivers on this machine
                tick=0.05,
            )
            engine.submit_rate = 1e9  # measure the client, not Baseten's documented 200/s
            return engine

        for n in sizes if "async" in engines else []:
            row("async", async_engine, n, lambda i: {"id": i, "prompt": f"prompt {i}"})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="gen_batch throughput and memory")
    parser.add_argument("--items", type=int, action="append", help="sizes (2000 and 10000)")
    parser.add_argument(
        "--engine", action="append", choices=["floor", "chat", "async"], help="(all three)"
    )
    args = parser.parse_args(argv)
    run(args.items or [2000, 10_000], args.engine or ["floor", "chat", "async"])


if __name__ == "__main__":
    main()
