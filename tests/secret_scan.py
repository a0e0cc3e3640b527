"""A secrets oracle for tests: is a key anywhere in this object, in any encoding?

Written independently of :mod:`genai_core._redact` (which builds one regular expression per key):
here the text is *decoded* every way a key could have been encoded (JSON and Python escapes,
percent-encoding, ``+`` for space, HTML references, base64 tokens), repeatedly, and the plain key
is looked for in each decoding. Any test can call it::

    from secret_scan import assert_no_secret, encodings_of

    assert_no_secret(err, KEY)             # str, repr, args, attributes, __cause__ chain, partial
    assert_no_secret(caplog.records, KEY)  # log records: message and arguments
    assert_no_secret(path.read_text(), KEY)

    with no_leak(KEY) as seen:             # DEBUG logs of genai/httpx/httpcore, and objects
        seen.append(some_error_or_result)

:func:`encodings_of` lists concrete encodings of a key, for servers in tests to echo.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

__all__ = [
    "LogWatch",
    "assert_no_secret",
    "assert_none_of",
    "encodings_of",
    "find_secret",
    "no_leak",
    "texts_of",
]


def encodings_of(key: str) -> list[str]:
    """The key as it may appear: raw, JSON-escaped (several styles), URL-encoded, HTML, base64."""
    every_u_lower = "".join(f"\\u{ord(c):04x}" for c in key)
    every_u_upper = "".join(f"\\u{ord(c):04X}" for c in key)
    alternate = "".join(f"\\u{ord(c):04x}" if i % 2 else c for i, c in enumerate(key))
    forms = [
        key,
        json.dumps(key)[1:-1],
        json.dumps(key)[1:-1].replace("/", "\\/"),
        every_u_lower,
        every_u_upper,
        alternate,
        json.dumps(json.dumps(key))[1:-1],  # a JSON string inside a JSON string
        quote(key, safe=""),
        "".join(f"%{b:02x}" for b in key.encode()),
        quote_plus(key),
        "".join(c if i % 3 else quote(c, safe="") for i, c in enumerate(key)),  # partly encoded
        html.escape(key),
        "".join(f"&#x{ord(c):x};" for c in key),
        base64.b64encode(f"user:{key}".encode()).decode(),
        base64.b64encode(f"u:{key}".encode()).decode(),
        base64.b64encode(f":{key}".encode()).decode(),
        base64.urlsafe_b64encode(key.encode()).decode(),
    ]
    return list(dict.fromkeys(forms))


_U_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")
_X_ESCAPE = re.compile(r"\\+x([0-9a-fA-F]{2})")
_SHORT_ESCAPE = re.compile(r"\\+([/\"'\\bfnrt])")
_SHORT = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _unescape(text: str) -> str:
    def u(m: re.Match[str]) -> str:
        return chr(int(m.group(1), 16))

    text = _U_ESCAPE.sub(u, text)
    text = _X_ESCAPE.sub(u, text)
    text = _SHORT_ESCAPE.sub(lambda m: _SHORT.get(m.group(1), m.group(1)), text)
    # Surrogate pairs written as two escapes become one character.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _base64_decodings(text: str) -> list[str]:
    out = []
    for token in _B64_TOKEN.findall(text):
        for alt in (token, token.replace("-", "+").replace("_", "/")):
            for skip in range(4):  # the token may start mid-group inside a longer word
                chunk = alt[skip:]
                chunk = chunk.rstrip("=")
                chunk += "=" * (-len(chunk) % 4)
                try:
                    out.append(base64.b64decode(chunk, validate=True).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    continue
    return out


def decodings(text: str) -> list[str]:
    """``text`` decoded every way a key could have been encoded, and combinations (two rounds)."""
    seen = {text}
    frontier = [text]
    for _ in range(3):
        nxt = []
        for t in frontier:
            for d in (_unescape(t), unquote(t), unquote_plus(t), html.unescape(t)):
                if d not in seen:
                    seen.add(d)
                    nxt.append(d)
        frontier = nxt
    from_base64 = [d for t in seen for d in _base64_decodings(t)]
    return [*seen, *from_base64]


def texts_of(obj: Any, _seen: set[int] | None = None) -> list[str]:
    """Every text an object shows: str, repr, args and attributes of exceptions (with their
    ``__cause__`` / ``__context__`` chain and ``partial_result``), log records, files, mappings."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen or obj is None:
        return []
    seen.add(id(obj))
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, (bytes, bytearray)):
        return [bytes(obj).decode("utf-8", "replace"), repr(obj)]
    if isinstance(obj, Path):
        return [obj.read_text(encoding="utf-8", errors="replace")] if obj.is_file() else []
    if isinstance(obj, logging.LogRecord):
        out = [obj.getMessage(), str(obj.msg), repr(obj.args)]
        if obj.exc_info and obj.exc_info[1] is not None:
            out += texts_of(obj.exc_info[1], seen)
        return out
    out = [str(obj), repr(obj)]
    if isinstance(obj, BaseException):
        for arg in obj.args:
            out += texts_of(arg, seen)
        for name, value in vars(obj).items():
            if not name.startswith("__"):
                out += texts_of(value, seen)
        out += texts_of(getattr(obj, "partial_result", None), seen)
        out += texts_of(obj.__cause__, seen)
        if not obj.__suppress_context__:  # as Python shows it: `raise ... from None` hides it
            out += texts_of(obj.__context__, seen)
        for note in getattr(obj, "__notes__", []):
            out.append(str(note))
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            out += texts_of(k, seen) + texts_of(v, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            out += texts_of(item, seen)
    return out


def find_secret(obj: Any, key: str) -> str | None:
    """The first text of ``obj`` holding ``key`` in some encoding (an excerpt), or None."""
    for text in texts_of(obj):
        for decoded in decodings(text):
            at = decoded.find(key)
            if at >= 0:
                return decoded[max(0, at - 60) : at + len(key) + 60]
    return None


def assert_no_secret(obj: Any, key: str, where: str = "") -> None:
    """Fail when ``key`` shows in ``obj`` (see :func:`texts_of`) in any encoding."""
    found = find_secret(obj, key)
    assert found is None, f"the key leaked{' in ' + where if where else ''}: ...{found!r}..."


class LogWatch(logging.Handler):
    """Keeps every record of the library's and the HTTP stack's loggers, at DEBUG."""

    LOGGERS = ("genai", "httpx", "httpcore")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._levels: list[tuple[logging.Logger, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> LogWatch:
        for name in self.LOGGERS:
            log = logging.getLogger(name)
            self._levels.append((log, log.level))
            log.setLevel(logging.DEBUG)
            log.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for log, level in self._levels:
            log.removeHandler(self)
            log.setLevel(level)


@contextlib.contextmanager
def no_leak(key: str, where: str = "") -> Iterator[list[Any]]:
    """Run a block with DEBUG logging on; on exit, check its log records and every object the
    block appended to the yielded list (errors, results, file paths) for ``key``::

        with no_leak(KEY) as seen:
            try:
                client.gen_sync(msgs)
            except genai.GenAIError as err:
                seen.append(err)
    """
    seen: list[Any] = []
    with LogWatch() as watch:
        yield seen
    assert_no_secret(watch.records, key, f"{where} log records".strip())
    assert_none_of(seen, key, where)


def assert_none_of(objs: Iterable[Any], key: str, where: str = "") -> None:
    for i, obj in enumerate(objs):
        assert_no_secret(obj, key, f"{where}[{i}]")
