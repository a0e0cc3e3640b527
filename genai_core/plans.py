"""Plans: the sans-IO shape shared by every sync/async pair of the library.

A *plan* is a generator that describes one operation (send a request with retries, run a chat
call) as the steps it needs done: it yields a step, gets the step's outcome back (a value sent
in, or the step's exception thrown in at the ``yield``), and finally returns its result. It
decides everything and does no I/O itself, so the logic is written once. :func:`drive` and
:func:`adrive` are the only sync/async twins: they do each step with a function the caller
gives (``act``, blocking or awaited) and hand the outcome back.

A plan works per call, never per streamed chunk: the hot path of a stream does not go through
one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["Plan", "adrive", "drive"]

T = TypeVar("T")

#: An operation as a generator: yields steps, receives their outcomes, returns the result.
Plan = Generator[Any, Any, T]

_DONE: Any = object()


class _Stepper:
    """Moves a plan along. Used as a context manager around one step: an exception the step
    raises (any, cancellation included) is kept and thrown into the plan at its ``yield``,
    where the plan may handle it (a retry) or let it go (out of :meth:`next`)."""

    __slots__ = ("_error", "_plan", "result", "value")

    def __init__(self, plan: Plan[Any]) -> None:
        self._plan = plan
        self.value: Any = None
        self._error: BaseException | None = None
        self.result: Any = None

    def next(self) -> Any:
        """The next step, or ``_DONE`` once the plan has returned (then ``result`` is set)."""
        value, error = self.value, self._error
        self.value = self._error = None
        try:
            return self._plan.send(value) if error is None else self._plan.throw(error)
        except StopIteration as stop:
            self.result = stop.value
            return _DONE

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._error = exc
        return exc is not None  # kept for the plan, which raises it again if it does not handle it


def drive(plan: Plan[T], act: Callable[[Any], Any]) -> T:
    """Run ``plan``, doing each step with ``act(step)`` (blocking).

    The same moves as :class:`_Stepper` written out: the blocking driver runs on every call,
    and a step that succeeds then costs no method call of the driver's own."""
    send, throw = plan.send, plan.throw
    try:
        step = send(None)
        while True:
            try:
                value = act(step)
            except BaseException as exc:  # thrown in at the plan's yield (outside this handler)
                error = exc
            else:
                step = send(value)
                continue
            step = throw(error)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def adrive(plan: Plan[T], act: Callable[[Any], Awaitable[Any]]) -> T:
    """Run ``plan``, doing each step with ``await act(step)``."""
    run = _Stepper(plan)
    while (step := run.next()) is not _DONE:
        with run:
            run.value = await act(step)
    return run.result  # type: ignore[no-any-return]
