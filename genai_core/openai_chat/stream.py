"""Sans-IO assembly of a streamed chat completion.

:class:`ChatStreamAssembler` takes the ``data`` of each SSE event and returns the fragments to
yield; :meth:`~ChatStreamAssembler.end` flushes what only the end of the stream completes, and
:meth:`~ChatStreamAssembler.result` builds the one typed Result. It never touches the network, so
the sync and async streams, the tests and the benchmarks all drive the same object.

Rules, each from a real server:

* Text comes from ``delta.content`` (a string, null, or a list of text parts); reasoning from
  ``delta.reasoning`` or ``delta.reasoning_content`` — the first non-empty, never both.
* ``role`` is ``"assistant"`` on the first chunk and null, absent or ``"assistant"`` again later:
  all mean "no change". Any other role is a protocol error.
* Tool-call fragments are merged **by ``index``**, never by id: some servers repeat the id on
  every fragment, some send a new id on every fragment of one call, and one sends two parallel
  calls with the same id and indexes 0 and 1. The first non-empty id and name win; ``arguments``
  pieces are concatenated. Calls are yielded complete, when the finish reason or the end of the
  stream arrives.
* ``usage`` is cumulative and sent on nearly every chunk, sometimes null or missing on one: keep
  the last snapshot whose ``total_tokens`` is non-zero; never sum, never reset.
* Chunks with ``"choices": []`` carry only usage.
* ``finish_reason`` is the last non-null one; its chunk may also carry the last content or tool
  argument piece, which is processed first. It may never come (reported as None).
* A chunk with an ``error`` key and no choices is an error event: it raises MalformedStreamError.
* The stream ends at ``[DONE]`` or at EOF; both are normal ends.
* ``<think>…</think>`` inline in the text goes to the reasoning channel (see :mod:`.think`); in
  the default ``auto`` mode only when the text begins with ``<think>`` and the reasoning channel
  was not used before it. Otherwise the text is kept byte for byte, and once the first text
  chunk has ruled it out the check costs one attribute test per chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from .. import _json
from .._json import HAVE_ORJSON, loads_chunk, loads_orjson, loads_std
from ..errors import MalformedStreamError
from ..types import RateLimit, Reply, Result, ToolCall, fragment_builder, trusted
from .error_body import error_from_json, excerpt
from .response import arguments_text, build_result, content_text
from .think import REASONING, TEXT, ThinkSplitter, ThinkTags

# The chunk decoders, public for the assembler's ``loads=`` argument: ``loads_std`` (json's C
# scanner), ``loads_orjson`` (needs the speedups extra: ``HAVE_ORJSON``) and ``loads_chunk``,
# the default (the best one installed).
__all__ = [
    "HAVE_ORJSON",
    "ChatStreamAssembler",
    "RawChunks",
    "loads_chunk",
    "loads_orjson",
    "loads_std",
]

# Block kinds; text and reasoning are the splitter's own, so its pieces are added as they come.
_TEXT = TEXT
_REASONING = REASONING
_CALLS = 2


# The hot path: one Reply per content chunk, built without validation.
_text_fragment = fragment_builder("text")
_reasoning_fragment = fragment_builder("reasoning")


# Memory: a token is a str with ~50 bytes of object overhead for ~5 characters, so a block keeps
# its pieces joined as it grows. At _COMPACT_AT pieces, the newest half becomes one string,
# which absorbs the strings before it that are not longer than itself: every merge at least
# doubles a string, so each character is copied O(log n) times and a block holds O(log n)
# strings instead of one per chunk. (Any older string longer than all that follows it stays.)
_COMPACT_AT = 64


def _compact(pieces: list[str]) -> None:
    half = _COMPACT_AT // 2
    tail = "".join(pieces[-half:])
    del pieces[-half:]
    while pieces and len(pieces[-1]) <= len(tail):
        tail = pieces.pop() + tail
    pieces.append(tail)


class _PendingCall:
    __slots__ = ("args", "id", "index", "name")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id = ""
        self.name = ""
        self.args: list[str] = []

    def to_reply(self) -> Reply:
        call = trusted(ToolCall, id=self.id, name=self.name, arguments="".join(self.args))
        return trusted(Reply, tool_call=call)


class RawChunks(Sequence[Any]):
    """The chunks of a stream as a read-only list of decoded JSON objects (``Result.raw``).

    The chunks' text is kept and each is decoded when first read: keeping decoded objects for
    a whole stream costs per chunk (dicts are several times the size of their text, and the
    garbage collector walks them), keeping the text almost nothing, and most callers read only a
    few chunks. :meth:`text` gives the JSON text of a chunk as received.
    """

    __slots__ = ("_decoded", "_loads", "_texts")

    def __init__(self, texts: Sequence[str], loads: Callable[[str], Any] | None = None) -> None:
        self._texts = list(texts)
        self._decoded: dict[int, Any] = {}
        self._loads = _json.loads_chunk if loads is None else loads

    def __len__(self) -> int:
        return len(self._texts)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._texts)))]
        i = range(len(self._texts))[index]  # IndexError, negative indexes, as a list does
        if i not in self._decoded:
            self._decoded[i] = self._loads(self._texts[i])
        return self._decoded[i]

    def text(self, index: int) -> str:
        """The JSON text of chunk ``index`` exactly as the server sent it."""
        return self._texts[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawChunks):
            return self._texts == other._texts
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RawChunks({len(self._texts)} chunks)"


class ChatStreamAssembler:
    """Feed the ``data`` of each SSE event; get fragments; build the Result once at the end."""

    def __init__(
        self,
        *,
        provider: str,
        request_id: str | None = None,
        limits: Sequence[RateLimit] = (),
        keep_raw: bool = False,
        think_tags: ThinkTags = "auto",
        loads: Callable[[str], Any] | None = None,
    ) -> None:
        self.provider = provider
        # The JSON decoder of each chunk's text (``loads`` returns the value or raises
        # ValueError): orjson's when installed, else json's C scanner (see genai_core._json).
        self._loads = _json.loads_chunk if loads is None else loads
        self.request_id = request_id
        self.think_tags = think_tags
        """How inline ``<think>`` tags are read (also for a JSON answer to a stream request)."""
        self.limits = limits
        """Rate limits from the response headers, reported in the Result's usage."""
        self.raw: list[str] | None = [] if keep_raw else None
        """The JSON text of every chunk, in order, when asked for (``keep_raw``); else None."""
        self.done = False
        """True once ``[DONE]`` was seen; later events are ignored."""
        # Replies so far, as (kind, items) blocks: consecutive text (or reasoning) pieces form
        # one block; a batch of complete tool calls is a block of Replies.
        self._blocks: list[tuple[int, list[Any]]] = []
        self._last_kind = -1
        self._last_pieces: list[str] = []
        self._calls: dict[int, _PendingCall] = {}
        self._usage: dict[str, Any] | None = None
        self._finish: Any = None
        self._logprobs: list[Any] = []
        self._id: Any = None
        self._model: Any = None
        self.chunks = 0
        # None once inline <think> tags are ruled out (the common case): the hot path then
        # skips the splitter entirely.
        self._think: ThinkSplitter | None = (
            None if think_tags == "off" else ThinkSplitter(think_tags)
        )

    # -- feeding ----------------------------------------------------------------------------

    def feed(self, data: str) -> list[Reply]:
        """Process one event's data; returns the fragments it completes (often one)."""
        out: list[Reply] = []
        self.feed_all((data,), out)
        return out

    def feed_all(self, texts: Iterable[str], out: list[Reply]) -> None:
        """Process the data of several events in order, appending their fragments to ``out``.

        On an error, ``out`` holds the fragments of the events before the bad one.
        """
        if self.done:
            return
        # The decoder, called here without a Python wrapper when it is one of ours: json's C
        # scanner, or orjson. A text the fast call does not take whole goes to self._loads,
        # which gives the value or json's error, as it does when called for every chunk.
        loads = self._loads
        scan = _json.scan_once if loads is loads_std else None
        orjson_loads = _json.orjson_loads if loads is loads_orjson else None
        raw = self.raw
        # The per-chunk rules, written out in this one loop: it runs once per token, and a
        # method call per step would be a visible share of it (see docs/performance.md).
        for data in texts:
            if data == "[DONE]":
                self.done = True
                out.extend(self._flush_calls())
                return
            try:
                if scan is not None:
                    try:
                        chunk, end = scan(data, 0)
                    except StopIteration:
                        end = -1
                    if end != len(data):
                        chunk = loads(data)
                elif orjson_loads is not None:
                    try:
                        chunk = orjson_loads(data)
                    except ValueError:
                        chunk = loads(data)
                else:
                    chunk = loads(data)
            except ValueError:
                raise self._error(f"malformed stream chunk (not JSON): {excerpt(data)!r}") from None
            if type(chunk) is not dict:
                raise self._error(f"malformed stream chunk (not an object): {excerpt(data)!r}")
            self.chunks += 1
            if raw is not None:
                raw.append(data)
            # (``key in d and d[key]`` where the key is usually absent, ``d.get(key)`` where it is
            # usually there: each the cheaper of the two for the common chunk.)
            if "error" in chunk and chunk["error"]:  # noqa: RUF019 (see above)
                # An error event; it may come with a finish_reason "error" and empty choices.
                found = error_from_json(chunk)
                raise self._error(found.message if found else f"error event: {excerpt(data)!r}")
            try:
                if self._id is None:
                    self._id = chunk.get("id")
                    self._model = chunk.get("model")
                usage = chunk.get("usage")
                if usage and usage.get("total_tokens"):
                    self._usage = usage
                choices = chunk.get("choices")
                if not choices:
                    continue
                if type(choices) is not list or len(choices) != 1:
                    n = len(choices) if type(choices) is list else type(choices).__name__
                    raise ValueError(f"expected a list of one choice, got {n}")
                choice = choices[0]
                delta = choice.get("delta")
                if delta:
                    role = delta.get("role")
                    if role is not None and role != "assistant":
                        raise ValueError(f"unexpected role {role!r}")
                    reasoning = ("reasoning" in delta and delta["reasoning"]) or delta.get(
                        "reasoning_content"
                    )
                    if reasoning:
                        if type(reasoning) is not str:
                            raise TypeError("reasoning is not a string")
                        if self._think is not None and self._think.probing:
                            # The server splits reasoning itself: text is text from here on.
                            out.extend(self._flush_think())
                            self._think = None
                        out.append(self._add(_REASONING, reasoning))
                    content = delta.get("content")
                    if content:
                        text = content if type(content) is str else content_text(content)
                        if text:
                            if self._think is None:
                                out.append(self._add(_TEXT, text))
                            else:
                                out.extend(self._split(text))
                    calls = delta.get("tool_calls")
                    if calls:
                        self._merge_calls(calls)
                if "logprobs" in choice:
                    logprobs = choice["logprobs"]
                    if logprobs:
                        entries = logprobs.get("content")
                        if entries:
                            self._logprobs.extend(entries)
                if "finish_reason" in choice:
                    finish = choice["finish_reason"]
                    if finish:
                        self._finish = finish
                        if self._calls:
                            out.extend(self._flush_calls())
            except (AttributeError, TypeError, ValueError) as exc:
                # Valid JSON in the wrong shape (a choice that is not an object, a number where
                # a string belongs...): a protocol error that quotes the chunk, never a crash.
                raise self._error(f"malformed stream chunk ({exc}): {excerpt(data)!r}") from None

    @property
    def finish_reason(self) -> Any:
        """The last finish reason the stream gave (raw), or None when it gave none yet."""
        return self._finish

    def cut_tool_call(self) -> bool:
        """A tool call still being assembled has arguments that are not whole JSON (an empty
        argument string counts as whole: some models call without arguments)."""
        for call in self._calls.values():
            text = "".join(call.args).strip()
            if not text:
                continue
            try:
                json.loads(text)
            except ValueError:
                return True
        return False

    def end(self) -> list[Reply]:
        """The stream ended (``[DONE]`` or EOF): the fragments only the end completes."""
        self.done = True
        return self._flush_think() + self._flush_calls()

    def _split(self, text: str) -> list[Reply]:
        think = self._think
        assert think is not None
        if think.fresh and text[0] != "<" and not text[0].isspace():
            # The common first chunk: it cannot begin a "<think>", so nothing will be split.
            self._think = None
            return [self._add(_TEXT, text)]
        out = [self._add(kind, piece) for kind, piece in think.feed(text)]
        if not think.active:
            self._think = None
        return out

    def _flush_think(self) -> list[Reply]:
        think = self._think
        if think is None:
            return []
        return [self._add(kind, piece) for kind, piece in think.flush()]

    def _add(self, kind: int, value: str) -> Reply:
        if kind == self._last_kind:
            pieces = self._last_pieces
            pieces.append(value)
            if len(pieces) >= _COMPACT_AT:
                _compact(pieces)
        else:
            self._last_kind = kind
            self._last_pieces = [value]
            self._blocks.append((kind, self._last_pieces))
        return _text_fragment(value) if kind == _TEXT else _reasoning_fragment(value)

    def _merge_calls(self, calls: Any) -> None:
        for frag in calls:
            if type(frag) is not dict:
                continue
            index = frag.get("index")
            if type(index) is not int:
                # No index (non-conforming server): a fragment with a new id starts a new call,
                # anything else continues the last one.
                last = max(self._calls) if self._calls else -1
                fid = frag.get("id")
                index = last + 1 if last < 0 or (fid and fid != self._calls[last].id) else last
            call = self._calls.get(index)
            if call is None:
                call = self._calls[index] = _PendingCall(index)
            fid = frag.get("id")
            if fid and not call.id:
                call.id = str(fid)
            fn = frag.get("function")
            if fn:
                name = fn.get("name")
                if name and not call.name:
                    call.name = str(name)
                args = fn.get("arguments")
                if args:
                    call.args.append(args if type(args) is str else arguments_text(args))

    def _flush_calls(self) -> list[Reply]:
        if not self._calls:
            return []
        out = [self._calls[i].to_reply() for i in sorted(self._calls)]
        self._calls.clear()
        self._last_kind = _CALLS  # text after a tool call starts a new block
        self._blocks.append((_CALLS, out))
        return out

    def _error(self, message: str) -> MalformedStreamError:
        return MalformedStreamError(
            message, status_code=200, provider=self.provider, request_id=self.request_id
        )

    # -- result -----------------------------------------------------------------------------

    def result(self) -> Result:
        """The Result of everything fed so far (a partial one if the stream broke)."""
        self._flush_think()
        replies: list[Reply] = []
        for kind, items in self._blocks:
            if kind == _TEXT:
                replies.append(trusted(Reply, text="".join(items)))
            elif kind == _REASONING:
                replies.append(trusted(Reply, reasoning="".join(items)))
            else:
                replies.extend(items)
        # Calls still pending (the stream broke mid-call) are kept, arguments possibly cut.
        replies.extend(self._calls[i].to_reply() for i in sorted(self._calls))
        return build_result(
            replies,
            usage_raw=self._usage,
            finish_raw=self._finish,
            logprobs_raw=self._logprobs,
            completion_id=self._id,
            model=self._model,
            request_id=self.request_id,
            limits=self.limits,
            raw=None if self.raw is None else RawChunks(self.raw, self._loads),
        )
