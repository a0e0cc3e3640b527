"""Streaming CPU cost per chunk (genai_baseten against a bare parsing floor, the openai SDK and
LiteLLM), import time and the profile of ``Client.gen_stream``.

Run through the command of the package::

    .venv/bin/python -m benchmarks --only stream [--chunks 5000] [--repeat 9]

A synthetic Baseten-style stream (the shape ``openai/gpt-oss-120b`` sends on Baseten Model APIs:
one ~590-byte ``data: {json}`` event per token, cumulative usage on every chunk) is built in
memory, cut into pieces the way a socket delivers it (4 KiB pieces, and separately one event per
piece), and read by each contender through an in-process httpx transport: no network, no server,
so the numbers are CPU per chunk and nothing else. See ``benchmarks/README.md`` for the rows.

Nothing here is asserted: performance is measured, never tested by timed tests.
"""

from __future__ import annotations

import asyncio
import atexit
import cProfile
import gc
import importlib
import importlib.util
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import httpx

import genai_baseten
from genai_core import _json
from genai_core.openai_chat.stream import ChatStreamAssembler
from genai_core.openai_chat.stream_core import ChatStreamCore as StreamCore
from genai_core.types import Message, Result

MODEL = "openai/gpt-oss-120b"
BASE_URL = "http://bench.invalid/v1"
PIECE_SIZE = 4096
PROMPT_TOKENS = 157
CACHED_TOKENS = 64
TOOL_NAME = "square_root"
TOOL_ARG_FRAGMENTS = 10

# Tokens as a tokenizer emits them: mostly a leading space and a word, some punctuation, a few
# non-ASCII words (escaped by json.dumps, as servers do).
_WORDS = tuple(
    " ".join(
        (
            "the user asks for the square root of a number so we should call the tool with the",
            "value and then explain the result briefly in plain words without extra detail",
            "because it is simple arithmetic that any calculator handles quickly let me check",
            "whether negative input needs special care maybe mention precision rounding digits",
            "café naïve résumé — über",
        )
    ).split(" ")
)
_PUNCT = (".", ",", ":", "\n\n", "?")


# -- the synthetic stream ---------------------------------------------------------------------


@dataclass
class Synthetic:
    """A generated stream and what a correct client extracts from it."""

    body: bytes
    chunks: int  # JSON chunks (events other than [DONE])
    reasoning: str
    text: str
    tool_id: str
    tool_args: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    event_sizes: list[int] = field(default_factory=list)

    def pieces(self, mode: str) -> list[bytes]:
        if mode == "4k":
            body = self.body
            return [body[i : i + PIECE_SIZE] for i in range(0, len(body), PIECE_SIZE)]
        if mode == "event":
            return [part + b"\n\n" for part in self.body.split(b"\n\n")[:-1]]
        raise ValueError(mode)


@dataclass
class Tally:
    """What :func:`iter_events` generated so far: filled in as the events are produced, so a
    stream of any length can be checked without keeping it in memory."""

    chunks: int = 0
    completion_tokens: int = 0
    reasoning_chars: int = 0
    text_chars: int = 0
    tool_id: str = ""
    tool_args: str = ""
    reasoning: list[str] | None = None  # the tokens themselves, when asked for
    text: list[str] | None = None

    @property
    def total_tokens(self) -> int:
        return PROMPT_TOKENS + self.completion_tokens


def _token(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(_PUNCT)
    return " " + rng.choice(_WORDS)


_TOOL_ARGS = '{\n  "number": 1764.0,\n  "precision": 6,\n  "explain": "show the steps"\n}'


def iter_events(n_chunks: int, tally: Tally, seed: int = 20240611) -> Iterator[bytes]:
    """The events of the stream, one ``data: ...\\n\\n`` at a time, ending with ``[DONE]``.

    About 60% reasoning chunks, 35% text chunks, 5% empty-delta chunks, then a tool call in one
    header + ``TOOL_ARG_FRAGMENTS`` argument fragments, a finish chunk, a usage-only chunk
    (``"choices": []``) and ``[DONE]``. ``n_chunks`` counts every JSON chunk.
    """
    rng = random.Random(seed)
    cid = "chatcmpl-" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
    tool_id = "chatcmpl-tool-" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
    tally.tool_id = tool_id
    created = 1_718_000_000
    tail = 1 + TOOL_ARG_FRAGMENTS + 2  # tool header + fragments, finish, usage-only
    body_chunks = max(n_chunks - 1 - tail, 10)  # minus the first (role) chunk
    n_reasoning = round(body_chunks * 0.60)
    n_text = round(body_chunks * 0.35)
    n_empty = body_chunks - n_reasoning - n_text
    reasoning_tokens = 0
    dumps = json.JSONEncoder(separators=(",", ":")).encode

    def null_delta(**extra: Any) -> dict[str, Any]:
        delta: dict[str, Any] = {
            "content": None,
            "function_call": None,
            "tool_calls": None,
            "role": None,
            "refusal": None,
        }
        delta.update(extra)
        return delta

    def event(choices: list[dict[str, Any]], step: int = 1) -> bytes:
        nonlocal created
        tally.completion_tokens += step
        tally.chunks += 1
        if rng.random() < 0.02:
            created += 1
        completion = tally.completion_tokens
        chunk = {
            "id": cid,
            "choices": choices,
            "created": created,
            "model": MODEL,
            "service_tier": None,
            "system_fingerprint": None,
            "object": "chat.completion.chunk",
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": completion,
                "total_tokens": PROMPT_TOKENS + completion,
                "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": CACHED_TOKENS},
                "completion_tokens_details": {
                    "accepted_prediction_tokens": 0,
                    "audio_tokens": 0,
                    "reasoning_tokens": reasoning_tokens,
                    "rejected_prediction_tokens": 0,
                },
            },
        }
        return b"data: " + dumps(chunk).encode() + b"\n\n"

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        c: dict[str, Any] = {"index": 0, "delta": delta}
        if finish is not None:
            c["finish_reason"] = finish
        return [c]

    yield event(choice(null_delta(role="assistant")))
    # Reasoning first, then the answer; empty-delta chunks sprinkled through both, at places
    # drawn up front (a sorted sample), so that the sequence needs no list of n_chunks items.
    total = n_reasoning + n_text + n_empty
    empties = set(rng.sample(range(total), n_empty))
    done_r = 0
    for i in range(total):
        if i in empties:
            yield event(choice(null_delta()), step=0)
            continue
        tok = _token(rng)
        step = rng.choice((1, 1, 1, 2))
        if done_r < n_reasoning:
            done_r += 1
            reasoning_tokens += 1
            tally.reasoning_chars += len(tok)
            if tally.reasoning is not None:
                tally.reasoning.append(tok)
            yield event(choice(null_delta(reasoning_content=tok)), step=step)
        else:
            tally.text_chars += len(tok)
            if tally.text is not None:
                tally.text.append(tok)
            yield event(choice(null_delta(content=tok)), step=step)

    def call_delta(name: str | None, args: str) -> dict[str, Any]:
        frag = {
            "index": 0,
            "id": tool_id,
            "type": "function",
            "function": {"name": name, "arguments": args},
        }
        return null_delta(tool_calls=[frag])

    args = _TOOL_ARGS
    tally.tool_args = args
    cuts = sorted(rng.sample(range(1, len(args)), TOOL_ARG_FRAGMENTS - 1))
    parts = [args[i:j] for i, j in zip([0, *cuts], [*cuts, len(args)], strict=True)]
    yield event(choice(call_delta(TOOL_NAME, "")))
    for part in parts:
        yield event(choice(call_delta(None, part)))
    yield event(choice(null_delta(), finish="tool_calls"), step=0)
    yield event([], step=0)
    yield b"data: [DONE]\n\n"


def build_stream(n_chunks: int, seed: int = 20240611) -> Synthetic:
    """The whole stream of :func:`iter_events` in memory, with what a client must extract."""
    tally = Tally(reasoning=[], text=[])
    events = list(iter_events(n_chunks, tally, seed))
    assert tally.reasoning is not None
    assert tally.text is not None
    return Synthetic(
        body=b"".join(events),
        chunks=tally.chunks,
        reasoning="".join(tally.reasoning),
        text="".join(tally.text),
        tool_id=tally.tool_id,
        tool_args=tally.tool_args,
        finish_reason="tool_calls",
        prompt_tokens=PROMPT_TOKENS,
        completion_tokens=tally.completion_tokens,
        total_tokens=tally.total_tokens,
        event_sizes=[len(e) for e in events[:-1]],
    )


# -- in-process transports ----------------------------------------------------------------------

_SSE_HEADERS = {
    "content-type": "text/event-stream",
    "x-baseten-request-id": "bench-request-0001",
}


class _Pieces(httpx.SyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._pieces)


class _AsyncPieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


class PiecesTransport(httpx.BaseTransport):
    """Answers every request with the stream, delivered in the given pieces."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=_SSE_HEADERS, stream=_Pieces(self.pieces))


class AsyncPiecesTransport(httpx.AsyncBaseTransport):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=_SSE_HEADERS, stream=_AsyncPieces(self.pieces))


# -- the contenders -----------------------------------------------------------------------------
# Each makes a callable that reads the whole stream once and returns what it extracted, as
# (reasoning, text, tool arguments, total tokens), so every row is checked for correctness.

Extracted = tuple[str, str, str, int]
Runner = Callable[[], Extracted]
MakeRunner = Callable[["Synthetic", list[bytes]], Runner]


def _floor_loop(pieces: Iterable[bytes], loads: Callable[[str], Any]) -> Extracted:
    """The least a correct reader of this stream must do (no CR handling, no accumulation)."""
    buf = b""
    n = 0
    for piece in pieces:
        events = (buf + piece).split(b"\n\n")
        buf = events.pop()
        for ev in events:
            text = ev.decode()
            if text.startswith("data: "):
                text = text[6:]
            if text == "[DONE]":
                return ("", "", "", n)
            loads(text)
            n += 1
    return ("", "", "", n)


def floor_runner(
    syn: Synthetic, pieces: list[bytes], loads: Callable[[str], Any] = json.loads
) -> Runner:
    """The floor's loop over the pieces in memory."""

    def run() -> Extracted:
        return _floor_loop(pieces, loads)

    return run


def httpx_floor_runner(
    syn: Synthetic, pieces: list[bytes], loads: Callable[[str], Any] = _json.loads_std
) -> Runner:
    """The floor's loop behind ``httpx.Client.stream(...).iter_bytes()`` on the same transport
    as the clients: what any httpx-based reader pays before doing anything of its own."""
    http = httpx.Client(transport=PiecesTransport(pieces))
    url = BASE_URL + "/chat/completions"

    def run() -> Extracted:
        with http.stream("POST", url, json={"model": MODEL, "stream": True}) as r:
            return _floor_loop(r.iter_bytes(), loads)

    return run


def _from_result(res: Result) -> Extracted:
    calls = res.tool_calls
    usage = res.usage
    return (
        res.reasoning,
        res.text,
        calls[0].arguments if calls else "",
        usage.total_tokens if usage is not None and usage.total_tokens is not None else -1,
    )


def core_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    def run() -> Extracted:
        core = StreamCore(ChatStreamAssembler(provider="baseten"))
        feed = core.feed
        for piece in pieces:
            feed(piece)
        core.finish()
        return _from_result(core.result())

    return run


_PROMPT = [Message.user("What is the square root of 1764?")]


def client_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    client = genai_baseten.Client(
        model=MODEL,
        api_key="x",
        base_url=BASE_URL,
        http_client=httpx.Client(transport=PiecesTransport(pieces)),
    )

    def run() -> Extracted:
        with client.gen_stream(_PROMPT) as stream:
            for _fragment in stream:
                pass
            return _from_result(stream.result())

    return run


def async_client_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    client = genai_baseten.AsyncClient(
        model=MODEL,
        api_key="x",
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=AsyncPiecesTransport(pieces)),
    )

    async def once() -> Extracted:
        async with client.gen_stream(_PROMPT) as stream:
            async for _fragment in stream:
                pass
            res = _from_result(stream.result())
        # If the stream left an async generator unfinished, asyncio finalises it in a task of
        # its own: let that run inside the timing, as a live loop would.
        await asyncio.sleep(0)
        return res

    def run() -> Extracted:
        # A fresh loop per stream (about 0.02 µs per chunk at 5000 chunks), so that nothing of
        # one repetition is left pending for the next.
        return asyncio.run(once())

    return run


def _accumulate_openai_chunks(chunks: Any) -> Extracted:
    """What a user of the raw SDK stream has to do to get the same answer out."""
    reasoning: list[str] = []
    text: list[str] = []
    args: dict[int, list[str]] = {}
    total = -1
    for chunk in chunks:
        usage = getattr(chunk, "usage", None)  # LiteLLM's chunks have it only when set
        if usage is not None:
            total = usage.total_tokens
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        r = getattr(delta, "reasoning_content", None)
        if r:
            reasoning.append(r)
        if delta.content:
            text.append(delta.content)
        if delta.tool_calls:
            for tc in delta.tool_calls:
                if tc.function is not None and tc.function.arguments:
                    args.setdefault(tc.index, []).append(tc.function.arguments)
    return ("".join(reasoning), "".join(text), "".join(args.get(0, [])), total)


_OPENAI_MESSAGES = [{"role": "user", "content": "What is the square root of 1764?"}]


def openai_client(transport: httpx.BaseTransport) -> Any:
    """An ``openai.OpenAI`` client that sends through ``transport``, without retries."""
    openai = importlib.import_module("openai")
    return openai.OpenAI(
        api_key="x",
        base_url=BASE_URL,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )


def openai_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    client = openai_client(PiecesTransport(pieces))

    def run() -> Extracted:
        stream = client.chat.completions.create(model=MODEL, messages=_OPENAI_MESSAGES, stream=True)
        with stream:
            return _accumulate_openai_chunks(stream)

    return run


# LiteLLM fetches a model price list from GitHub when imported unless told to use its bundled
# copy; these keep it (and anything else it would fetch on its own) offline.
LITELLM_OFFLINE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true"}


def import_litellm() -> Any:
    os.environ.update(LITELLM_OFFLINE_ENV)
    litellm = importlib.import_module("litellm")
    setattr(litellm, "telemetry", False)  # noqa: B010 (an Any: mypy does not know it)
    return litellm


def litellm_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    # LiteLLM's Baseten provider ("baseten/<model>") is OpenAI-compatible: it sends through an
    # openai.OpenAI client, which it accepts as ``client=``; that client gets the same transport.
    litellm = import_litellm()
    oa_client = openai_client(PiecesTransport(pieces))

    def run() -> Extracted:
        stream = litellm.completion(
            model="baseten/" + MODEL,
            messages=_OPENAI_MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            api_key="x",
            api_base=BASE_URL,
            client=oa_client,
        )
        return _accumulate_openai_chunks(stream)

    return run


@dataclass
class Case:
    key: str
    label: str
    make: Callable[[Synthetic, list[bytes]], Runner]
    module: str | None = None  # optional package it needs
    checks_content: bool = True


def orjson_floor_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    return floor_runner(syn, pieces, importlib.import_module("orjson").loads)


def scanner_floor_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    return floor_runner(syn, pieces, _json.loads_std)


def set_decoder(decoder: Callable[[str], Any]) -> Callable[[str], Any]:
    """Make genai decode chunks with ``decoder`` from now on; returns the previous one.

    An assembler takes its decoder (``loads=``) when it is made, by default
    ``genai_core._json.loads_chunk``; the clients make theirs per stream with the default, so
    setting the default is how a benchmark pins a client's decoder.
    """
    saved: Callable[[str], Any] = _json.loads_chunk
    _json.loads_chunk = decoder
    return saved


def with_decoder(decoder: Callable[[str], Any], make: MakeRunner) -> MakeRunner:
    """``make`` with genai's chunk decoder set to ``decoder`` while each run lasts."""

    def make_with(syn: Synthetic, pieces: list[bytes]) -> Runner:
        run = make(syn, pieces)

        def run_with() -> Extracted:
            saved = set_decoder(decoder)
            try:
                return run()
            finally:
                set_decoder(saved)

        return run_with

    return make_with


# genai picks orjson by itself when it is installed; rows (b)-(d) are pinned to json's decoder so
# that they compare with the json floor (a), and (c+) shows what orjson brings.
_std = _json.loads_std
CASES = [
    Case("a", "floor: split + json.loads", floor_runner, checks_content=False),
    Case(
        "a=",
        "floor: split + json's C scanner (genai's loads_std)",
        scanner_floor_runner,
        checks_content=False,
    ),
    Case("a+", "floor: split + orjson.loads", orjson_floor_runner, "orjson", False),
    Case("ah", "floor (a=) behind httpx iter_bytes", httpx_floor_runner, checks_content=False),
    Case("b", "genai StreamCore (sans-IO)", with_decoder(_std, core_runner)),
    Case("c", "genai_baseten.Client.gen_stream", with_decoder(_std, client_runner)),
    Case(
        "c+",
        "genai_baseten.Client.gen_stream, orjson",
        with_decoder(_json.loads_orjson, client_runner),
        "orjson",
    ),
    Case("d", "genai_baseten.AsyncClient (asyncio)", with_decoder(_std, async_client_runner)),
    Case("e", "openai SDK, stream=True", openai_runner, module="openai"),
    Case("f", "LiteLLM completion(stream=True), baseten/", litellm_runner, module="litellm"),
]
MODES = (("4k", "4 KiB pieces"), ("event", "1 event per piece"))

# Like for like (issue 14): each genai row against the floor that decodes JSON with the same
# function it does; (c+) uses orjson, the others json's C scanner.
LIKE_FOR_LIKE = {"b": "a=", "c": "a=", "d": "a=", "c+": "a+"}
TARGET_LIKE_FOR_LIKE = 1.2


# -- measuring ----------------------------------------------------------------------------------

# A row whose one stream takes longer than this gets fewer repetitions (at least SLOW_MIN_REPEAT)
# so that LiteLLM does not make the whole run last minutes.
SLOW_BUDGET_S = 8.0
SLOW_MIN_REPEAT = 3


@dataclass
class Row:
    case: str
    label: str
    mode: str
    samples_us: list[float] = field(default_factory=list)  # µs per chunk, one per repetition
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.samples_us)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_us)


def _check(case: Case, syn: Synthetic, got: Extracted) -> str:
    if not case.checks_content:
        return "" if got[3] == syn.chunks else f"parsed {got[3]} chunks, expected {syn.chunks}"
    want = (syn.reasoning, syn.text, syn.tool_args, syn.total_tokens)
    names = ("reasoning", "text", "tool arguments", "total_tokens")
    wrong = [name for name, g, w in zip(names, got, want, strict=True) if g != w]
    return "WRONG " + ", ".join(wrong) if wrong else ""


def _prepare(case: Case, syn: Synthetic, mode: str) -> tuple[Row, Runner | None, float]:
    """Build the row's runner, warm it up (timed) and check what it extracts."""
    row = Row(case.key, case.label, mode)
    if case.module is not None and not importable(case.module):
        row.note = f"skipped: {case.module} not installed"
        return row, None, 0.0
    try:
        run = case.make(syn, syn.pieces(mode))
        t0 = time.perf_counter()
        got = run()
        warm = time.perf_counter() - t0
        row.note = _check(case, syn, got)
    except Exception as exc:  # an optional contender failing must not stop the others
        row.note = f"failed: {type(exc).__name__}: {exc}"[:200]
        return row, None, 0.0
    return row, run, warm


def measure(syn: Synthetic, mode: str, repeat: int, cases: list[Case] | None = None) -> list[Row]:
    """Every row of one piece mode. Repetitions are interleaved (a, b, c, ..., a, b, c, ...)
    so that a burst of load from elsewhere on the machine hits all rows alike."""
    prepared = []
    for case in cases or CASES:
        row, run, warm = _prepare(case, syn, mode)
        reps = repeat
        if warm * repeat > SLOW_BUDGET_S:
            reps = max(SLOW_MIN_REPEAT, int(SLOW_BUDGET_S / warm))
        prepared.append((row, run, min(repeat, reps)))
    # Process CPU time, not wall time: on a shared machine a wall clock also counts the time
    # this process waited for a core, which no row controls (the rows here run one thread).
    clock = time.process_time
    for i in range(repeat):
        for row, run, reps in prepared:
            if run is None or i >= reps:
                continue
            gc.collect()
            t0 = clock()
            run()
            row.samples_us.append((clock() - t0) * 1e6 / syn.chunks)
    return [row for row, _, _ in prepared]


def rows_to_json(rows: list[Row]) -> list[dict[str, Any]]:
    """The rows of one mode, with ratios of medians to (a) and (e)."""
    by_case = {r.case: r for r in rows if r.ok}
    out = []
    for r in rows:
        entry: dict[str, Any] = {"case": r.case, "label": r.label, "note": r.note}
        if r.ok:
            entry.update(spread(r.samples_us))
            refs = [("a", "ratio_to_floor"), ("e", "ratio_to_openai"), ("ah", "ratio_to_httpx")]
            if r.case in LIKE_FOR_LIKE:
                refs.append((LIKE_FOR_LIKE[r.case], "ratio_like_for_like"))
            for ref, key in refs:
                entry[key] = r.median / by_case[ref].median if ref in by_case else None
        out.append(entry)
    return out


def spread(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def run_stream(chunks: int, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    syn = build_stream(chunks)
    sizes = syn.event_sizes
    log(
        f"stream: {syn.chunks} JSON chunks + [DONE], {len(syn.body):,} bytes, mean event "
        f"{statistics.fmean(sizes):.0f} B; {repeat} repetitions"
    )
    modes: dict[str, Any] = {}
    for mode, title in MODES:
        rows = measure(syn, mode, repeat)
        modes[mode] = {
            "title": title,
            "pieces": len(syn.pieces(mode)),
            "rows": rows_to_json(rows),
        }
        for entry in modes[mode]["rows"]:
            if "median" in entry:
                like = entry.get("ratio_like_for_like")
                extra = (
                    f"  {like:.2f}× like-for-like floor ({LIKE_FOR_LIKE[entry['case']]})"
                    if like is not None
                    else ""
                )
                log(
                    f"  {mode:<5} ({entry['case']}) {entry['label']:<44} "
                    f"{entry['median']:9.2f} µs{extra}"
                )
            else:
                log(f"  {mode:<5} ({entry['case']}) {entry['label']:<44} {entry['note']}")
    return {
        "chunks": syn.chunks,
        "bytes": len(syn.body),
        "mean_event_bytes": statistics.fmean(sizes),
        "repeat": repeat,
        "piece_size": PIECE_SIZE,
        "modes": modes,
    }


# -- profile ------------------------------------------------------------------------------------


def profile_client(
    chunks: int, mode: str = "4k", streams: int = 3, top: int = 12
) -> dict[str, Any]:
    """cProfile of row (c); per-function cost per chunk, top ``top`` by own time.

    cProfile adds a fixed cost to every Python call, so the shares, not the absolute µs, are
    what to read from it.
    """
    syn = build_stream(chunks)
    run = with_decoder(_json.loads_std, client_runner)(syn, syn.pieces(mode))
    run()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(streams):
        run()
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    n = syn.chunks * streams
    entries = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        where = _short_path(filename)
        entries.append(
            {
                "function": f"{where}:{line}({func})" if line else func,
                "calls_per_chunk": ncalls / n,
                "own_us_per_chunk": tottime * 1e6 / n,
                "cum_us_per_chunk": cumtime * 1e6 / n,
                "own_share": tottime / total if total else 0.0,
            }
        )
    entries.sort(key=lambda e: -float(e["own_us_per_chunk"]))
    return {
        "mode": mode,
        "streams": streams,
        "chunks": syn.chunks,
        "total_us_per_chunk": total * 1e6 / n,
        "top": entries[:top],
    }


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "genai_core/", "genai_baseten/", "lib/python"):
        i = filename.find(marker)
        if i >= 0:
            rest = filename[i + len(marker) :]
            return rest if marker in ("site-packages/", "lib/python") else marker + rest
    return os.path.basename(filename)


# -- import time --------------------------------------------------------------------------------

_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


_PYCACHE: str | None = None


def _env() -> dict[str, str]:
    """The environment of the import-time processes: bytecode cached (in a directory of our
    own), as it is for an installed package. With ``PYTHONDONTWRITEBYTECODE`` set (as on some
    CI machines and VMs) an editable install would compile its sources on every start, which
    measures the compiler, not the import."""
    global _PYCACHE
    if _PYCACHE is None:
        _PYCACHE = tempfile.mkdtemp(prefix="genai-bench-pycache-")
        atexit.register(shutil.rmtree, _PYCACHE, ignore_errors=True)
    env = {**os.environ, **LITELLM_OFFLINE_ENV, "PYTHONPYCACHEPREFIX": _PYCACHE}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, *flags, "-c", code]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=_env())
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"python -c {code!r} failed: {tail[0]}")
    return proc


def _run_python(code: str, *flags: str) -> tuple[float, str]:
    """The child's CPU time (user + system), ms, and its stderr. CPU time, not wall time: on a
    shared machine the wall clock also counts the child's waits for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = _python(code, *flags)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1e3, proc.stderr


def _modules_loaded(code: str) -> set[str]:
    return set(_python(f"{code}\nimport sys\nprint('\\n'.join(sys.modules))").stdout.split())


IMPORT_FLOOR = "import httpx, pydantic"
# The floor of issue 14's import target: genai_baseten's three dependencies.
IMPORT_DEPS = "import httpx, pydantic, anyio"
IMPORT_CASES = {
    "python -c pass": "pass",
    IMPORT_FLOOR: IMPORT_FLOOR,
    IMPORT_DEPS: IMPORT_DEPS,
    # pydantic imports lazily: the first BaseModel loads most of it, a model with a Field the
    # rest (pydantic.fields, pydantic.types, annotated_types); any library with models pays it.
    "httpx + a pydantic model": (
        "import httpx; from pydantic import BaseModel, Field\nclass M(BaseModel): x: int = Field(0)"
    ),
    "import genai_core": "import genai_core",
    "import genai_baseten": "import genai_baseten",
    # What an application does: the client, one message, one option.
    "genai_baseten + Message + TextOptions": (
        "import genai_baseten; from genai_core import Message, TextOptions\n"
        "Message.user('hi'); TextOptions(max_tokens=5)"
    ),
}
OPTIONAL_IMPORT_CASES = {"import openai": ("openai", "import openai")}
SLOW_IMPORT_CASES = {"import litellm": ("litellm", "import litellm")}


def measure_imports(runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    codes = dict(IMPORT_CASES)
    for name, (module, code) in OPTIONAL_IMPORT_CASES.items():
        if importable(module):
            codes[name] = code
    for code in codes.values():  # warm-up: bytecode written, files in the page cache
        _python(code)
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, code in codes.items():
            times[name].append(_run_python(code)[0])
    for name, (module, code) in SLOW_IMPORT_CASES.items():  # seconds each: fewer runs
        if importable(module):
            _python(code)
            times[name] = [_run_python(code)[0] for _ in range(min(runs, 3))]
            codes[name] = code
    for name, ts in times.items():
        log(f"  import  {name:<40} {statistics.median(ts):8.1f} ms")

    # -X importtime, median self time per module over the runs.
    self_us: dict[str, list[int]] = {}
    for _ in range(runs):
        _, err = _run_python("import genai_baseten", "-X", "importtime")
        for line in err.splitlines():
            m = _IMPORTTIME.match(line)
            if m:
                self_us.setdefault(m.group(4), []).append(int(m.group(1)))
    med_self = {mod: statistics.median(v) for mod, v in self_us.items()}
    base = _modules_loaded(IMPORT_CASES["httpx + a pydantic model"])
    ours = _modules_loaded("import genai_baseten")
    extra = sorted(ours - base)
    own = [m for m in extra if m.startswith(("genai_core", "genai_baseten"))]

    def top(mods: Any, n: int) -> list[tuple[str, float]]:
        ranked = sorted(((m, med_self.get(m, 0) / 1e3) for m in mods), key=lambda kv: -kv[1])
        return ranked[:n]

    over = statistics.median(times["import genai_baseten"]) - statistics.median(times[IMPORT_DEPS])
    log(f"  import genai_baseten − {IMPORT_DEPS}: {over:+.1f} ms (medians)")
    first = measure_first_request(runs, log)
    return {
        "runs": runs,
        "over_floor_ms": over,
        "first_request": first,
        "cases": [{"name": n, "code": codes[n], **spread(ts)} for n, ts in times.items()],
        "beyond_model_modules": extra,
        "beyond_model_self_ms": sum(med_self.get(m, 0) for m in extra) / 1e3,
        "top_self_ms_beyond_model": top([m for m in extra if m not in own], 6),
        "top_self_ms_own": top(own, 8),
    }


_FIRST_REQUEST = """
import json, time
t0 = time.process_time()
import genai_baseten
t1 = time.process_time()
import httpx
from genai_core import Message
BODY = (b'{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}')
def handler(request):
    return httpx.Response(200, headers={"content-type": "application/json"}, content=BODY)
def once():
    client = genai_baseten.Client(model="openai/gpt-oss-120b", api_key="x",
        base_url="http://bench.invalid/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert client.gen_sync([Message.user("hi")]).text == "Hello there."
t2 = time.process_time()
once()
t3 = time.process_time()
once()
t4 = time.process_time()
print(json.dumps([(t1 - t0) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3]))
"""


def measure_first_request(runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    """In fresh processes: ``import genai_baseten``, then a first client and ``gen_sync``
    (in-process transport), then a second; CPU ms of each step. Lazy loading would move
    import time into the first request: this shows where it went."""
    _python(_FIRST_REQUEST)
    samples: list[list[float]] = [json.loads(_python(_FIRST_REQUEST).stdout) for _ in range(runs)]
    out = {}
    for i, key in enumerate(("import_ms", "first_request_ms", "second_request_ms")):
        out[key] = spread([s[i] for s in samples])
    imp, first, second = (
        out[k]["median"] for k in ("import_ms", "first_request_ms", "second_request_ms")
    )
    log(f"  import {imp:.1f} ms, first client + gen_sync {first:.1f} ms, second {second:.1f} ms")
    return out


# -- helpers ------------------------------------------------------------------------------------


def importable(name: str) -> bool:
    """Whether ``name`` could be imported, without importing it (LiteLLM's import takes seconds)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": {
            d: version(d)
            for d in (
                "genai-baseten",
                "httpx",
                "pydantic",
                "pydantic-core",
                "anyio",
                "orjson",
                "openai",
                "litellm",
            )
        },
    }
