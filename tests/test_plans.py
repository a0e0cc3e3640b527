"""genai_core.plans: one plan, two drivers, the same outcome.

A plan yields steps and gets their outcomes back; a step's exception is thrown into the plan at
its ``yield``, where the plan may handle it or let it go. Each case runs the same plan under
``drive`` (blocking ``act``) and ``adrive`` (awaited ``act``) and expects the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from genai_core.plans import Plan, adrive, drive


class Flaky(Exception):
    pass


def doubling(values: list[int], log: list[str]) -> Plan[int]:
    """Ask for each value doubled; a Flaky step counts as 0; returns the sum."""
    total = 0
    for v in values:
        try:
            got = yield v
        except Flaky:
            log.append(f"flaky {v}")
            got = 0
        total += got
    return total


def act(step: int) -> int:
    if step < 0:
        raise Flaky(step)
    if step == 99:
        raise KeyError(step)  # a failure the plan does not handle
    return step * 2


async def aact(step: int) -> int:
    return act(step)


def outcome(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except Exception as exc:
        return exc


def run_both(make: Callable[[], Plan[Any]]) -> list[Any]:
    import anyio

    return [
        outcome(lambda: drive(make(), act)),
        outcome(lambda: anyio.run(adrive, make(), aact)),
    ]


def test_values_go_back_into_the_plan_and_its_return_is_the_result() -> None:
    assert run_both(lambda: doubling([1, 2, 3], [])) == [12, 12]


def test_a_step_error_is_thrown_in_where_the_plan_asked() -> None:
    logs: list[list[str]] = []

    def make() -> Plan[int]:
        logs.append([])
        return doubling([5, -1, 4], logs[-1])

    # 10 + 0 (the plan turned the failure into 0) + 8
    assert run_both(make) == [18, 18]
    assert logs == [["flaky -1"], ["flaky -1"]]


def test_an_error_the_plan_does_not_handle_leaves_the_driver_as_it_is() -> None:
    sync, asynchronous = run_both(lambda: doubling([1, 99, 2], []))
    for err in (sync, asynchronous):
        assert isinstance(err, KeyError)
        assert err.args == (99,)


def test_a_plan_that_asks_nothing_returns_at_once() -> None:
    def empty() -> Plan[str]:
        return "done"
        yield  # a generator all the same

    assert run_both(empty) == ["done", "done"]


def test_a_plan_error_raised_before_any_step() -> None:
    def refuses() -> Plan[None]:
        raise ValueError("bad input")
        yield

    outcomes = run_both(refuses)
    assert [type(e) for e in outcomes] == [ValueError, ValueError]


def test_cleanup_in_the_plan_runs_when_a_step_fails() -> None:
    closed: list[bool] = []

    def guarded() -> Plan[int]:
        try:
            got: int = yield 99
            return got
        finally:
            closed.append(True)

    outcomes = run_both(guarded)
    assert [type(e) for e in outcomes] == [KeyError, KeyError]
    assert closed == [True, True]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_even_a_base_exception_reaches_the_plan_first(interrupt: type[BaseException]) -> None:
    seen: list[str] = []

    def watching() -> Plan[None]:
        try:
            yield 1
        except BaseException as exc:
            seen.append(type(exc).__name__)
            raise

    def stop(step: int) -> int:
        raise interrupt

    with pytest.raises(interrupt):
        drive(watching(), stop)
    assert seen == [interrupt.__name__]
