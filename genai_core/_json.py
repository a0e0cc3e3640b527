"""Decoding the JSON of streamed chunks: the hot path of every stream.

:func:`loads_std` is :func:`json.loads` without its Python wrapper: it calls json's C scanner
directly (``json.loads`` adds a Python ``decode()`` and two regex whitespace checks per call) and
hands anything the scanner does not take whole (surrounding space, bad JSON) to ``json.loads``
for the result or the error.

When `orjson <https://pypi.org/project/orjson/>`_ is installed (``pip install
'genai-baseten[speedups]'``), :func:`loads_chunk` is :func:`loads_orjson`, about twice as fast per
chunk. Whatever orjson refuses (NaN and Infinity, lone surrogates, bad JSON) goes to
:func:`loads_std`, so the errors are json's and so are the values, with one exception: orjson
reads an integer beyond 64 bits as a float, where json keeps it exact. No field of a chat chunk
holds one (counts, timestamps and indexes are far smaller; ids are strings).

:data:`loads_chunk` is the default of the stream assembler's ``loads=`` argument, read when an
assembler is made. What each decoder costs per chunk is in docs/performance.md (rows (a), (a=)
and (a+) of ``python -m benchmarks``).
"""

from __future__ import annotations

import importlib
import json
import json.scanner
from collections.abc import Callable
from typing import Any

__all__ = ["HAVE_ORJSON", "loads_chunk", "loads_orjson", "loads_std"]

_loads = json.loads
# json's C scanner: ``scan_once(text, 0)`` is ``(value, end)``, StopIteration when nothing parses.
# The stream assembler calls it (and orjson's loads) directly per chunk, as loads_std does here.
# (typeshed declares make_scanner's argument as the scanner type itself, hence the ignore.)
scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)


def loads_std(data: str) -> Any:
    """``json.loads(data)``, faster; raises ValueError (json's) for bad JSON."""
    try:
        obj, end = scan_once(data, 0)
    except StopIteration:
        end = -1
    if end != len(data):
        obj = _loads(data)
    return obj


orjson_loads: Callable[[str], Any] | None
try:
    orjson_loads = importlib.import_module("orjson").loads
except ImportError:  # the optional speed-up is not installed
    orjson_loads = None

HAVE_ORJSON = orjson_loads is not None


def loads_orjson(data: str) -> Any:
    """orjson's decoding, with json's for whatever orjson refuses. Needs orjson."""
    assert orjson_loads is not None
    try:
        return orjson_loads(data)
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        return loads_std(data)


#: The decoder the stream assembler uses.
loads_chunk: Callable[[str], Any] = loads_orjson if HAVE_ORJSON else loads_std
