"""Scale: many concurrent streams on one event loop, memory over a very long stream, and the cost
of ``gen_sync`` for a 1 MB answer.

* **Concurrency.** An HTTP/1.1 server on 127.0.0.1 (asyncio, in this process, on the same event
  loop as the clients) answers each request with the synthetic stream of :mod:`.stream`, one
  event per socket write, yielding to the loop after each write so that the streams arrive
  interleaved as tokens do. ``streams`` clients run at once. Rows: raw httpx reading the bytes
  and nothing else; raw httpx plus the bare SSE split and ``json.loads`` of :mod:`.stream`'s
  floor; ``genai_baseten.AsyncClient.gen_stream`` to ``result()``. The server's work is in every
  row alike, so the differences between rows are the clients' own.
* **Memory.** ``genai_baseten.Client.gen_stream`` over streams of increasing length, generated
  on the fly by the transport (the body never exists whole), under :mod:`tracemalloc`: the peak
  while reading and building the Result, against the size of the text the Result must hold.
* **gen_sync, 1 MB.** A non-streamed completion of about 1 MB (reasoning, text and a tool call)
  through an in-process transport: the floor (httpx read + ``json.loads``), genai, the openai
  SDK and LiteLLM.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx

import genai_baseten
from genai_core import _json

from .stream import (
    _OPENAI_MESSAGES,
    _PROMPT,
    BASE_URL,
    MODEL,
    PROMPT_TOKENS,
    TOOL_NAME,
    Tally,
    _token,
    build_stream,
    import_litellm,
    importable,
    iter_events,
    openai_client,
    set_decoder,
    spread,
)

_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")
Log = Callable[[str], None]


# -- concurrency --------------------------------------------------------------------------------


class _Server:
    """Answers every POST with ``writes`` (one write each), then closes the connection."""

    def __init__(self, writes: list[bytes]) -> None:
        body_len = sum(len(w) for w in writes)
        self.head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"x-baseten-request-id: bench\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n" % body_len
        )
        self.writes = writes
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=4096)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            m = _CONTENT_LENGTH.search(head)
            if m:
                await reader.readexactly(int(m.group(1)))
            writer.write(self.head)
            for piece in self.writes:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0)  # let the other streams have their turn
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def _raw_bytes(http: httpx.AsyncClient, url: str) -> int:
    n = 0
    async with http.stream("POST", url, json={"model": MODEL, "stream": True}) as r:
        async for data in r.aiter_bytes():
            n += len(data)
    return n


async def _raw_floor(http: httpx.AsyncClient, url: str) -> int:
    """Raw httpx plus the floor of :mod:`.stream`: split events, ``json.loads`` each.

    (The loop of ``stream.floor_runner``, written out again on purpose: a helper call per read
    would add to what is meant to be the least possible work.)
    """
    loads = json.loads
    n = 0
    buf = b""
    async with http.stream("POST", url, json={"model": MODEL, "stream": True}) as r:
        async for data in r.aiter_bytes():
            events = (buf + data).split(b"\n\n")
            buf = events.pop()
            for ev in events:
                text = ev.decode()
                if text.startswith("data: "):
                    text = text[6:]
                if text != "[DONE]":
                    loads(text)
                    n += 1
    return n


def _limits(streams: int) -> httpx.Limits:
    return httpx.Limits(max_connections=streams, max_keepalive_connections=0)


async def _one_round(
    kind: str, streams: int, writes: list[bytes]
) -> tuple[float, float, list[Any]]:
    server = _Server(writes)
    await server.start()
    url = f"http://127.0.0.1:{server.port}/v1/chat/completions"
    http = httpx.AsyncClient(limits=_limits(streams), timeout=120)
    try:
        if kind == "genai":
            client = genai_baseten.AsyncClient(
                model=MODEL,
                api_key="x",
                base_url=f"http://127.0.0.1:{server.port}/v1",
                http_client=http,
                max_retries=0,
            )

            async def one() -> Any:
                async with client.gen_stream(_PROMPT) as stream:
                    async for _ in stream:
                        pass
                    return stream.result()

        elif kind == "raw":

            async def one() -> Any:
                return await _raw_bytes(http, url)

        else:

            async def one() -> Any:
                return await _raw_floor(http, url)

        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = await asyncio.gather(*(one() for _ in range(streams)))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        await http.aclose()
        await server.stop()
    return wall, cpu, out


CONCURRENCY_ROWS = (
    ("raw", "raw httpx, bytes only"),
    ("floor", "raw httpx + split + json.loads"),
    ("genai", "genai_baseten.AsyncClient.gen_stream (json)"),
)


def run_concurrency(streams: int, chunks: int, repeat: int, log: Log) -> dict[str, Any]:
    syn = build_stream(chunks)
    writes = syn.pieces("event")
    total_chunks = streams * syn.chunks
    samples: dict[str, dict[str, list[float]]] = {
        k: {"wall_s": [], "cpu_us": []} for k, _ in CONCURRENCY_ROWS
    }
    notes: dict[str, str] = {}
    saved = set_decoder(_json.loads_std)  # json in every row, as in the floor
    try:
        for _ in range(repeat):
            for kind, _label in CONCURRENCY_ROWS:
                wall_s, cpu_s, out = asyncio.run(_one_round(kind, streams, writes))
                samples[kind]["wall_s"].append(wall_s)
                samples[kind]["cpu_us"].append(cpu_s * 1e6 / total_chunks)
                notes[kind] = notes.get(kind) or _check_concurrent(kind, out, syn)
                del out
    finally:
        set_decoder(saved)
    rows = []
    raw_cpu = sorted(samples["raw"]["cpu_us"])
    floor_cpu = sorted(samples["floor"]["cpu_us"])
    for kind, label in CONCURRENCY_ROWS:
        cpu = samples[kind]["cpu_us"]
        wall = samples[kind]["wall_s"]
        row = {
            "key": kind,
            "label": label,
            "note": notes[kind],
            "cpu_us_per_chunk": spread(cpu),
            "wall_s": spread(wall),
            "chunks_per_s": total_chunks / min(wall),
            "ratio_cpu_to_floor": _median(cpu) / _median(floor_cpu),
            "extra_cpu_us_over_raw": _median(cpu) - _median(raw_cpu),
        }
        rows.append(row)
        log(
            f"  concurrent {label:<40} {_median(cpu):7.2f} µs CPU/chunk, "
            f"{total_chunks / _median(wall):,.0f} chunks/s"
        )
    return {
        "streams": streams,
        "chunks_per_stream": syn.chunks,
        "bytes_per_stream": len(syn.body),
        "writes_per_stream": len(writes),
        "repeat": repeat,
        "rows": rows,
    }


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _check_concurrent(kind: str, out: list[Any], syn: Any) -> str:
    if kind == "raw":
        bad = sum(1 for n in out if n != len(syn.body))
    elif kind == "floor":
        bad = sum(1 for n in out if n != syn.chunks)
    else:
        bad = sum(
            1
            for r in out
            if r.text != syn.text
            or r.reasoning != syn.reasoning
            or r.usage is None
            or r.usage.total_tokens != syn.total_tokens
            or [c.arguments for c in r.tool_calls] != [syn.tool_args]
        )
    return f"WRONG in {bad} of {len(out)} streams" if bad else ""


# -- memory -------------------------------------------------------------------------------------


class _Generated(httpx.SyncByteStream):
    """The stream of :func:`iter_events`, produced as it is read (one event per read)."""

    def __init__(self, chunks: int, tally: Tally) -> None:
        self.chunks = chunks
        self.tally = tally

    def __iter__(self) -> Iterator[bytes]:
        return iter_events(self.chunks, self.tally)


def _memory_once(chunks: int) -> dict[str, Any]:
    tally = Tally()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_Generated(chunks, tally)
        )

    client = genai_baseten.Client(
        model=MODEL,
        api_key="x",
        base_url=BASE_URL,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    gc.collect()
    tracemalloc.start()
    try:
        with client.gen_stream(_PROMPT) as stream:
            for _ in stream:
                pass
            result = stream.result()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    ok = (
        len(result.reasoning) == tally.reasoning_chars
        and len(result.text) == tally.text_chars
        and result.usage is not None
        and result.usage.total_tokens == tally.total_tokens
    )
    # What the Result must hold at the least: its text and reasoning strings, as stored (a str
    # with one character beyond Latin-1, like "—" here, takes 2 bytes per character).
    text_bytes = sys.getsizeof(result.text) + sys.getsizeof(result.reasoning)
    return {
        "chunks": tally.chunks,
        "peak_bytes": peak,
        "after_bytes": current,
        "result_text_bytes": text_bytes,
        "note": "" if ok else "WRONG result",
    }


def run_memory(lengths: list[int], log: Log) -> dict[str, Any]:
    rows = [_memory_once(n) for n in lengths]
    for r in rows:
        log(
            f"  memory {r['chunks']:>8} chunks: peak {r['peak_bytes'] / 1e6:7.2f} MB, "
            f"result text {r['result_text_bytes'] / 1e6:6.2f} MB {r['note']}"
        )
    first, last = rows[0], rows[-1]
    d_chunks = last["chunks"] - first["chunks"]
    growth = (last["peak_bytes"] - first["peak_bytes"]) / d_chunks
    text_growth = (last["result_text_bytes"] - first["result_text_bytes"]) / d_chunks
    return {
        "rows": rows,
        "peak_growth_bytes_per_chunk": growth,
        "text_bytes_per_chunk": text_growth,
    }


# -- gen_sync of a 1 MB answer --------------------------------------------------------------------


def build_big_completion(
    target_bytes: int = 1_000_000, seed: int = 7
) -> tuple[bytes, dict[str, Any]]:
    """A chat.completion of about ``target_bytes``: 30% reasoning, 70% text, one tool call."""
    import random

    rng = random.Random(seed)
    reasoning: list[str] = []
    text: list[str] = []
    size = 0
    while size < target_bytes * 0.3:
        tok = _token(rng)
        reasoning.append(tok)
        size += len(tok)
    while size < target_bytes * 0.98:
        tok = _token(rng)
        text.append(tok)
        size += len(tok)
    args = '{"number": 1764.0, "precision": 6}'
    want: dict[str, Any] = {"reasoning": "".join(reasoning), "text": "".join(text), "args": args}
    completion_tokens = len(reasoning) + len(text)
    body = {
        "id": "chatcmpl-big",
        "object": "chat.completion",
        "created": 1_718_000_000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": want["text"],
                    "reasoning_content": want["reasoning"],
                    "tool_calls": [
                        {
                            "id": "chatcmpl-tool-big",
                            "type": "function",
                            "function": {"name": TOOL_NAME, "arguments": args},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": completion_tokens,
            "total_tokens": PROMPT_TOKENS + completion_tokens,
        },
    }
    want["total_tokens"] = PROMPT_TOKENS + completion_tokens
    return json.dumps(body).encode(), want


def _json_transport(body: bytes) -> httpx.MockTransport:
    headers = {"content-type": "application/json", "x-baseten-request-id": "bench"}
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=body))


def _sync_runners(body: bytes) -> list[tuple[str, str, Callable[[], tuple[str, str, str, int]]]]:
    url = BASE_URL + "/chat/completions"
    raw = httpx.Client(transport=_json_transport(body))

    def floor() -> tuple[str, str, str, int]:
        data = json.loads(raw.post(url, json={"model": MODEL}).content)
        msg = data["choices"][0]["message"]
        args = msg["tool_calls"][0]["function"]["arguments"]
        return msg["reasoning_content"], msg["content"], args, data["usage"]["total_tokens"]

    client = genai_baseten.Client(
        model=MODEL,
        api_key="x",
        base_url=BASE_URL,
        http_client=httpx.Client(transport=_json_transport(body)),
    )

    def genai() -> tuple[str, str, str, int]:
        r = client.gen_sync(_PROMPT)
        total = r.usage.total_tokens if r.usage and r.usage.total_tokens is not None else -1
        return r.reasoning, r.text, r.tool_calls[0].arguments, total

    rows = [
        ("floor", "httpx + json.loads", floor),
        ("genai", "genai_baseten.Client.gen_sync", genai),
    ]

    def from_openai(resp: Any) -> tuple[str, str, str, int]:
        msg = resp.choices[0].message
        return (
            getattr(msg, "reasoning_content", None) or "",
            msg.content,
            msg.tool_calls[0].function.arguments,
            resp.usage.total_tokens,
        )

    if importable("openai"):
        oa = openai_client(_json_transport(body))

        def sdk() -> tuple[str, str, str, int]:
            return from_openai(oa.chat.completions.create(model=MODEL, messages=_OPENAI_MESSAGES))

        rows.append(("openai", "openai SDK", sdk))
    if importable("litellm"):
        litellm = import_litellm()
        oa2 = openai_client(_json_transport(body))

        def lite() -> tuple[str, str, str, int]:
            resp = litellm.completion(
                model="baseten/" + MODEL,
                messages=_OPENAI_MESSAGES,
                api_key="x",
                api_base=BASE_URL,
                client=oa2,
            )
            return from_openai(resp)

        rows.append(("litellm", "LiteLLM completion, baseten/", lite))
    return rows


def run_gen_sync(repeat: int, log: Log) -> dict[str, Any]:
    body, want = build_big_completion()
    expected = (want["reasoning"], want["text"], want["args"], want["total_tokens"])
    runners = _sync_runners(body)
    notes: dict[str, str] = {}
    ok: dict[str, Callable[[], Any]] = {}
    for key, _label, fn in runners:
        try:
            got = fn()
        except Exception as exc:  # an optional contender failing must not stop the others
            notes[key] = f"failed: {type(exc).__name__}: {exc}"[:200]
            continue
        names = ("reasoning", "text", "tool arguments", "total_tokens")
        wrong = [n for n, g, w in zip(names, got, expected, strict=True) if g != w]
        notes[key] = "WRONG " + ", ".join(wrong) if wrong else ""
        ok[key] = fn
    samples: dict[str, list[float]] = {k: [] for k in ok}
    for _ in range(repeat):
        for key, fn in ok.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            samples[key].append((time.perf_counter() - t0) * 1e3)
    floor = _median(samples["floor"])
    rows = []
    for key, label, _fn in runners:
        row: dict[str, Any] = {"key": key, "label": label, "note": notes.get(key, "")}
        if key in samples:
            row.update(spread(samples[key]))
            row["ratio_to_floor"] = row["median"] / floor
            log(f"  gen_sync 1 MB {label:<36} {row['median']:8.2f} ms")
        rows.append(row)
    return {"bytes": len(body), "repeat": repeat, "rows": rows}


# -- gen_sync at concurrency 64 --------------------------------------------------------------------


def _threaded_cpu_us(fn: Callable[[], Any], threads: int, per_thread: int) -> float:
    """Process CPU µs per call of ``fn``, called ``per_thread`` times in each of ``threads``
    threads started together."""
    import threading

    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            for _ in range(per_thread):
                fn()
        except BaseException as exc:  # reported below: a wrong row must not look fast
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    gc.collect()
    c0 = time.process_time()
    barrier.wait()
    for t in pool:
        t.join()
    cpu = time.process_time() - c0
    if errors:
        raise errors[0]
    return cpu * 1e6 / (threads * per_thread)


def run_gen_sync_concurrent(threads: int, rounds: int, repeat: int, log: Log) -> dict[str, Any]:
    """``Client.gen_sync`` from ``threads`` threads sharing one client, against raw httpx (one
    shared ``httpx.Client``) + ``json.loads``: process CPU per request, the same in-process
    transport and body, for a small answer (~4 KB: where the per-request work shows) and a
    1 MB one (reasoning, text, a tool call, usage). Rows interleaved, ``repeat`` times."""
    sizes = [(4_000, 5 * rounds), (1_000_000, max(1, rounds // 10))]
    rows = []
    for answer_bytes, per_thread in sizes:
        body, want = build_big_completion(answer_bytes)
        expected = (want["reasoning"], want["text"], want["args"], want["total_tokens"])
        runners = {key: fn for key, _label, fn in _sync_runners(body)[:2]}
        for key, fn in runners.items():
            if fn() != expected:
                raise RuntimeError(f"gen_sync concurrent: row {key} extracted the wrong answer")
        samples: dict[str, list[float]] = {k: [] for k in runners}
        for _ in range(repeat):
            for key, fn in runners.items():
                samples[key].append(_threaded_cpu_us(fn, threads, per_thread))
        ratio = _median(samples["genai"]) / _median(samples["floor"])
        log(
            f"  gen_sync {len(body):>9,} B x{threads} threads: httpx + json.loads "
            f"{_median(samples['floor']):8.1f} µs, genai {_median(samples['genai']):8.1f} µs "
            f"CPU per request ({ratio:.2f}×)"
        )
        rows.append(
            {
                "bytes": len(body),
                "per_thread": per_thread,
                "floor_us": spread(samples["floor"]),
                "genai_us": spread(samples["genai"]),
                "ratio": ratio,
            }
        )
    return {"threads": threads, "repeat": repeat, "rows": rows}
