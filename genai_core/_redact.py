"""Finding a secret in text whatever way the text encodes it: the one redaction rule.

An API key echoed by a server, or written by a serializer, is rarely in its plain form only. JSON
may escape any character as ``\\uXXXX`` (and ``/`` as ``\\/``), a URL percent-encodes it (``+`` for
a space, either hex case, or only some characters), an HTML page writes ``&#x2F;``, a Python repr
writes ``\\x2f``, and Basic auth hides it in base64. :func:`secret_pattern` builds, per secret, one
regular expression that accepts every character of the secret in each of these forms, mixed
freely from one character to the next, so a single scan finds every occurrence. Everything that
redacts (error messages and bodies, headers, log records, the cassette recorder's check) goes
through :func:`redact` / :func:`contains_secret` here.

Keys of any length are redacted. A key shorter than :data:`MIN_SECRET_LENGTH` cannot hide in
base64 (too few whole characters to look for), so only its character forms are searched; the
cassette recorder refuses such short values outright (see ``Recorder(secrets=...)``).
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "contains_secret", "redact", "secret_pattern"]

REDACTED = "<redacted>"

# Below this length a value is not searched for in base64 and not accepted by the recorder's
# secret check: a shorter string occurs by chance in ordinary text (and base64 of it has too few
# characters of its own).
MIN_SECRET_LENGTH = 8

# One or more backslashes: an escape may itself have been escaped (JSON inside a JSON string).
_BACKSLASHES = r"\\+"
# JSON's and Python's one-letter escapes.
_SHORT_ESCAPES = {
    "/": "/",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "\b": "b",
    "\f": "f",
    "\n": "n",
    "\r": "r",
    "\t": "t",
}


def _hex(value: int, width: int) -> str:
    """``value`` in hex as a pattern matching either letter case."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


def _char_forms(char: str) -> str:
    """A pattern matching one character of a secret in any of its encodings."""
    code = ord(char)
    forms = [re.escape(char)]
    if char in _SHORT_ESCAPES:
        forms.append(_BACKSLASHES + re.escape(_SHORT_ESCAPES[char]))
    if code <= 0xFFFF:
        forms.append(_BACKSLASHES + "u" + _hex(code, 4))
    else:  # JSON writes a character outside the BMP as a surrogate pair
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append(f"{_BACKSLASHES}u{_hex(high, 4)}{_BACKSLASHES}u{_hex(low, 4)}")
        forms.append(_BACKSLASHES + "U" + _hex(code, 8))
    if code < 0x100:
        forms.append(_BACKSLASHES + "x" + _hex(code, 2))
    # Percent-encoding of the UTF-8 bytes, possibly encoded more than once (%252F).
    forms.append("".join(f"%(?:25)*{_hex(b, 2)}" for b in char.encode("utf-8")))
    if char == " ":
        forms.append(r"\+")
    # HTML character references.
    forms.append(f"&#[xX]0*{_hex(code, 1)};")
    forms.append(f"&#0*{code};")
    return "(?:" + "|".join(forms) + ")"


def _text_pattern(text: str) -> str:
    return "".join(_char_forms(c) for c in text)


def _base64_fragments(secret: str) -> set[str]:
    """The base64 characters that depend on the secret alone, at each of the 3 byte alignments.

    Basic auth encodes ``user:key``: the key starts at any byte offset, and the characters that
    straddle it and its neighbours differ, but those fully inside it are fixed by the key.
    """
    raw = secret.encode("utf-8")
    found = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = -(-8 * offset // 6)  # first character whose 6 bits are all the secret's
        end = (8 * (offset + len(raw))) // 6
        fragment = encoded[start:end]
        found.add(fragment)
        found.add(fragment.replace("+", "-").replace("/", "_"))  # the URL-safe alphabet
    return found


def _alternatives(secret: str) -> list[str]:
    """The plain forms to look for: the secret, and its base64 fragments when long enough."""
    found = [secret]
    if len(secret) >= MIN_SECRET_LENGTH:
        found += [f for f in sorted(_base64_fragments(secret)) if f]
    return found


@functools.lru_cache(maxsize=64)
def secret_pattern(secret: str) -> re.Pattern[str]:
    """A regular expression matching ``secret`` in plain text or any encoding of it.

    Each character may appear as itself, a JSON/Python escape (``\\/``, ``\\u002f``, ``\\x2f``,
    any hex case, any number of backslashes), percent-encoded (``%2F``, ``%2f``, ``%252F``; ``+``
    for a space) or an HTML reference (``&#x2F;``, ``&#47;``), each character independently. A
    secret of :data:`MIN_SECRET_LENGTH` characters or more is also found inside base64 (Basic
    auth), in the standard and URL-safe alphabets.
    """
    return _build_pattern(secret)


def _build_pattern(secret: str) -> re.Pattern[str]:
    return re.compile("|".join(_text_pattern(a) for a in _alternatives(secret)))


@functools.lru_cache(maxsize=64)
def _first_chars(secret: str) -> re.Pattern[str]:
    return _build_first_chars(secret)


def _build_first_chars(secret: str) -> re.Pattern[str]:
    """The characters an occurrence can start with: the first character of each plain form, or
    the start of an escape (``\\``, ``%``, ``&``, ``+`` for a space).

    Python's regex engine tries every alternative of :func:`secret_pattern` at every position;
    jumping from one possible start to the next first is about ten times faster on the
    megabytes of a cassette.
    """
    starts = {a[0] for a in _alternatives(secret)} | {"\\", "%", "&"}
    if " " in starts:
        starts.add("+")
    return re.compile("[" + "".join(re.escape(c) for c in sorted(starts)) + "]")


_RUN = re.compile(r"\\+")


@dataclass(frozen=True)
class Compiled:
    """One secret's patterns, built once: for a holder that keeps them itself (the log filter),
    so the bounded caches here do not thrash between more secrets than they hold."""

    secret: str
    pattern: re.Pattern[str]
    first: re.Pattern[str]


def compiled(secret: str) -> Compiled:
    return Compiled(secret, _build_pattern(secret), _build_first_chars(secret))


def _spans(text: str, secret: str) -> Iterator[tuple[int, int]]:
    return _compiled_spans(text, secret, secret_pattern(secret), _first_chars(secret))


def _compiled_spans(
    text: str, secret: str, pattern: re.Pattern[str], first: re.Pattern[str]
) -> Iterator[tuple[int, int]]:
    # Every escape form starts with "one or more backslashes" and then a character that is not
    # one, so when no occurrence starts at the first backslash of a run, none starts inside it
    # either: the run is skipped whole. Retrying at each of its backslashes costs the length of
    # the run each time (quadratic on a body of backslashes). A secret holding a backslash
    # itself can start inside a run, so it keeps the one-step retry.
    skip_runs = "\\" not in secret
    pos = 0
    while (candidate := first.search(text, pos)) is not None:
        start = candidate.start()
        hit = pattern.match(text, start)
        if hit is not None:
            yield hit.span()
            pos = hit.end()
        elif skip_runs and text[start] == "\\":
            run = _RUN.match(text, start)
            pos = run.end() if run is not None else start + 1
        else:
            pos = start + 1


def _secrets(secrets: Iterable[str | None]) -> list[str]:
    # Longest first: a secret containing another is redacted whole.
    return sorted({s for s in secrets if s}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None], replacement: str = REDACTED) -> str:
    """``text`` with every occurrence of each secret, in any encoding, replaced.

    ``None`` and empty secrets are skipped; any other length is redacted.
    """
    for secret in _secrets(secrets):
        text = _replaced(text, _spans(text, secret), replacement)
    return text


def redact_compiled(text: str, secrets: Iterable[Compiled], replacement: str = REDACTED) -> str:
    """:func:`redact` with patterns built beforehand (by :func:`compiled`), longest secret
    first."""
    for c in sorted(secrets, key=lambda c: len(c.secret), reverse=True):
        text = _replaced(text, _compiled_spans(text, c.secret, c.pattern, c.first), replacement)
    return text


def _replaced(text: str, spans: Iterable[tuple[int, int]], replacement: str) -> str:
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += (text[last:start], replacement)
        last = end
    return "".join(parts) + text[last:] if parts else text


def contains_secret(text: str, secrets: Iterable[str | None]) -> str | None:
    """The first of ``secrets`` found in ``text`` in any encoding, or None."""
    for secret in _secrets(secrets):
        if next(_spans(text, secret), None) is not None:
            return secret
    return None
