"""A sans-IO, incremental decoder for Server-Sent Events (the WHATWG ``text/event-stream`` format).

Feed it bytes as they arrive, in chunks of any size, and it returns the events completed so far::

    decoder = SSEDecoder()
    for chunk in response.iter_bytes():
        for event in decoder.feed(chunk):
            ...
    for event in decoder.close():  # EOF: the last event, if no blank line came after it
        ...

What it does, following https://html.spec.whatwg.org/multipage/server-sent-events.html:

* Lines end with LF, CRLF or a lone CR, split anywhere across chunks (a CR at the end of one chunk
  and an LF at the start of the next are one line end). A UTF-8 BOM at the start is skipped.
* ``field: value`` lines; one space after the colon is removed; a line without a colon is a field
  name with an empty value; a line starting with ``:`` is a comment. ``data`` lines are joined
  with ``"\\n"``; ``event``, ``id`` (ignored if it holds a NUL) and ``retry`` (only ASCII digits)
  are kept; any other field is ignored.
* A blank line ends the event; it is returned only if it had at least one ``data`` line. All fields,
  ``id`` included, are per event: this decoder does not carry the spec's "last event ID" over to
  later events.
* Text is decoded as UTF-8 per complete line or event, never per chunk, so a character split across
  chunks is decoded correctly. Invalid UTF-8 in a value that is kept raises :class:`SSEDecodeError`.
* :meth:`SSEDecoder.close` treats an unterminated last line as complete and returns the pending
  event if it has data, so a stream cut off without its final blank line loses nothing.
* ``data: [DONE]`` and the like are ordinary events: interpreting them is the caller's job.

Size limit: an event's size is the sum of ``len(line) + 1`` over its lines (comments included, line
terminators and the final blank line not counted). An event bigger than ``max_event_size`` raises
:class:`SSEDecodeError`, as soon as the part of it received so far is over the limit, so a peer
that never ends its event cannot grow the buffer without bound. Whether it raises does not depend
on how the stream is cut into chunks. After an :class:`SSEDecodeError` the decoder must not be used.

Performance (this is on the per-chunk hot path of LLM streaming): the buffer only ever holds the
unterminated last line, and a chunk without a line end is appended without rescanning what came
before, so feeding one byte at a time is linear. A read made only of plain events (each one
``data:`` line and a blank line, no CR), maybe followed by the start of the next line, is checked,
decoded and split by a few calls over the whole read (:meth:`SSEDecoder.feed_plain`); otherwise
line ends are found with ``bytes.find(b"\\n")`` (memchr), CRLF and CR being first turned into LF;
an event that is a single ``data:`` line followed by a blank line is decoded straight from the
chunk, and any other line goes through the line machine. What this costs per event is measured
by ``python -m benchmarks`` and reported in docs/performance.md.
"""

from __future__ import annotations

import contextlib
import re
from typing import NoReturn

__all__ = ["SSEDecodeError", "SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
_LF = 10
_CR = 13
_LONE_CR = re.compile(rb"\r(?!\n)")
_LINE_END = re.compile(rb"\r\n?")


class SSEDecodeError(ValueError):
    """The byte stream is not a valid event stream: an event is too big, or not UTF-8."""


class ServerSentEvent:
    """One event: ``data`` is its ``data`` lines joined with ``"\\n"``.

    ``event`` is ``""`` when the event had no ``event`` field (a ``"message"`` event); ``id`` and
    ``retry`` are ``None`` when absent.
    """

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self, data: str, event: str = "", id: str | None = None, retry: int | None = None
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}"]
        if self.event:
            parts.append(f"event={self.event!r}")
        if self.id is not None:
            parts.append(f"id={self.id!r}")
        if self.retry is not None:
            parts.append(f"retry={self.retry!r}")
        return f"ServerSentEvent({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (
            self.data == other.data
            and self.event == other.event
            and self.id == other.id
            and self.retry == other.retry
        )

    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable


def _decode_error(raw: bytes | bytearray, exc: UnicodeDecodeError) -> SSEDecodeError:
    bad = bytes(raw[exc.start : exc.start + 8])
    return SSEDecodeError(
        f"invalid UTF-8 in a server-sent event value at byte {exc.start} ({exc.reason}): {bad!r}"
    )


def _decode(raw: bytes | bytearray) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _decode_error(raw, exc) from None


def _normalize_line_ends(text: bytes | bytearray) -> bytes | bytearray:
    """``text`` with each CRLF and each lone CR replaced by one LF."""
    # bytes.replace(b"\r\n", b"\n") is slow (CPython searches 2-byte needles ~1 ns/byte); when
    # every CR is part of a CRLF (the usual case), dropping the CRs is the same and much faster.
    if _LONE_CR.search(text) is None:
        return text.replace(b"\r", b"")
    return _LINE_END.sub(b"\n", text)


class SSEDecoder:
    """Incremental Server-Sent-Events decoder: :meth:`feed` bytes, then :meth:`close` at EOF."""

    __slots__ = (
        "_at_start",
        "_block",
        "_buf",
        "_data",
        "_event",
        "_id",
        "_max",
        "_pending_cr",
        "_retry",
    )

    def __init__(self, max_event_size: int = 16 * 1024 * 1024) -> None:
        self._max = max_event_size
        self._data: list[bytes | bytearray] = []
        self._id: str | None = None
        self._retry: int | None = None
        self._reset()

    def _reset(self) -> None:
        # The unterminated last line; it never holds a CR or LF.
        self._buf = bytearray()
        # Nothing seen yet (a BOM may still come); the buffer holds at most a prefix of the BOM.
        self._at_start = True
        # The last line ended with a CR at the end of a chunk: an LF starting the next is its end.
        self._pending_cr = False
        # Size of the current event's complete lines (see the module docstring); 0 at a boundary.
        self._block = 0
        self._data = []
        self._event = ""
        self._id = None
        self._retry = None

    def feed_plain(self, data: bytes) -> list[str] | None:
        """The data of every event ``data`` completes, if all are plain events; else None.

        Plain events are ``data: ...`` lines each followed by a blank line, starting at an event
        boundary, with no CR anywhere; what follows the last of them may only be the start of a
        line (no line end). Then ``feed_plain(data)`` consumes ``data`` and returns what
        :meth:`feed` would have returned, as the events' ``data`` strings instead of event
        objects. Otherwise it consumes nothing and returns None (also when ``data`` completes
        no event), and the caller hands ``data`` to :meth:`feed`. This is the shape of nearly
        every read of an LLM stream; it is checked and split by a few calls over the whole read.
        """
        if self._block or self._at_start or self._pending_cr:
            return None
        # (Slices compared and "in" on str: bytes.find() and .startswith() cost more per call.)
        buf = self._buf
        text: bytes | bytearray = data
        rest: bytes | bytearray = b""
        if not buf and data[-2:] == b"\n\n" and data[:6] == b"data: ":
            # Ends at an event boundary: one event, or several (then split below).
            end = len(data) - 2
        else:
            # The buffer holds no LF, so the last blank line is in ``data``; a read without one
            # is refused before the buffer is copied (a long line fed in small reads stays
            # linear). What follows it is the start of a line: no LF, no CR (a CR ends a line).
            end = data.rfind(b"\n\n")
            if end < 0:
                return None
            if buf:
                text = buf + data
                end += len(buf)
            rest = text[end + 2 :]
            if text[:6] != b"data: " or (
                rest and (rest.find(b"\n") >= 0 or rest.find(b"\r") >= 0 or len(rest) > self._max)
            ):
                return None
        if end >= self._max:  # (each line's size, len(line) + 1, is at most the limit)
            return None
        try:
            value = text[6:end].decode("utf-8")
        except UnicodeDecodeError:
            return None  # the line machine reports it, at its place in its own event
        if "\r" in value:
            return None
        if "\n" in value:
            # Several events: each must be one "data: " line.
            texts = value.split("\n\ndata: ")
            for t in texts:
                if "\n" in t:
                    return None
        else:
            texts = [value]
        if rest:
            self._buf = bytearray(rest)
        elif buf:
            self._buf = bytearray()
        return texts

    def feed_single(self, data: bytes) -> str | None:
        """The data of ``data`` if it is exactly one plain event, else None.

        A plain event is one ``data: ...`` line and the blank line that ends it (what a server
        flushing each token sends), starting at an event boundary with nothing buffered. Then
        ``feed_single(data)`` consumes it and returns what ``feed(data)`` would have returned as
        ``[ServerSentEvent(text)]``, minus the event object; otherwise it returns None and
        consumes nothing, and the caller hands ``data`` to :meth:`feed`.
        """
        if self._buf or data.find(b"\n") != len(data) - 2 or not data.endswith(b"\n\n"):
            return None
        texts = self.feed_plain(data)
        return None if texts is None else texts[0]

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Add ``data`` to the stream; return every event completed by it, in order."""
        plain = self.feed_plain(data)
        if plain is not None:
            return [ServerSentEvent(text) for text in plain]
        if self._at_start:
            if not data:
                return []
            head = bytes(self._buf) + data
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._buf = bytearray(head)
                return []
            self._at_start = False
            self._buf = bytearray()
            data = head[len(_BOM) :] if head.startswith(_BOM) else head
        if self._pending_cr and data:
            self._pending_cr = False
            if data[0] == _LF:
                data = data[1:]
        # (.find() is faster than "in" for bytes on CPython 3.11.)
        has_cr = data.find(b"\r") >= 0
        lf = -1 if has_cr else data.find(b"\n")
        if lf < 0 and not has_cr:
            # No line end: the buffered partial line grows; nothing before it is rescanned.
            buf = self._buf
            buf += data
            if self._block + len(buf) > self._max:
                self._too_big(self._block + len(buf))
            return []

        # The buffered partial line holds no CR or LF, so line ends are only found in data.
        text: bytes | bytearray = self._buf + data if self._buf else data
        if has_cr:
            # Every line end becomes one LF. A CR ending the text ends its line, and an LF
            # starting the next chunk must then be skipped.
            if text[-1] == _CR:
                self._pending_cr = True
                text = _normalize_line_ends(text[:-1]) + b"\n"
            else:
                text = _normalize_line_ends(text)
            lf = text.find(b"\n")
        elif self._buf:
            lf += len(self._buf)

        # Fast path: an event that is one "data: " line, at an event boundary (the usual LLM
        # stream); any other line goes through the line machine. Lines are found with
        # bytes.find(b"\n") (memchr); text.split(b"\n\n") would be several times slower.
        events: list[ServerSentEvent] = []
        rest: bytes | bytearray
        n = len(text)
        limit = self._max
        clean = self._block == 0
        pos = 0
        i = lf
        while True:
            if (
                clean
                and i + 1 < n
                and text[i + 1] == 10  # LF
                and text.startswith(b"data: ", pos)
                and i - pos < limit
            ):
                raw = text[pos + 6 : i]
                try:
                    events.append(ServerSentEvent(raw.decode("utf-8")))
                except UnicodeDecodeError as exc:
                    raise _decode_error(raw, exc) from None
                pos = i + 2
            else:
                self._process_line(text[pos:i], events)
                clean = i == pos
                pos = i + 1
            if pos == n:
                rest = b""
                break
            i = text.find(b"\n", pos)
            if i < 0:
                rest = text[pos:]
                break
        if rest:
            self._buf = bytearray(rest)
            if self._block + len(rest) > self._max:
                self._too_big(self._block + len(rest))
        elif self._buf:
            self._buf = bytearray()
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of stream: return the pending event, if it has data, and reset the decoder.

        An unterminated last line counts as complete.
        """
        events: list[ServerSentEvent] = []
        if self._buf:
            self._process_line(bytes(self._buf), events)
        if self._data:
            self._process_line(b"", events)
        self._reset()
        return events

    def _process_line(self, line: bytes | bytearray, events: list[ServerSentEvent]) -> None:
        if not line:
            if self._data:
                data = self._data
                raw = data[0] if len(data) == 1 else b"\n".join(data)
                events.append(ServerSentEvent(_decode(raw), self._event, self._id, self._retry))
                self._data = []
            self._event = ""
            self._id = None
            self._retry = None
            self._block = 0
            return
        block = self._block + len(line) + 1
        if block > self._max:
            self._too_big(block)
        self._block = block
        # A comment (":" first) has an empty name, which matches no field below.
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = _decode(value)
        elif name == b"id":
            if b"\0" not in value:
                self._id = _decode(value)
        elif name == b"retry" and value.isdigit():
            # More digits than int() accepts (sys.get_int_max_str_digits()): not a usable delay.
            with contextlib.suppress(ValueError):
                self._retry = int(value)

    def _too_big(self, size: int) -> NoReturn:
        self._buf = bytearray()
        self._data = []
        raise SSEDecodeError(
            f"server-sent event exceeds max_event_size={self._max} bytes ({size} bytes so far)"
        )
