"""Optional OpenTelemetry tracing: one span per call, with the GenAI semantic conventions.

Off until :func:`instrument` is called, and then for every client of this library (the way
``opentelemetry-instrumentation-httpx`` instruments every httpx client)::

    from genai_core import tracing

    tracing.instrument()                      # the global tracer provider
    tracing.instrument(tracer_provider=tp)    # or your own
    tracing.uninstrument()

It needs ``opentelemetry-api`` (``pip install 'genai-baseten[otel]'``), which is imported only
by :func:`instrument`: a program that never calls it never loads OpenTelemetry, and a client's
only work per call is reading one module attribute. Message contents are recorded only with
``capture_content=True`` (or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``).
The attributes are listed in ``docs/tracing.md``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .errors import ValidationError

if TYPE_CHECKING:
    from ._otel import Instrumentation

__all__ = ["CAPTURE_CONTENT_ENV", "instrument", "is_instrumented", "uninstrument"]

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""The environment variable OpenTelemetry's GenAI instrumentations read to record contents."""

_active: Instrumentation | None = None


def active() -> Instrumentation | None:
    """The instrumentation in force, or None when tracing is off (what clients check per call)."""
    return _active


def instrument(tracer_provider: Any = None, *, capture_content: bool | None = None) -> None:
    """Trace every call of every client from now on (calling it again replaces the settings).

    ``tracer_provider``: an OpenTelemetry ``TracerProvider``; None uses the global one.
    ``capture_content``: record the messages sent and received (``gen_ai.input.messages``,
    ``gen_ai.output.messages``); None reads :data:`CAPTURE_CONTENT_ENV` (``true`` to enable).
    Raises ValidationError when opentelemetry-api is not installed.
    """
    global _active
    if capture_content is None:
        capture_content = os.environ.get(CAPTURE_CONTENT_ENV, "").strip().lower() in ("true", "1")
    elif not isinstance(capture_content, bool):
        raise ValidationError(
            f"capture_content must be True, False or None, got {type(capture_content).__name__}"
        )
    try:
        from ._otel import Instrumentation
    except ImportError as exc:
        raise ValidationError(
            "tracing needs opentelemetry-api: pip install 'genai-baseten[otel]'"
        ) from exc
    _active = Instrumentation(tracer_provider, capture_content=capture_content)


def uninstrument() -> None:
    """Stop tracing (spans already started still end)."""
    global _active
    _active = None


def is_instrumented() -> bool:
    return _active is not None
