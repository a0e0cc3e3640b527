"""Sans-IO splitting of ``<think>…</think>`` blocks out of the text channel.

Some models (or servers without a reasoning parser) write their reasoning inline in the text:
``<think>\\nreasoning\\n</think>\\n\\nanswer``. Others start inside the block because the chat
template already opened it: ``reasoning</think>answer``. :class:`ThinkSplitter` turns such text
into reasoning and text pieces, whatever the chunk boundaries (a tag may be cut anywhere).

Modes (:data:`ThinkTags`):

* ``"auto"``: split only when the text begins, after optional whitespace, with ``<think>``. Any
  other text is passed through untouched, byte for byte, and the splitter retires after the
  first few characters (:attr:`ThinkSplitter.active` turns False), so models that never inline
  tags pay nothing after that.
* ``"open"``: the text starts inside a think block (the opening tag was part of the prompt); a
  leading ``<think>`` is accepted too.
* ``"off"``: never split.

Whitespace at the transitions is not content: the whitespace before ``<think>``, right after
``<think>``, right before ``</think>`` and right after ``</think>`` is dropped. Only the first
block is split; a later ``<think>`` in the answer is left as text. A block that never closes is
all reasoning.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["REASONING", "TEXT", "ThinkSplitter", "ThinkTags", "split_think_text"]

ThinkTags = Literal["auto", "open", "off"]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"
TEXT = 0
REASONING = 1

# States.
_PROBE = 0  # auto mode, nothing but whitespace (and maybe part of "<think>") seen yet
_LEAD = 1  # inside the block, before its first non-blank character
_THINK = 2  # inside the block
_AFTER = 3  # just after the closing tag: drop whitespace
_PASS = 4  # plain text from here on


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper beginning of ``tag``.

    Both tags hold one ``<``, their first character, so such an end starts at the last ``<``
    of the last ``len(tag) - 1`` characters (one search instead of a loop of comparisons).
    """
    i = text.rfind("<", max(0, len(text) - len(tag) + 1))
    if i < 0:
        return 0
    return len(text) - i if tag.startswith(text[i:]) else 0


class ThinkSplitter:
    """Feed text pieces; get ``(kind, text)`` pieces with ``kind`` TEXT or REASONING.

    :meth:`feed` may hold back a few characters that could be the start of a tag (or
    whitespace before one); :meth:`flush` releases them at the end of the text.
    """

    __slots__ = ("_held", "_state")

    def __init__(self, mode: ThinkTags = "auto") -> None:
        if mode not in ("auto", "open", "off"):
            raise ValueError(f"think_tags is 'auto', 'open' or 'off', got {mode!r}")
        self._state = {"auto": _PROBE, "open": _LEAD, "off": _PASS}[mode]
        self._held = ""

    @property
    def active(self) -> bool:
        """False once everything left is plain text: the caller may stop feeding."""
        return self._state != _PASS

    @property
    def probing(self) -> bool:
        """True while (``auto`` mode) no text has decided whether a block opens."""
        return self._state == _PROBE

    @property
    def fresh(self) -> bool:
        """True before any text was fed (``auto`` mode)."""
        return self._state == _PROBE and not self._held

    def feed(self, piece: str) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        text = self._held + piece
        self._held = ""
        while text:
            state = self._state
            if state == _PASS:
                out.append((TEXT, text))
                break
            if state == _PROBE:
                body = text.lstrip()
                if not body:
                    self._held = text  # only whitespace so far
                    break
                if body.startswith(OPEN_TAG):
                    self._state = _LEAD
                    text = body[len(OPEN_TAG) :]
                    continue
                if OPEN_TAG.startswith(body):
                    self._held = text  # "  <thi": wait for more
                    break
                self._state = _PASS  # plain text: release it untouched
                continue
            if state == _LEAD:
                body = text.lstrip()
                if not body:
                    break
                if body.startswith(OPEN_TAG):  # "open" mode given an explicit opening tag
                    text = body[len(OPEN_TAG) :]
                    continue
                if OPEN_TAG.startswith(body):  # a tag cut short: wait for more
                    self._held = body
                    break
                self._state = _THINK
                text = body
                continue
            if state == _THINK:
                end = text.find(CLOSE_TAG)
                if end >= 0:
                    reasoning = text[:end].rstrip()
                    if reasoning:
                        out.append((REASONING, reasoning))
                    self._state = _AFTER
                    text = text[end + len(CLOSE_TAG) :]
                    continue
                keep = _partial_suffix(text, CLOSE_TAG)
                body = text[: len(text) - keep]
                stripped = body.rstrip()
                # Hold back trailing whitespace too: it is dropped if the closing tag follows.
                self._held = body[len(stripped) :] + text[len(body) :]
                if stripped:
                    out.append((REASONING, stripped))
                break
            # _AFTER
            body = text.lstrip()
            if body:
                self._state = _PASS
            text = body
        return out

    def flush(self) -> list[tuple[int, str]]:
        """The end of the text: release what was held back."""
        held, self._held = self._held, ""
        if not held:
            return []
        if self._state in (_PROBE, _PASS):
            return [(TEXT, held)]
        if self._state == _THINK:
            return [(REASONING, held)]
        return []


def split_think_text(text: str, mode: ThinkTags = "auto") -> tuple[str, str]:
    """``(reasoning, text)`` of a whole text (the non-streamed case)."""
    if mode == "off" or (mode == "auto" and not text.lstrip().startswith(OPEN_TAG)):
        return "", text
    splitter = ThinkSplitter(mode)
    parts = splitter.feed(text) + splitter.flush()
    reasoning = "".join(p for kind, p in parts if kind == REASONING)
    answer = "".join(p for kind, p in parts if kind == TEXT)
    return reasoning, answer
