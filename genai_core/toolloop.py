"""Run the tool calls of an answer locally, and continue the conversation until the model is done.

Two levels, each with a sync and an async twin:

* :func:`run_tool_calls` / :func:`arun_tool_calls`: run every tool call of one
  :class:`~genai_core.types.Result` and return the tool-results :class:`Message` to append after
  it. The async twin runs the calls of one answer concurrently (an anyio task group; sync
  callbacks go to worker threads); results keep the order of the calls either way.
* :func:`run_tool_loop` / :func:`arun_tool_loop`: ask, run the calls, send the results back, and
  repeat until an answer has no tool call, at most ``max_turns`` requests. Returns a
  :class:`ToolLoopResult` with the final answer and the whole conversation.

The conversation is continued with each answer appended as it came: its tool calls go back with
the same ids and the arguments text unchanged, and its reasoning is not sent (the wire layer
drops it).

When a tool fails (``on_error``):

* ``"send"`` (default): the error goes back to the model as the tool's result (``Error: ...``),
  so it can correct its arguments or work around the failure. This covers arguments that do not
  fit the tool's schema and exceptions raised by the tool's code.
* ``"raise"``: :class:`~genai_core.errors.ToolArgumentsError` or
  :class:`~genai_core.errors.ToolExecutionError` is raised.

Any error a loop raises (a tool's, an API error, :class:`~genai_core.errors.MaxTurnsError`)
carries the conversation so far in ``err.messages``, so nothing that arrived is lost. Passing it
back to a loop resumes: a conversation that ends with an answer whose tool calls have no results
yet has those calls run first (all of them, again), then the loop asks the model.

A call to a tool that was not offered always raises :class:`~genai_core.errors.UnknownToolError`
(it is a setup problem far more often than a model slip). A forced tool choice
(``tool_call_request="required"`` or a tool name) applies to the first request only; later
turns use ``"auto"``, otherwise the model could never give its final answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._validate import check_messages
from .errors import (
    GenAIError,
    MaxTurnsError,
    ToolArgumentsError,
    ToolError,
    ToolExecutionError,
    UnknownToolError,
    ValidationError,
)
from .options import TextOptions
from .plans import Plan, adrive, drive
from .provider import AsyncProvider, Provider
from .tools import ToolDef
from .types import Message, Messages, Reply, Result, ToolCall, ToolCallResult, Usage

__all__ = [
    "OnToolError",
    "ToolLoopResult",
    "arun_tool_calls",
    "arun_tool_loop",
    "run_tool_calls",
    "run_tool_loop",
]

#: What to do when a tool fails: send the error to the model, or raise it.
OnToolError = Literal["send", "raise"]

#: Default bound on the number of requests of a tool loop.
DEFAULT_MAX_TURNS = 10

Tools = Sequence[ToolDef | Callable[..., Any] | type] | TextOptions


@dataclass(frozen=True)
class ToolLoopResult:
    """The outcome of a tool loop."""

    result: Result
    """The final answer: the first one without tool calls."""
    messages: list[Message]
    """The whole conversation: the input, then each answer and tool-results message, then
    ``result``. Pass it (plus a new user message) to the next call to go on."""
    turns: int
    """How many requests were made."""
    usage: Usage = field(default_factory=Usage)
    """Token counts summed over every request (finish reason of the last)."""

    @property
    def text(self) -> str:
        """The final answer's text."""
        return self.result.text


# --- sans-IO decisions shared by the twins ----------------------------------------------------


@dataclass
class _Job:
    """One call of an answer: the tool that runs it and its decoded input, or why it cannot."""

    call: ToolCall
    tool: ToolDef
    value: Any = None
    error: ToolError | None = None


def _tool_index(tools: Tools) -> dict[str, ToolDef]:
    if isinstance(tools, TextOptions):
        defs = list(tools.tools)
    elif isinstance(tools, (list, tuple)):
        defs = [ToolDef.coerce(t) for t in tools]
    else:
        raise ValidationError(
            "tools are a list of ToolDefs (or functions) or a TextOptions, got "
            + type(tools).__name__
        )
    index: dict[str, ToolDef] = {}
    for t in defs:
        if t.name in index:
            raise ValidationError(f"duplicate tool name {t.name!r}")
        index[t.name] = t
    return index


def _check_runnable(index: dict[str, ToolDef]) -> None:
    missing = sorted(name for name, t in index.items() if t.callback is None)
    if missing:
        raise ValidationError(
            f"tools without a callback cannot run locally: {', '.join(missing)}; give each a "
            "callback (ToolDef.from_function or callback=)"
        )


def _check_on_error(on_error: object) -> None:
    if on_error not in ("send", "raise"):
        raise ValidationError(f"on_error is 'send' or 'raise', got {on_error!r}")


def _plan(answer: Message, index: dict[str, ToolDef], on_error: OnToolError) -> list[_Job]:
    """Match each call to its tool and decode its arguments; raise what cannot be sent back."""
    _check_on_error(on_error)
    if not answer.tool_calls:
        raise ValidationError(
            "the answer has no tool calls to run (check result.tool_calls first, or use "
            "run_tool_loop)"
        )
    jobs = []
    for call in answer.tool_calls:
        tool = index.get(call.name)
        if tool is None:
            offered = ", ".join(sorted(index)) or "none"
            raise UnknownToolError(
                f"the model called the tool {call.name!r}, which was not offered (offered: "
                f"{offered})",
                tool=call.name,
                call_id=call.id,
                available=sorted(index),
            )
        if tool.callback is None:
            _check_runnable({tool.name: tool})
        job = _Job(call, tool)
        try:
            job.value = tool.parse_arguments(call)
        except ToolArgumentsError as exc:
            if on_error == "raise":
                raise
            job.error = exc
        jobs.append(job)
    return jobs


def _failure(job: _Job, exc: Exception) -> ToolExecutionError:
    err = job.tool._failed(exc, job.call.id)
    err.__cause__ = exc
    return err


def _error_text(err: ToolError) -> str:
    """What the model reads when its call failed: enough to correct the next call."""
    if isinstance(err, ToolArgumentsError):
        return (
            f"Error: the arguments do not fit the tool {err.tool!r}: {'; '.join(err.problems)}. "
            "Call it again with arguments matching its schema."
        )
    cause = err.__cause__
    if cause is not None:
        return f"Error: the tool {err.tool!r} failed: {type(cause).__name__}: {cause}"
    return f"Error: {err}"


def _answer(job: _Job, output: Any, on_error: OnToolError) -> ToolCallResult:
    """The result sent back for one call: the tool's output text, or its error."""
    error = job.error
    text = ""
    if error is None:
        try:
            text = job.tool.output_text(output, job.call.id)
        except ToolExecutionError as exc:
            error = exc
    if error is not None:
        if on_error == "raise":
            raise error
        text = _error_text(error)
    return ToolCallResult(id=job.call.id, name=job.call.name, result=text)


def _check_client(client: object, is_async: bool) -> None:
    """Refuse the other kind of client before anything is sent."""
    gen = getattr(client, "gen_sync", None)
    if gen is None:
        raise ValidationError(
            f"a tool loop needs a client (with gen_sync), got {type(client).__name__}"
        )
    if inspect.iscoroutinefunction(gen) != is_async:
        if is_async:
            raise ValidationError(
                f"{type(client).__name__} is a sync client: use run_tool_loop, or an async "
                "client with arun_tool_loop"
            )
        raise ValidationError(
            f"{type(client).__name__} is an async client: use `await arun_tool_loop(...)`"
        )


class _Loop:
    """The state of a tool loop: the conversation, the turn count and each turn's options."""

    def __init__(
        self, messages: Messages, options: Sequence[object], max_turns: int, on_error: OnToolError
    ) -> None:
        if isinstance(max_turns, bool) or not isinstance(max_turns, int) or max_turns < 1:
            raise ValidationError(f"max_turns must be an integer >= 1, got {max_turns!r}")
        _check_on_error(on_error)
        text = [o for o in options if isinstance(o, TextOptions)]
        if not text or not text[0].tools:
            raise ValidationError(
                "a tool loop needs tools: pass TextOptions(tools=[...]) among the options"
            )
        self.text = text[0]
        self.index = _tool_index(self.text)
        _check_runnable(self.index)
        check_messages(messages)
        self.messages: list[Message] = (
            [messages] if isinstance(messages, Message) else list(messages)
        )
        for i, m in enumerate(self.messages):
            if not isinstance(m, Message):
                raise ValidationError(
                    f"messages[{i}] is a {type(m).__name__}, not a Message (build it with "
                    "Message.user(...))"
                )
        self.first_options = tuple(options)
        # A forced choice is satisfied by the first answer; later turns let the model stop.
        later = self.text
        if later.tool_call_request not in (None, "auto", "none"):
            later = later.model_copy(update={"tool_call_request": "auto"})
        self.later_options = tuple(later if o is self.text else o for o in options)
        self.max_turns = max_turns
        self.on_error: OnToolError = on_error
        self.turns = 0
        self.usage = Usage()

    def pending(self) -> Message | None:
        """The last message when it is an answer whose tool calls have no results yet.

        That is how a conversation taken from ``err.messages`` ends after a tool failed or
        ``max_turns`` was reached: the loop runs those calls first, then asks again.
        """
        last = self.messages[-1] if self.messages else None
        if last is not None and last.role == "assistant" and last.tool_calls:
            return last
        return None

    def options(self) -> tuple[object, ...]:
        return self.first_options if self.turns == 0 else self.later_options

    def answered(self, result: Result) -> bool:
        """Record an answer; True when it ends the loop (no tool call)."""
        self.turns += 1
        self.usage = self.usage + result.usage
        self.messages.append(result)
        if not result.tool_calls:
            return True
        if self.turns >= self.max_turns:
            raise MaxTurnsError(
                f"the model still calls tools after {self.turns} "
                f"request{'s' if self.turns > 1 else ''} (max_turns="
                f"{self.max_turns}); raise max_turns or check the tools' answers",
                max_turns=self.max_turns,
                result=result,
            )
        return False

    def attach(self, err: GenAIError) -> GenAIError:
        """Give ``err`` the conversation so far (what arrived before it is never lost)."""
        err.messages = list(self.messages)
        return err

    def done(self) -> ToolLoopResult:
        last = self.messages[-1]
        assert isinstance(last, Result)
        return ToolLoopResult(last, list(self.messages), self.turns, self.usage)

    def plan(self) -> Plan[ToolLoopResult]:
        """The loop as a plan (:mod:`genai_core.plans`), written once for both twins: it yields
        ``(_CALLS, answer)`` to run an answer's tool calls (the outcome: the tool-results
        message) and ``(_ASK, messages, options)`` for the next answer (the outcome: its
        Result). A library error on the way leaves with the conversation so far."""
        try:
            pending = self.pending()
            if pending is not None:
                self.messages.append((yield _CALLS, pending))
            while True:
                result = yield _ASK, self.messages, self.options()
                if self.answered(result):
                    return self.done()
                self.messages.append((yield _CALLS, result))
        except GenAIError as exc:
            raise self.attach(exc)  # noqa: B904 - the error keeps its own cause


_CALLS, _ASK = "run the tool calls", "ask"


# --- sync -------------------------------------------------------------------------------------


def run_tool_calls(answer: Message, tools: Tools, *, on_error: OnToolError = "send") -> Message:
    """Run the tool calls of ``answer`` one after the other; the tool-results message.

    ``tools`` is the list of ToolDefs (or functions) that were offered, or the TextOptions that
    offered them. An async tool cannot run here: use :func:`arun_tool_calls`.
    """
    jobs = _plan(answer, _tool_index(tools), on_error)
    results = []
    for job in jobs:
        output = None
        if job.error is None:
            if job.tool.is_async:
                raise ValidationError(
                    f"tool {job.tool.name!r} is async: run the calls with arun_tool_calls"
                )
            try:
                output = job.tool.invoke(job.value)
            except Exception as exc:
                job.error = _failure(job, exc)
        results.append(_answer(job, output, on_error))
    return Message.tool_results(*results)


def run_tool_loop(
    client: Provider,
    messages: Messages,
    *options: object,
    max_turns: int = DEFAULT_MAX_TURNS,
    on_error: OnToolError = "send",
    on_fragment: Callable[[Reply], object] | None = None,
) -> ToolLoopResult:
    """Ask, run the tools the model calls, send their results, until an answer has no call.

    ``options`` are those of ``client.gen_sync`` and must include ``TextOptions(tools=[...])``
    whose tools all have a callback. With ``on_fragment``, each request is streamed and every
    fragment is passed to it as it arrives. Raises MaxTurnsError when the ``max_turns``-th
    answer still calls tools.
    """
    _check_client(client, is_async=False)
    loop = _Loop(messages, options, max_turns, on_error)
    coroutines = sorted(name for name, t in loop.index.items() if t.is_async)
    if coroutines:
        raise ValidationError(
            f"async tools cannot run in run_tool_loop: {', '.join(coroutines)}; use an async "
            "client with arun_tool_loop, or make the tools plain functions"
        )

    def act(step: tuple[Any, ...]) -> Any:
        if step[0] is _CALLS:
            return run_tool_calls(step[1], loop.text, on_error=on_error)
        _, messages, turn_options = step
        if on_fragment is None:
            return client.gen_sync(messages, *turn_options)
        with client.gen_stream(messages, *turn_options) as stream:
            for fragment in stream:
                on_fragment(fragment)
            return stream.result()

    return drive(loop.plan(), act)


# --- async ------------------------------------------------------------------------------------


async def arun_tool_calls(
    answer: Message, tools: Tools, *, on_error: OnToolError = "send"
) -> Message:
    """Run the tool calls of ``answer`` concurrently; the tool-results message (in call order).

    Async callbacks are awaited; sync ones run in worker threads. With ``on_error="raise"``,
    every call still completes before the first failure (in call order) is raised.
    """
    import anyio
    import anyio.to_thread

    jobs = _plan(answer, _tool_index(tools), on_error)
    outputs: list[Any] = [None] * len(jobs)

    async def run(i: int, job: _Job) -> None:
        try:
            if job.tool.is_async:
                outputs[i] = await job.tool.invoke(job.value)
            else:
                outputs[i] = await anyio.to_thread.run_sync(job.tool.invoke, job.value)
        except Exception as exc:
            job.error = _failure(job, exc)

    async with anyio.create_task_group() as group:
        for i, job in enumerate(jobs):
            if job.error is None:
                group.start_soon(run, i, job)
    return Message.tool_results(*(_answer(job, outputs[i], on_error) for i, job in enumerate(jobs)))


async def arun_tool_loop(
    client: AsyncProvider,
    messages: Messages,
    *options: object,
    max_turns: int = DEFAULT_MAX_TURNS,
    on_error: OnToolError = "send",
    on_fragment: Callable[[Reply], object] | None = None,
) -> ToolLoopResult:
    """The async twin of :func:`run_tool_loop`; the calls of one answer run concurrently.

    ``on_fragment`` may be a coroutine function; it is awaited for each fragment.
    """
    _check_client(client, is_async=True)
    loop = _Loop(messages, options, max_turns, on_error)

    async def act(step: tuple[Any, ...]) -> Any:
        if step[0] is _CALLS:
            return await arun_tool_calls(step[1], loop.text, on_error=on_error)
        _, messages, turn_options = step
        if on_fragment is None:
            return await client.gen_sync(messages, *turn_options)
        async with client.gen_stream(messages, *turn_options) as stream:
            async for fragment in stream:
                shown = on_fragment(fragment)
                if inspect.isawaitable(shown):
                    await shown
            return stream.result()

    return await adrive(loop.plan(), act)
