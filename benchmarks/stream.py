"""Streaming CPU cost per chunk: genai_baseten against a bare parsing floor and the openai SDK.

Run::

    .venv/bin/python benchmarks/stream.py [--chunks 5000] [--repeat 7] [--json out.json]

A synthetic Baseten-style stream (the shape ``openai/gpt-oss-120b`` sends on Baseten Model APIs:
one ~590-byte ``data: {json}`` event per token, cumulative usage on every chunk) is built in
memory, cut into pieces the way a socket delivers it (4 KiB pieces, and separately one event per
piece), and read by each contender through an in-process httpx transport: no network, no server,
so the numbers are CPU per chunk and nothing else. See ``benchmarks/README.md`` for the rows.

Nothing here is asserted: performance is measured, never tested by timed tests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib
import io
import json
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import httpx

import genai_baseten
from genai_core.openai_chat.stream import ChatStreamAssembler
from genai_core.provider import StreamCore
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


def _token(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(_PUNCT)
    return " " + rng.choice(_WORDS)


def build_stream(n_chunks: int, seed: int = 20240611) -> Synthetic:
    """About 60% reasoning chunks, 35% text chunks, 5% empty-delta chunks, then a tool call in
    one header + ``TOOL_ARG_FRAGMENTS`` argument fragments, a finish chunk, a usage-only chunk
    (``"choices": []``) and ``[DONE]``. ``n_chunks`` counts every JSON chunk."""
    rng = random.Random(seed)
    cid = "chatcmpl-" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
    tool_id = "chatcmpl-tool-" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
    created = 1_718_000_000
    tail = 1 + TOOL_ARG_FRAGMENTS + 2  # tool header + fragments, finish, usage-only
    body_chunks = max(n_chunks - 1 - tail, 10)  # minus the first (role) chunk
    n_reasoning = round(body_chunks * 0.60)
    n_text = round(body_chunks * 0.35)
    n_empty = body_chunks - n_reasoning - n_text

    completion = 0
    reasoning_tokens = 0
    events: list[bytes] = []

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

    def emit(choices: list[dict[str, Any]], step: int = 1) -> None:
        nonlocal completion, created
        completion += step
        if rng.random() < 0.02:
            created += 1
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
        events.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        c: dict[str, Any] = {"index": 0, "delta": delta}
        if finish is not None:
            c["finish_reason"] = finish
        return [c]

    emit(choice(null_delta(role="assistant")))
    # Reasoning first, then the answer; empty-delta chunks sprinkled through both.
    kinds = ["r"] * n_reasoning + ["t"] * n_text
    for _ in range(n_empty):
        kinds.insert(rng.randrange(len(kinds) + 1), "e")
    reasoning: list[str] = []
    text: list[str] = []
    for kind in kinds:
        if kind == "r":
            tok = _token(rng)
            reasoning.append(tok)
            reasoning_tokens += 1
            emit(choice(null_delta(reasoning_content=tok)), step=rng.choice((1, 1, 1, 2)))
        elif kind == "t":
            tok = _token(rng)
            text.append(tok)
            emit(choice(null_delta(content=tok)), step=rng.choice((1, 1, 1, 2)))
        else:
            emit(choice(null_delta()), step=0)

    def call_delta(name: str | None, args: str) -> dict[str, Any]:
        frag = {
            "index": 0,
            "id": tool_id,
            "type": "function",
            "function": {"name": name, "arguments": args},
        }
        return null_delta(tool_calls=[frag])

    args = '{\n  "number": 1764.0,\n  "precision": 6,\n  "explain": "show the steps"\n}'
    cuts = sorted(rng.sample(range(1, len(args)), TOOL_ARG_FRAGMENTS - 1))
    parts = [args[i:j] for i, j in zip([0, *cuts], [*cuts, len(args)], strict=True)]
    emit(choice(call_delta(TOOL_NAME, "")))
    for part in parts:
        emit(choice(call_delta(None, part)))
    emit(choice(null_delta(), finish="tool_calls"), step=0)
    emit([], step=0)
    n_json = len(events)
    events.append(b"data: [DONE]\n\n")
    return Synthetic(
        body=b"".join(events),
        chunks=n_json,
        reasoning="".join(reasoning),
        text="".join(text),
        tool_id=tool_id,
        tool_args=args,
        finish_reason="tool_calls",
        prompt_tokens=PROMPT_TOKENS,
        completion_tokens=completion,
        total_tokens=PROMPT_TOKENS + completion,
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


def floor_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    """The least a correct reader of this stream must do (no CR handling, no accumulation)."""
    loads = json.loads

    def run() -> Extracted:
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
        if chunk.usage is not None:
            total = chunk.usage.total_tokens
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


def openai_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    openai = importlib.import_module("openai")
    client = openai.OpenAI(
        api_key="x",
        base_url=BASE_URL,
        max_retries=0,
        http_client=httpx.Client(transport=PiecesTransport(pieces)),
    )

    def run() -> Extracted:
        stream = client.chat.completions.create(model=MODEL, messages=_OPENAI_MESSAGES, stream=True)
        with stream:
            return _accumulate_openai_chunks(stream)

    return run


def litellm_runner(syn: Synthetic, pieces: list[bytes]) -> Runner:
    # LiteLLM routes "openai/..." models through an OpenAI client it accepts as ``client=``.
    litellm = importlib.import_module("litellm")
    openai = importlib.import_module("openai")
    oa_client = openai.OpenAI(
        api_key="x",
        base_url=BASE_URL,
        max_retries=0,
        http_client=httpx.Client(transport=PiecesTransport(pieces)),
    )

    def run() -> Extracted:
        stream = litellm.completion(
            model="openai/" + MODEL,
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


CASES = [
    Case("a", "floor: split + json.loads", floor_runner, checks_content=False),
    Case("b", "genai StreamCore (sans-IO)", core_runner),
    Case("c", "genai_baseten.Client.gen_stream", client_runner),
    Case("d", "genai_baseten.AsyncClient (asyncio)", async_client_runner),
    Case("e", "openai SDK, stream=True", openai_runner, module="openai"),
    Case("f", "LiteLLM completion(stream=True)", litellm_runner, module="litellm"),
]
MODES = (("4k", "4 KiB pieces"), ("event", "1 event per piece"))


# -- measuring ----------------------------------------------------------------------------------


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


def _prepare(case: Case, syn: Synthetic, mode: str) -> tuple[Row, Runner | None]:
    """Build the row's runner, warm it up and check what it extracts."""
    row = Row(case.key, case.label, mode)
    if case.module is not None and not _importable(case.module):
        row.note = f"skipped: {case.module} not installed"
        return row, None
    try:
        run = case.make(syn, syn.pieces(mode))
        row.note = _check(case, syn, run())
    except Exception as exc:  # an optional contender failing must not stop the others
        row.note = f"failed: {type(exc).__name__}: {exc}"[:200]
        return row, None
    return row, run


def measure(syn: Synthetic, mode: str, repeat: int) -> list[Row]:
    """Every row of one piece mode. Repetitions are interleaved (a, b, c, ..., a, b, c, ...)
    so that a burst of load from elsewhere on the machine hits all rows alike."""
    prepared = [_prepare(case, syn, mode) for case in CASES]
    clock = time.perf_counter
    for _ in range(repeat):
        for row, run in prepared:
            if run is None:
                continue
            gc.collect()
            t0 = clock()
            run()
            row.samples_us.append((clock() - t0) * 1e6 / syn.chunks)
    return [row for row, _ in prepared]


def _fmt_row(row: Row, floor: Row | None, ref: Row | None) -> str:
    if not row.ok:
        return f"  {row.case}  {row.label:<38} {row.note}"
    spread = f"{row.median:8.2f} [{min(row.samples_us):.2f}–{max(row.samples_us):.2f}]"
    vs_floor = f"{row.median / floor.median:6.2f}×" if floor and floor.ok else "     –"
    vs_ref = f"{row.median / ref.median:6.2f}×" if ref and ref.ok else "     –"
    note = f"  {row.note}" if row.note else ""
    return f"  {row.case}  {row.label:<38} {spread:<26} {vs_floor:>8} {vs_ref:>8}{note}"


def print_table(rows: list[Row]) -> None:
    for mode, title in MODES:
        sub = [r for r in rows if r.mode == mode]
        floor = next((r for r in sub if r.case == "a"), None)
        ref = next((r for r in sub if r.case == "e"), None)
        print(f"\n{title}: µs per chunk, median [min–max]")
        print(f"  {'':3}{'':<38} {'µs/chunk':<26} {'÷ (a)':>8} {'÷ (e)':>8}")
        for row in sub:
            print(_fmt_row(row, floor, ref))


# -- import time --------------------------------------------------------------------------------

_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, *flags, "-c", code]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"python -c {code!r} failed: {tail[0]}")
    return proc


def _run_python(code: str, *flags: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = _python(code, *flags)
    return (time.perf_counter() - t0) * 1e3, proc.stderr


def _modules_loaded(code: str) -> set[str]:
    return set(_python(f"{code}; import sys; print('\\n'.join(sys.modules))").stdout.split())


def measure_imports(runs: int) -> dict[str, Any]:
    codes = {
        "python -c pass": "pass",
        "import httpx, pydantic": "import httpx, pydantic",
        # pydantic imports lazily: the first BaseModel loads most of it.
        "httpx + pydantic.BaseModel": "import httpx; from pydantic import BaseModel",
        "import genai_baseten": "import genai_baseten",
    }
    if _importable("openai"):
        codes["import openai"] = "import openai"
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, code in codes.items():
            times[name].append(_run_python(code)[0])
    medians = {name: statistics.median(ts) for name, ts in times.items()}

    # -X importtime, median self time per module over the runs.
    self_us: dict[str, list[int]] = {}
    for _ in range(runs):
        _, err = _run_python("import genai_baseten", "-X", "importtime")
        for line in err.splitlines():
            m = _IMPORTTIME.match(line)
            if m:
                self_us.setdefault(m.group(4), []).append(int(m.group(1)))
    med_self = {mod: statistics.median(v) for mod, v in self_us.items()}
    top = sorted(med_self.items(), key=lambda kv: -kv[1])[:5]
    own = sorted(
        ((m, t) for m, t in med_self.items() if m.startswith(("genai_core", "genai_baseten"))),
        key=lambda kv: -kv[1],
    )[:5]
    extra = _modules_loaded("import genai_baseten") - _modules_loaded("import httpx, pydantic")
    extra_self = sum(med_self.get(m, 0) for m in extra)
    beyond_model = _modules_loaded("import genai_baseten") - _modules_loaded(
        codes["httpx + pydantic.BaseModel"]
    )
    return {
        "runs": runs,
        "median_ms": medians,
        "all_ms": times,
        "genai_minus_httpx_pydantic_ms": medians["import genai_baseten"]
        - medians["import httpx, pydantic"],
        "genai_minus_basemodel_ms": medians["import genai_baseten"]
        - medians["httpx + pydantic.BaseModel"],
        "top5_self_us": top,
        "top5_self_us_own_modules": own,
        "extra_modules": sorted(extra),
        "extra_modules_self_ms": extra_self / 1e3,
        "modules_beyond_basemodel": sorted(beyond_model),
        "modules_beyond_basemodel_self_ms": sum(med_self.get(m, 0) for m in beyond_model) / 1e3,
    }


def print_imports(imp: dict[str, Any]) -> None:
    print(f"\nImport time, whole process, median of {imp['runs']} runs:")
    for name, ms in imp["median_ms"].items():
        print(f"  {name:<26} {ms:7.1f} ms")
    print(f"  genai_baseten - (httpx, pydantic) = {imp['genai_minus_httpx_pydantic_ms']:+.1f} ms")
    print(f"  genai_baseten - (httpx, BaseModel) = {imp['genai_minus_basemodel_ms']:+.1f} ms")
    n_extra = len(imp["extra_modules"])
    print(
        f"  modules beyond httpx+pydantic: {n_extra}, "
        f"their self time {imp['extra_modules_self_ms']:.1f} ms"
    )
    print(
        f"  modules beyond httpx+BaseModel: {len(imp['modules_beyond_basemodel'])}, "
        f"their self time {imp['modules_beyond_basemodel_self_ms']:.1f} ms"
    )
    print("  -X importtime, top 5 self time (import genai_baseten):")
    for mod, us in imp["top5_self_us"]:
        print(f"    {us / 1e3:6.2f} ms  {mod}")
    print("  ... of which genai_core / genai_baseten modules, top 5:")
    for mod, us in imp["top5_self_us_own_modules"]:
        print(f"    {us / 1e3:6.2f} ms  {mod}")


# -- profile ------------------------------------------------------------------------------------


def profile_client(syn: Synthetic, mode: str, top: int = 15) -> str:
    run = client_runner(syn, syn.pieces(mode))
    run()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        run()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- main ---------------------------------------------------------------------------------------


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "packages": {
            d: _version(d)
            for d in ("genai-baseten", "httpx", "pydantic", "pydantic-core", "openai", "litellm")
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--chunks", type=int, default=5000, help="JSON chunks in the stream")
    ap.add_argument("--repeat", type=int, default=7, help="timed repetitions per row")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--import-runs", type=int, default=7, help="process runs per import case")
    ap.add_argument("--no-imports", action="store_true", help="skip the import-time part")
    ap.add_argument("--profile", action="store_true", help="cProfile row (c), top 15 tottime")
    args = ap.parse_args(argv)
    if args.chunks < 50 or args.repeat < 1:
        ap.error("--chunks must be >= 50 and --repeat >= 1")

    syn = build_stream(args.chunks)
    sizes = syn.event_sizes
    print(
        f"stream: {syn.chunks} JSON chunks + [DONE], {len(syn.body):,} bytes, event size "
        f"mean {statistics.fmean(sizes):.0f} B (min {min(sizes)}, max {max(sizes)}); "
        f"{len(syn.pieces('4k'))} pieces of 4 KiB; {args.repeat} repetitions"
    )
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")

    rows = [row for mode, _ in MODES for row in measure(syn, mode, args.repeat)]
    print_table(rows)

    imports: dict[str, Any] | None = None
    if not args.no_imports:
        try:
            imports = measure_imports(args.import_runs)
        except RuntimeError as exc:
            print(f"\nImport time: not measured ({exc})")
        else:
            print_imports(imports)

    if args.profile:
        print("\ncProfile of (c) genai_baseten.Client.gen_stream, 4 KiB pieces, 3 streams:")
        print(profile_client(syn, "4k"))

    if args.json:
        floor = {r.mode: r for r in rows if r.case == "a" and r.ok}
        ref = {r.mode: r for r in rows if r.case == "e" and r.ok}
        doc = {
            "machine": machine_info(),
            "params": {
                "chunks": syn.chunks,
                "bytes": len(syn.body),
                "mean_event_bytes": statistics.fmean(sizes),
                "repeat": args.repeat,
                "piece_size": PIECE_SIZE,
            },
            "results": [
                {
                    "case": r.case,
                    "label": r.label,
                    "mode": r.mode,
                    "note": r.note,
                    "us_per_chunk": (
                        {
                            "median": r.median,
                            "min": min(r.samples_us),
                            "max": max(r.samples_us),
                            "samples": r.samples_us,
                            "ratio_to_floor": r.median / floor[r.mode].median
                            if r.mode in floor
                            else None,
                            "ratio_to_openai": r.median / ref[r.mode].median
                            if r.mode in ref
                            else None,
                        }
                        if r.ok
                        else None
                    ),
                }
                for r in rows
            ],
            "imports": imports,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
