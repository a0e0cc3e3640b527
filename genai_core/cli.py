"""The ``genai`` command: an offline demo, chat (one prompt or a session), models, keys, and the
scoreboard commands.

::

    genai demo                      # replays the shipped cassette: no network, no key, always
    genai demo --live               # the same conversation against Baseten
    genai chat "Say hello"          # streams the answer; reasoning dimmed on stderr
    genai chat                      # an interactive session (!exit or Ctrl-D quits)
    genai chat --replay FILE "..."  # answers from a cassette instead of the network
    genai models                    # id, context length and price per million tokens
    genai keys set baseten          # store a key (prompted, never in argv)
    genai scoreboard                # which model does what (scoreboard.render_cli)
    genai smoke --model M --replay  # measure a model's capabilities (scoreboard.smoke_cli)

The command is provider-neutral: a provider's default model, key variable and URL come from the
:class:`~genai_core.registry.ProviderDefaults` it registers. Commands are entries of
:data:`COMMANDS` (name, help line, a function adding the arguments); the scoreboard commands'
modules are imported only when their command runs.

Exit codes: 0 success, 1 the request failed (API or connection error, printed as one
``error: ...`` line), 2 a usage or configuration error (nothing was sent), 130 interrupted
(Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, get_args, get_origin

import httpx

from . import keys
from ._version import __version__
from .capabilities import tier_of
from .errors import (
    APIConnectionError,
    APIError,
    DecodeError,
    GenAIError,
    MissingAPIKeyError,
    NotSupportedError,
    ValidationError,
)
from .httprecord.cassette import Cassette, ReplayMismatchError, add_replay_note
from .httprecord.transport import ReplayTransport
from .options import GenOption, TextOptions
from .provider import Provider
from .registry import ProviderDefaults, UnknownProviderError, get_provider, provider_entry
from .tools import ToolDef
from .types import Doc, Message, Model, Reply, Result, ToolCall, ToolCallResult, Usage

__all__ = [
    "COMMANDS",
    "DEMO_MODEL",
    "DEMO_PROMPT",
    "ENV_BASE_URL",
    "ENV_MODEL",
    "ENV_PROVIDER",
    "REPLAY_API_KEY",
    "SQUARE_ROOT_TOOL",
    "ChatPrinter",
    "Command",
    "Styled",
    "Target",
    "UsageError",
    "add_target_arguments",
    "build_parser",
    "chat_turn",
    "command_parsers",
    "configure_logging",
    "cost_text",
    "demo_cassette_path",
    "flag_wording",
    "main",
    "open_client",
    "parser_arguments",
    "register_command",
    "resolve_target",
    "run_square_root",
]

#: Environment variables read when the matching flag is not given.
ENV_PROVIDER = "GENAI_PROVIDER"
ENV_MODEL = "GENAI_MODEL"
ENV_BASE_URL = "GENAI_BASE_URL"


class UsageError(GenAIError):
    """A bad flag, a missing setting or an unusable input: exit status 2, nothing was sent."""


#: The key given to clients in replay mode: never a real key, and recognisable as such in logs.
REPLAY_API_KEY = "replay-no-key"

DEMO_PROVIDER = "baseten"
DEMO_MODEL = "openai/gpt-oss-120b"
DEMO_PROMPT = "What is the square root of 2025? Use the square_root tool."
DEMO_CASSETTE = "demo.json"

SQUARE_ROOT_TOOL = ToolDef(
    name="square_root",
    description="Returns the square root of a number.",
    parameters={
        "type": "object",
        "properties": {"number": {"type": "number", "description": "A number >= 0."}},
        "required": ["number"],
        "additionalProperties": False,
    },
)


def run_square_root(call: ToolCall) -> str:
    """Run the demo's tool locally; a bad call gives an error text for the model to read."""
    try:
        number = call.decode_arguments()["number"]
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise TypeError("number must be a JSON number")
        return f"{math.sqrt(number):.10g}"
    except (ValueError, KeyError, TypeError) as exc:
        return f"error: {type(exc).__name__}: {exc}"


def demo_cassette_path() -> Path | None:
    """The shipped demo cassette: inside the installed package, else in the source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "_demo" / DEMO_CASSETTE,  # wheel: pyproject force-includes testdata/demo here
        here.parent / "testdata" / "demo" / DEMO_CASSETTE,  # editable install / source checkout
    ):
        if candidate.is_file():
            return candidate
    return None


# --- output -------------------------------------------------------------------------------------


def _use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Styled:
    """Writes to one stream, dimming text when the stream is a terminal. Public so a command
    added with :func:`register_command` (and a test) can print the way the built-in ones do."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.color = _use_color(stream)
        self.at_line_start = True

    def write(self, text: str, *, dim: bool = False) -> None:
        if not text:
            return
        self.at_line_start = text.endswith("\n")  # of the text, not of the escape codes
        if dim and self.color:
            text = f"\x1b[2m{text}\x1b[22m"
        self.stream.write(text)
        self.stream.flush()

    def end_line(self) -> None:
        if not self.at_line_start:
            self.write("\n")


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


#: Printed on stderr when a stream stopped without its end marker and without a finish reason.
TRUNCATED_WARNING = "warning: the stream ended without an end marker; the answer may be truncated"


def format_usage(usage: Usage) -> str:
    """``usage: 85 in (0 cached) + 51 out (12 reasoning) = 136 tokens; finish: stop``."""
    finish = usage.finish_reason.value if usage.finish_reason is not None else "unknown"
    return (
        f"usage: {usage.input_tokens} in ({usage.input_cached_tokens} cached) + "
        f"{usage.output_tokens} out ({usage.reasoning_tokens} reasoning) = "
        f"{usage.total_tokens} tokens; finish: {finish}"
    )


def _call_text(call: ToolCall) -> str:
    try:
        args = json.dumps(call.decode_arguments(), ensure_ascii=False)
    except ValueError:
        args = call.arguments
    return f"{call.name}({args})"


def result_json(result: Result, cost: Decimal | None = None) -> dict[str, Any]:
    """What ``chat --json`` prints: the answer, its tool calls, usage and identifiers."""
    u = result.usage
    return {
        "model": result.model,
        "id": result.id,
        "request_id": result.request_id,
        "text": result.text,
        "reasoning": result.reasoning,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in result.tool_calls
        ],
        "finish_reason": u.finish_reason.value if u.finish_reason is not None else None,
        "maybe_truncated": result.maybe_truncated,
        "cost": None if cost is None else str(cost),
        "usage": {
            "input_tokens": u.input_tokens,
            "input_cached_tokens": u.input_cached_tokens,
            "reasoning_tokens": u.reasoning_tokens,
            "output_tokens": u.output_tokens,
            "total_tokens": u.total_tokens,
        },
    }


# --- clients ------------------------------------------------------------------------------------


def _note_replay(cassette: Cassette) -> Any:
    """An exit callback naming the recorded answer an error came from (a hand-edited cassette)."""

    def note(exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, GenAIError):
            add_replay_note(exc, cassette.replay_note())
        return False

    return note


def _name_target(provider: str, url: str) -> Any:
    """An exit callback telling ``main`` which provider and URL a failed request went to."""

    def name(exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, (APIError, APIConnectionError)) and not hasattr(exc, "cli_target"):
            setattr(exc, "cli_target", (provider, url))  # noqa: B010 - read by _error_text
        return False

    return name


@dataclass(frozen=True)
class Target:
    """Who a command talks to, resolved from flags, environment variables and stored keys."""

    provider: str
    model: str | None
    base_url: str | None
    api_key: str | None = field(repr=False)  # a credential: never in a repr
    timeout: float | None
    max_retries: int | None
    replay: str | None
    defaults: ProviderDefaults


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _default_provider() -> str:
    """The one registered provider usable without a URL (its defaults carry one)."""
    from .registry import provider_names

    usable = []
    for name in provider_names():
        defaults = provider_entry(name).defaults
        if defaults is not None and defaults.base_url and defaults.model:
            usable.append(name)
    if len(usable) == 1:
        return usable[0]
    raise UsageError(
        f"no provider given: pass -p/--provider NAME or set {ENV_PROVIDER} "
        f"(providers: {', '.join(provider_names()) or 'none'})"
    )


def _read_key_stdin(provider: str, source: str = "--api-key-stdin") -> str:
    """A key from a prompt without echo on a terminal, else the first line of stdin; ``source``
    names what asked for it in the error for an empty key."""
    if sys.stdin.isatty():
        key = getpass.getpass(f"API key for {provider}: ")
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise UsageError(f"{source}: read an empty key from stdin (give the key on its first line)")
    return key


def _resolve_key(args: argparse.Namespace, provider: str, defaults: ProviderDefaults) -> str | None:
    """The key, first found: --api-key-stdin / --api-key, --api-key-env NAME, the provider's
    variable, the stored key (``genai keys set``)."""
    if getattr(args, "api_key_stdin", False):
        return _read_key_stdin(provider)
    given = getattr(args, "api_key", None)
    if given:
        sys.stderr.write(
            "warning: --api-key puts the key in the command line, which other users and shell "
            "history can see; prefer --api-key-env NAME, --api-key-stdin or `genai keys set`\n"
        )
        return str(given)
    env_name = getattr(args, "api_key_env", None)
    if env_name:
        value = _env(env_name)
        if value is None:
            raise UsageError(f"--api-key-env {env_name}: the environment variable is not set")
        return value
    if defaults.api_key_env and _env(defaults.api_key_env):
        return _env(defaults.api_key_env)
    return keys.get(provider)


def _missing_key_message(
    provider: str, defaults: ProviderDefaults, *, key_flags: bool = True
) -> str:
    """How to give a key; the key flags only for a command that has them (``key_flags``)."""
    ways = [f"set {defaults.api_key_env}"] if defaults.api_key_env else []
    if key_flags:
        ways.append("pass --api-key-env NAME or --api-key-stdin")
    ways.append(f"store one with `genai keys set {provider}`")
    where = f" (get one at {defaults.key_url})" if defaults.key_url else ""
    return f"no API key for {provider}: {', '.join(ways[:-1])}, or {ways[-1]}{where}"


def resolve_target(args: argparse.Namespace, *, model_required: bool = True) -> Target:
    """Provider, model, URL and key from the flags, then ``GENAI_*`` variables, then the
    provider's defaults; a missing one is a :class:`UsageError` naming the flag."""
    provider = getattr(args, "provider", None) or _env(ENV_PROVIDER) or _default_provider()
    defaults = provider_entry(provider).defaults or ProviderDefaults()
    model = getattr(args, "model", None) or _env(ENV_MODEL) or defaults.model
    if model is None and model_required:
        tiers = " (or a tier: cheap, good, sota)" if defaults.tiers else ""
        raise UsageError(
            f"no model given for provider {provider}: pass -m/--model ID{tiers} or set {ENV_MODEL}"
        )
    if model is not None and tier_of(model) is not None and not defaults.tiers:
        # Sent as is, a tier name would reach the server as a model id that does not exist.
        raise UsageError(
            f"-m/--model {model}: provider {provider} has no scoreboard, so tier names (cheap, "
            "good, sota) pick nothing; pass a model id (`genai models` lists them)"
        )
    base_url = getattr(args, "base_url", None) or _env(ENV_BASE_URL)
    if base_url is None and not defaults.base_url and provider_entry(provider).defaults:
        raise UsageError(
            f"provider {provider} has no default URL: pass --base-url URL (the API root, such "
            f"as http://localhost:8000/v1) or set {ENV_BASE_URL}"
        )
    replay = getattr(args, "replay", None)
    key = None if replay else _resolve_key(args, provider, defaults)
    if not replay and key is None and defaults.api_key_env:
        raise UsageError(_missing_key_message(provider, defaults))
    return Target(
        provider=provider,
        model=model,
        base_url=base_url,
        api_key=key,
        timeout=getattr(args, "timeout", None),
        max_retries=getattr(args, "max_retries", None),
        replay=replay,
        defaults=defaults,
    )


def open_client(stack: contextlib.ExitStack, target: Target) -> Provider:
    """A client for ``target``, closed with ``stack``; with a replay cassette it answers from it,
    offline. Commands added by plugins use it with :func:`resolve_target`."""
    given = {
        "base_url": target.base_url,
        "timeout": target.timeout,
        "max_retries": target.max_retries,
        "api_key": target.api_key,
    }
    # Only what was given: the client's own defaults stay in force for the rest.
    kwargs: dict[str, Any] = {"model": target.model}
    kwargs.update((k, v) for k, v in given.items() if v is not None)
    if target.replay is not None:
        try:
            cassette = Cassette.load(target.replay)
        except OSError as exc:
            raise UsageError(f"--replay {target.replay}: {exc.strerror or exc}") from None
        except GenAIError as exc:  # not a cassette: the message names the file and the place
            raise UsageError(f"--replay: {exc}") from None
        stack.push(_note_replay(cassette))
        kwargs["http_client"] = stack.enter_context(
            httpx.Client(transport=ReplayTransport(cassette))
        )
        kwargs["api_key"] = REPLAY_API_KEY
    try:
        client: Provider = get_provider(target.provider, **kwargs)
    except ValidationError as exc:
        text = str(exc).removeprefix(f"{target.provider}: ")  # said once, below
        raise UsageError(f"{target.provider}: {flag_wording(text)}") from exc
    url = str(getattr(client, "base_url", "") or target.base_url or target.defaults.base_url or "")
    stack.push(_name_target(target.provider, _public_url(url) if url else ""))
    close = getattr(client, "close", None)
    if close is not None:
        stack.callback(close)
    return client


def flag_wording(text: str, *, key_flags: bool = True) -> str:
    """A library message said with the command's flags: ``base_url`` is ``--base-url``; a key
    given as ``api_key=`` came from the key flags (when the command has them) or `genai keys`."""
    text = re.sub(r"\bbase_url\b", "--base-url", text)
    flags = "--api-key-env NAME, --api-key-stdin or " if key_flags else ""

    def said(m: re.Match[str]) -> str:
        joint = ", " if m[1] and flags else m[1]  # "$VAR, --api-key-env NAME, ... or ..."
        return f"{joint}{flags}`genai keys set`"

    return re.sub(r"( or |\b)api_key=", said, text)


def _public_url(url: str) -> str:
    """``url`` without a user and password."""
    try:
        return str(httpx.URL(url).copy_with(username=None, password=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return "<invalid URL>"


def _display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


# --- options ------------------------------------------------------------------------------------


def _accepts_only_text(annotation: Any) -> bool:
    """True for ``str`` and ``str | None``: such a value is taken as written, never parsed."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    return annotation is str or (bool(args) and all(a is str for a in args))


def _wants_list(annotation: Any) -> bool:
    return any(get_origin(a) is list for a in (annotation, *get_args(annotation)))


def _coerce(annotation: Any, value: str) -> Any:
    """``-o key=value`` text as the field's type: JSON where it parses (numbers, booleans,
    lists, objects), else the text; a single value for a list field becomes a list of one."""
    if _accepts_only_text(annotation):
        return value
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        parsed = value
    if _wants_list(annotation) and not isinstance(parsed, list):
        parsed = [parsed]
    return parsed


# Fields a key=value setting cannot express (they hold code or come from other flags).
_NOT_SETTABLE = frozenset({"tools", "decode_as", "extra_body", "raw_chunks"})


def build_options(
    pairs: Sequence[str], provider_options: type[Any] | None, **flags: Any
) -> list[GenOption]:
    """``TextOptions`` (and the provider's options) from ``-o key=value`` settings and the
    dedicated flags (``system_prompt=``, ``max_tokens=``...; a flag left None is not set)."""
    classes: list[type[Any]] = [TextOptions]
    if provider_options is not None:
        classes.append(provider_options)
    values: list[dict[str, Any]] = [{k: v for k, v in flags.items() if v is not None}, {}]
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"-o {pair}: expected key=value, such as -o temperature=0.2")
        for i, cls in enumerate(classes):
            info = cls.model_fields.get(key)
            if info is not None and key not in _NOT_SETTABLE:
                values[i][key] = _coerce(info.annotation, raw)
                break
        else:
            known = sorted(
                {k for cls in classes for k in cls.model_fields if k not in _NOT_SETTABLE}
            )
            raise UsageError(f"-o {key}: unknown option; known: {', '.join(known)}")
    # How the user wrote each setting, to name it in an error.
    written = {k: f"--{k.replace('_', '-')}" for k in flags}
    written |= {"system_prompt": "-s/--system"}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        written[key.strip().replace("-", "_")] = f"-o {key.strip()}={raw}"
    options: list[GenOption] = []
    for cls, given in zip(classes, values, strict=False):
        if not given and cls is not TextOptions:
            continue
        try:
            options.append(cls(**given))
        except (ValidationError, ValueError) as exc:
            raise UsageError(_option_error(str(exc), written)) from None
    return options


def _option_error(message: str, written: dict[str, str]) -> str:
    """The options' own ``invalid TextOptions: field: problem; ...`` said with the flags."""
    _, sep, rest = message.partition(": ")
    if not message.startswith("invalid ") or not sep:
        return f"-o: {message}"
    parts = []
    for part in rest.split("; "):
        name, sep, problem = part.partition(": ")
        flag = written.get(name.split(".")[0])
        parts.append(f"{flag}: {problem}" if sep and flag else part)
    return "; ".join(parts)


# --- commands -----------------------------------------------------------------------------------


def _stream_turn(
    client: Provider,
    messages: Sequence[Message],
    options: TextOptions,
    out: Styled,
    *,
    show_reasoning: bool,
) -> Result:
    """Stream one demo turn to ``out``: reasoning dimmed, tool calls and text as they come."""
    kind = ""
    with client.gen_stream(messages, options) as stream:
        for fragment in stream:
            if fragment.reasoning and show_reasoning:
                piece = fragment.reasoning
                if kind != "reasoning":
                    out.end_line()
                    out.write("thinking: ", dim=True)
                    kind = "reasoning"
                    piece = piece.lstrip()  # gpt-oss starts its reasoning with a space
                out.write(piece, dim=True)
            elif fragment.text:
                if kind != "text":
                    out.end_line()
                    out.write("assistant: ")
                    kind = "text"
                out.write(fragment.text)
            elif fragment.tool_call is not None:
                out.end_line()
                call = fragment.tool_call
                out.write(f"tool call: {_call_text(call)}  [id {call.id}]\n")
                kind = "tool_call"
        result = stream.result()
    out.end_line()
    if result.maybe_truncated:
        sys.stderr.write(TRUNCATED_WARNING + "\n")
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    if not args.live and (args.api_key_env or args.api_key_stdin):
        flag = "--api-key-env" if args.api_key_env else "--api-key-stdin"
        raise UsageError(f"{flag} is for --live: the replayed demo sends nothing and needs no key")
    out = Styled(sys.stdout)
    with contextlib.ExitStack() as stack:
        if args.live:
            # The demo's provider and model are the ones its cassette was written for.
            args.provider, args.model = DEMO_PROVIDER, DEMO_MODEL
            target = resolve_target(args)
            out.write(f"live: talking to {DEMO_PROVIDER} (model {DEMO_MODEL})\n")
        else:
            path = demo_cassette_path()
            if path is None:
                raise GenAIError(
                    f"the demo cassette {DEMO_CASSETTE} is missing from this installation "
                    "(looked in genai_core/_demo/ and testdata/demo/)"
                )
            out.write(
                f"replaying recorded traffic from {_display_path(path)} (no network, no API key)\n"
            )
            if os.environ.get("BASETEN_API_KEY"):
                # The demo never goes live by itself; say how, for a user who has a key.
                sys.stderr.write("BASETEN_API_KEY is set: `genai demo --live` talks to Baseten\n")
            args.provider, args.model, args.replay = DEMO_PROVIDER, DEMO_MODEL, str(path)
            target = resolve_target(args)
        client = open_client(stack, target)
        out.write(f"model: {DEMO_MODEL}; tool offered: square_root\n\n")

        out.write(f"user: {DEMO_PROMPT}\n")
        messages: list[Message] = [Message.user(DEMO_PROMPT)]
        first = TextOptions(tools=[SQUARE_ROOT_TOOL], tool_call_request="required")
        result = _stream_turn(client, messages, first, out, show_reasoning=args.show_reasoning)
        out.write(format_usage(result.usage) + "\n", dim=True)
        if not result.tool_calls:
            out.write("\nthe model answered without calling the tool; the demo ends here\n")
            return 0

        results = []
        for call in result.tool_calls:
            value = run_square_root(call)
            out.write(f"tool result (computed locally): {call.name} -> {value}\n")
            results.append(ToolCallResult(id=call.id, name=call.name, result=value))
        messages += [result, Message.tool_results(*results)]

        out.write("\n")
        second = TextOptions(tools=[SQUARE_ROOT_TOOL], tool_call_request="none")
        final = _stream_turn(client, messages, second, out, show_reasoning=args.show_reasoning)
        out.write(format_usage(final.usage) + "\n", dim=True)
    return 0


def _read_prompt(prompt: str, *, docs: bool) -> str:
    """The prompt's text (``-``: stdin); empty only when files go with it."""
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip() and not docs:
        where = "PROMPT '-' read nothing from stdin" if prompt == "-" else "PROMPT is empty"
        raise UsageError(
            f"{where}: give the text to send, or -a FILE, or no PROMPT for an interactive session"
        )
    return text


def _attachments(paths: Sequence[str]) -> list[Doc]:
    return [_attachment(name) for name in paths]


def _attachment(name: str) -> Doc:
    try:
        return Doc.from_path(name)
    except OSError as exc:
        raise UsageError(f"-a {name}: {exc.strerror or exc}") from None
    except (ValidationError, ValueError) as exc:
        raise UsageError(f"-a {name}: {exc}") from None


class _Pricer:
    """Prices answers for the chat command: from what the client knows of its model's prices,
    else, on a live run of a provider whose model list carries prices, from one model list
    fetched the first time an answer has no price (a failure leaves the cost unknown)."""

    def __init__(self, client: Provider, *, fetch: bool) -> None:
        self._client = client
        self._fetch = fetch

    def cost(self, result: Result) -> Decimal | None:
        """The result's cost in US dollars when known, else None (never 0 for unknown)."""
        if result.cost is not None or not self._fetch:
            return result.cost
        self._fetch = False  # once per command, whatever the outcome
        try:
            models = self._client.list_models()  # the client now prices later answers itself
        except GenAIError:
            return None
        wanted = {self._client.model, result.model}
        model = next((m for m in models if m.id in wanted), None)
        return None if model is None else result.cost_for(model)


def cost_text(cost: Decimal | None) -> str | None:
    """``cost: $0.000123`` when the cost is known, else None."""
    return None if cost is None else f"cost: ${cost}"


def chat_turn(
    client: Provider,
    messages: Sequence[Message],
    options: Sequence[GenOption],
    *,
    args: argparse.Namespace,
    out: Styled,
    err: Styled,
    pricer: _Pricer,
) -> tuple[Result, Decimal | None]:
    """One turn of ``genai chat``: streamed (or not) to the terminal, or silently for
    ``--json``; the result and its cost. Ctrl-C inside a turn cancels the turn, not the
    session."""
    printer = ChatPrinter(out, err, show_reasoning=args.show_reasoning)
    if args.no_stream:
        result = client.gen_sync(messages, *options)
        if not args.json:
            printer.show(result.replies)
    else:
        with client.gen_stream(messages, *options) as stream:
            for fragment in stream:
                if not args.json:
                    printer.show([fragment])
            result = stream.result()
    if not args.json:
        out.end_line()
        err.end_line()
        err.write(format_usage(result.usage) + "\n", dim=True)
    if result.maybe_truncated:  # stderr even with --json, whose object says it too
        err.end_line()
        err.write(TRUNCATED_WARNING + "\n")
    cost = pricer.cost(result)
    if not args.json and (shown := cost_text(cost)) is not None:
        err.write(shown + "\n", dim=True)
    return result, cost


def cmd_chat(args: argparse.Namespace) -> int:
    out = Styled(sys.stdout)
    err = Styled(sys.stderr)
    target = resolve_target(args)
    docs = _attachments(args.attach)
    options = build_options(
        args.option,
        target.defaults.options,
        system_prompt=args.system,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
    )
    with contextlib.ExitStack() as stack:
        client = open_client(stack, target)
        live_prices = target.replay is None and target.defaults.prices_in_model_list
        pricer = _Pricer(client, fetch=live_prices and not args.no_cost)
        if args.prompt is None:
            return _session(client, options, docs, args=args, out=out, err=err, pricer=pricer)
        messages = [Message.user(_read_prompt(args.prompt, docs=bool(docs)), *docs)]
        result, cost = chat_turn(
            client, messages, options, args=args, out=out, err=err, pricer=pricer
        )
    if args.json:
        out.write(json.dumps(result_json(result, cost), ensure_ascii=False, indent=2) + "\n")
    return 0


SESSION_HELP = "!exit or Ctrl-D quits; Ctrl-C cancels the answer being written"


def _session(
    client: Provider,
    options: Sequence[GenOption],
    docs: Sequence[Doc],
    *,
    args: argparse.Namespace,
    out: Styled,
    err: Styled,
    pricer: _Pricer,
) -> int:
    """An interactive chat: one line per user turn, the conversation kept in memory.

    On a terminal the line is read with ``input()`` (line editing when readline is available)
    after a ``> `` prompt, and an API error is shown without ending the session; piped input is
    read line by line and an error ends the command like a one-shot chat."""
    interactive = sys.stdin.isatty()
    model = getattr(client, "model", None) or args.model or ""
    if interactive:
        err.write(f"chatting with {model} ({SESSION_HELP})\n", dim=True)
    history: list[Message] = []
    pending = list(docs)  # attachments go with the first message
    while True:
        try:
            line = input("> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        except KeyboardInterrupt:  # at the prompt: a new prompt, as a shell does
            err.write("\n")
            continue
        if not interactive and not line:
            break  # end of the piped input
        text = line.strip()
        if not text:
            continue
        if text in ("!exit", "!quit"):
            break
        message = Message.user(text, *pending)
        try:
            result, cost = chat_turn(
                client, [*history, message], options, args=args, out=out, err=err, pricer=pricer
            )
        except KeyboardInterrupt:
            out.end_line()
            err.end_line()
            err.write("[cancelled]\n", dim=True)
            continue  # the cancelled turn is not part of the conversation
        except GenAIError as exc:
            if not interactive:
                raise
            _error(_error_text(exc))
            continue
        pending = []
        history += [message, result]
        if args.json:
            out.write(json.dumps(result_json(result, cost), ensure_ascii=False) + "\n")
    if interactive:
        err.end_line()
    return 0


class ChatPrinter:
    """Answer text to stdout; reasoning and tool calls to stderr. Reasoning is dimmed on a
    terminal and labelled ``[reasoning]`` otherwise, so a log still tells it from the answer.
    Public: ``genai chat`` prints every fragment through it."""

    def __init__(self, out: Styled, err: Styled, *, show_reasoning: bool) -> None:
        self.out = out
        self.err = err
        self.show_reasoning = show_reasoning
        self.in_reasoning = False

    def show(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            if reply.reasoning:
                if self.show_reasoning:
                    piece = reply.reasoning
                    if not self.in_reasoning:
                        self.err.end_line()
                        piece = piece.lstrip()  # gpt-oss starts its reasoning with a space
                        if not self.err.color:
                            piece = "[reasoning] " + piece
                    self.err.write(piece, dim=True)
                    self.in_reasoning = True
                continue
            self.in_reasoning = False
            if reply.text:
                self.err.end_line()
                self.out.write(reply.text)
            elif reply.tool_call is not None:
                self.err.end_line()
                self.err.write(f"tool call: {_call_text(reply.tool_call)}\n")


def format_price(per_token: Decimal | None) -> str:
    """A per-token price as dollars per million tokens: ``0.10``, ``0.025``, ``-`` if unknown."""
    if per_token is None:
        return "-"
    per_million = (per_token * 1_000_000).quantize(Decimal("0.0001")).normalize()
    text = f"{per_million:f}"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _price(model: Model, *keys: str) -> Decimal | None:
    for key in keys:
        if key in model.pricing:
            return model.pricing[key]
    return None


def cmd_models(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        client = open_client(stack, resolve_target(args, model_required=False))
        models = client.list_models()
    if args.json:
        data = [m.model_dump(mode="json", exclude={"raw"}) for m in models]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    rows = [("id", "context", "$/Mtok in", "$/Mtok out")]
    rows += [
        (
            m.id,
            str(m.context_length) if m.context_length is not None else "-",
            format_price(_price(m, "prompt", "input")),
            format_price(_price(m, "completion", "output")),
        )
        for m in models
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    action = args.keys_action
    if action == "path":
        sys.stdout.write(f"{keys.path()}\n")
        return 0
    if action == "list":
        for name in keys.list_providers():
            sys.stdout.write(f"{name}  {keys.mask(keys.get(name) or '')}\n")
        return 0
    provider = args.key_provider
    if provider is None:
        raise UsageError(f"genai keys {action} needs a PROVIDER, such as: genai keys {action} NAME")
    if action == "get":
        key = keys.get(provider)
        if key is None:
            sys.stderr.write(f"error: no key stored for {provider} in {keys.path()}\n")
            return 1
        sys.stdout.write(key + "\n")
        return 0
    if action == "delete":
        if not keys.delete(provider):
            sys.stderr.write(f"error: no key stored for {provider} in {keys.path()}\n")
            return 1
        sys.stderr.write(f"deleted the key of {provider} from {keys.path()}\n")
        return 0
    # set: the key is prompted for on a terminal (no echo), else read from stdin; never argv.
    from .registry import provider_names

    if provider not in provider_names() and not args.force:
        raise UsageError(
            f"genai keys set {provider}: no provider is registered under that name (providers: "
            f"{', '.join(provider_names()) or 'none'}); pass --force to store it anyway"
        )
    where = keys.set(provider, _read_key_stdin(provider, f"genai keys set {provider}"))
    sys.stderr.write(f"stored the key of {provider} in {where} (mode 600)\n")
    return 0


# --- commands and their arguments ---------------------------------------------------------------


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``, else a usage error saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, such as 30, got {text!r}") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_target_arguments(p: argparse.ArgumentParser, *, model: bool = True) -> None:
    """The flags choosing a provider, model, URL and key, shared by the commands that talk to
    a provider (plugins adding a command may use them too, with :func:`resolve_target`)."""
    p.add_argument(
        "-p",
        "--provider",
        metavar="NAME",
        help=f"provider name (default: ${ENV_PROVIDER}, else the one installed provider that "
        "needs no URL)",
    )
    if model:
        p.add_argument(
            "-m",
            "--model",
            metavar="ID",
            help=f"model id or tier (cheap, good, sota) (default: ${ENV_MODEL}, else the "
            "provider's default model)",
        )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help=f"the API root, such as http://localhost:8000/v1 (default: ${ENV_BASE_URL}, else "
        "the provider's; required by --provider openaicompatible)",
    )
    key = p.add_mutually_exclusive_group()
    key.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="read the API key from this environment variable (default: the provider's "
        "variable, such as BASETEN_API_KEY, else the key stored by `genai keys set`)",
    )
    key.add_argument(
        "--api-key-stdin",
        action="store_true",
        help="read the API key from stdin (prompted without echo on a terminal)",
    )
    key.add_argument(
        "--api-key",
        metavar="KEY",
        help="the API key itself (discouraged: the command line is visible to other users; "
        "a warning is printed)",
    )
    p.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS", help="per-request timeout in seconds"
    )
    p.add_argument(
        "--max-retries",
        type=_non_negative_int,
        metavar="N",
        help="retries of a failed request (429, 5xx, connection errors); 0 disables",
    )
    p.add_argument(
        "--replay", metavar="CASSETTE", help="answer from this cassette file, without network"
    )


def _reasoning_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--show-reasoning",
        dest="show_reasoning",
        action="store_true",
        default=True,
        help="show the model's reasoning, dimmed (default)",
    )
    group.add_argument(
        "--hide-reasoning",
        dest="show_reasoning",
        action="store_false",
        help="do not show the model's reasoning",
    )


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "A two-turn conversation with a tool call, replayed from the shipped cassette (no "
        "network, no key). --live sends it to Baseten instead."
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--live",
        action="store_true",
        help="talk to Baseten (key from --api-key-env, $BASETEN_API_KEY or `genai keys`)",
    )
    mode.add_argument(
        "--replay",
        dest="live",
        action="store_false",
        help="replay the shipped cassette (the default; kept for scripts)",
    )
    key = p.add_mutually_exclusive_group()
    key.add_argument(
        "--api-key-env", metavar="NAME", help="with --live: the variable holding the key"
    )
    key.add_argument(
        "--api-key-stdin", action="store_true", help="with --live: read the key from stdin"
    )
    _reasoning_flags(p)
    p.set_defaults(func=cmd_demo, live=False)


def _chat_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Send PROMPT (or '-' to read it from stdin) and stream the answer to stdout; reasoning "
        "and the token usage go to stderr. Without PROMPT: an interactive session, one line "
        f"per turn ({SESSION_HELP})."
    )
    p.add_argument(
        "prompt",
        metavar="PROMPT",
        nargs="?",
        help="the prompt; '-' reads it from stdin; none starts an interactive session",
    )
    add_target_arguments(p)
    p.add_argument("-s", "--system", metavar="TEXT", help="system prompt")
    p.add_argument(
        "-a",
        "--attach",
        metavar="FILE",
        action="append",
        default=[],
        help="send this file with the (first) prompt: image, PDF, text... (repeatable)",
    )
    p.add_argument(
        "-o",
        "--option",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a generation option, such as -o temperature=0.2 -o seed=1 -o top_k=20 "
        "(TextOptions or the provider's options; JSON values; repeatable)",
    )
    p.add_argument(
        "--max-tokens", type=_positive_int, metavar="N", help="maximum tokens to generate"
    )
    p.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the whole result as one JSON object (a session: one line per answer)",
    )
    p.add_argument("--no-stream", action="store_true", help="one request for the whole answer")
    p.add_argument(
        "--no-cost",
        action="store_true",
        help="do not fetch the model list to price the answer (a provider whose list carries "
        "prices is asked once per command, live runs only)",
    )
    _reasoning_flags(p)
    p.set_defaults(func=cmd_chat)


def _models_arguments(p: argparse.ArgumentParser) -> None:
    add_target_arguments(p, model=False)
    p.add_argument("--json", action="store_true", help="print the models as a JSON list")
    p.set_defaults(func=cmd_models)


def _keys_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Store API keys in the user configuration file (mode 600; the directory is "
        f"${keys.CONFIG_DIR_ENV} when set). The genai command uses a stored key when no flag or "
        "environment variable gives one; the library only when asked (genai.keys.get)."
    )
    p.add_argument(
        "keys_action",
        choices=("set", "get", "list", "delete", "path"),
        metavar="ACTION",
        help="set: store a key read from stdin (prompted on a terminal); get: print it; "
        "list: the providers with a key, keys masked; delete: forget it; path: the file",
    )
    p.add_argument("key_provider", nargs="?", metavar="PROVIDER", help="the provider's name")
    p.add_argument(
        "--force",
        action="store_true",
        help="set: store the key even if no installed provider has that name",
    )
    p.set_defaults(func=cmd_keys)


def _scoreboard_arguments(p: argparse.ArgumentParser) -> None:
    # Imported when this command runs (or the full parser is built): the renderer and its
    # tables cost tens of ms that `genai demo` or `genai chat` should not pay.
    from scoreboard import render_cli

    render_cli.add_arguments(p)


def _smoke_arguments(p: argparse.ArgumentParser) -> None:
    from scoreboard import smoke_cli  # the scenarios and their images: only for this command

    smoke_cli.add_arguments(p)


def _batch_arguments(p: argparse.ArgumentParser) -> None:
    from genai_baseten import batch_cli  # sqlite3 and the engines: only for this command

    batch_cli.add_arguments(p)


@dataclass(frozen=True)
class Command:
    """One ``genai`` command: its name, the help line ``genai --help`` lists, and a function
    adding its arguments to its parser (and ``set_defaults(func=handler)``, the handler taking
    the parsed arguments and returning the exit status). ``add_arguments`` runs only when the
    command is the one given (or the full parser is built), so it may import what it needs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]


#: The commands, in the order ``genai --help`` lists them.
COMMANDS: dict[str, Command] = {}


def register_command(command: Command) -> None:
    """Add (or replace) a ``genai`` command."""
    COMMANDS[command.name] = command


for _command in (
    Command(
        "demo",
        "a streamed tool-calling conversation, replayed offline (--live: against Baseten)",
        _demo_arguments,
    ),
    Command(
        "chat", "send one prompt, or chat interactively, streaming the answers", _chat_arguments
    ),
    Command("models", "list the provider's models with context and prices", _models_arguments),
    Command("keys", "store, show, list API keys (genai keys set PROVIDER)", _keys_arguments),
    Command(
        "scoreboard",
        "which model does what (tools, JSON, logprobs, images...), sync and stream",
        _scoreboard_arguments,
    ),
    Command(
        "smoke",
        "measure a model with the smoke scenarios (replay, record or live)",
        _smoke_arguments,
    ),
    Command(
        "batch",
        "run a JSONL file of prompts, resumably (chat calls or Baseten async inference)",
        _batch_arguments,
    ),
):
    register_command(_command)


# --- entry point --------------------------------------------------------------------------------


def _command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option (``genai`` takes no
    option with a value before the command)."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``genai`` parser with every command and its arguments. Given ``argv``, only the
    command it names gets its arguments (the others are listed by name and help line), which
    keeps ``genai demo`` from importing the scoreboard."""
    parser = argparse.ArgumentParser(
        prog="genai", description="Talk to LLM providers from the command line."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log the library's requests to stderr (logger 'genai'); -vv adds httpx's",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    word = None if argv is None else _command_word(argv)
    for command in COMMANDS.values():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        p.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=argparse.SUPPRESS,
            help="log the library's requests to stderr (logger 'genai'); -vv adds httpx's",
        )
        if argv is None or word == command.name:
            command.add_arguments(p)
    return parser


def command_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-command parsers of ``parser`` (as :func:`build_parser` makes it), by command name:
    what reference docs and checks walk. argparse keeps these private; this is the one place
    that reads them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def parser_arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every argument ``parser`` declares (options and positionals, ``--help`` included), in
    order."""
    return list(parser._actions)


def configure_logging(verbosity: int) -> Callable[[], None]:
    """-v: the ``genai`` logger at DEBUG on stderr; -vv: httpx and httpcore too (what ``main``
    does for ``-v``/``-vv``). Returns what undoes it (``main`` may run several times in one
    process, as in tests)."""
    if verbosity <= 0:
        return lambda: None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(n) for n in ["genai"] + (["httpx", "httpcore"] * (verbosity > 1))]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)

    def restore() -> None:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)

    return restore


def _error(message: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"error: {_one_line(message)}\n")
    sys.stderr.flush()


def _error_text(exc: BaseException, *, key_flags: bool = True) -> str:
    text = "; ".join([str(exc) or type(exc).__name__, *getattr(exc, "__notes__", [])])
    text = flag_wording(text, key_flags=key_flags)
    target = getattr(exc, "cli_target", None)
    if target:
        provider, url = target
        text = text.removeprefix(f"{provider}: ")  # said once, with the URL
        text = f"{provider} at {url}: {text}" if url else f"{provider}: {text}"
        if isinstance(exc, APIConnectionError):
            text += " (check --base-url, the network and any proxy; --timeout sets the limit)"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (the console script exits with it)."""
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    restore_logging: Callable[[], None] = lambda: None  # noqa: E731 - replaced once parsed
    # The key flags are named in an error only to a command that has them (smoke has not).
    key_flags = True
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a usage error (2)
            return exc.code if isinstance(exc.code, int) else 2
        restore_logging = configure_logging(args.verbose)
        key_flags = hasattr(args, "api_key_stdin")
        status: int = args.func(args)
        return status
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stderr.write("\ninterrupted\n")
        return 130
    except MissingAPIKeyError as exc:
        defaults = ProviderDefaults(api_key_env=exc.env_var, key_url=exc.key_url)
        _error(_missing_key_message(exc.provider, defaults, key_flags=key_flags))
        return 2
    except (UsageError, UnknownProviderError, keys.KeyStoreError) as exc:
        _error(str(exc))  # nothing was sent: fix the command line or the setup
        return 2
    except BrokenPipeError:
        # The reader went away (``genai models | head``): nothing more to say to it.
        with contextlib.suppress(Exception):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
    except ReplayMismatchError as exc:
        _error(exc.summary)  # the body diff that follows is for test output, not a terminal
        return 1
    except (ValidationError, NotSupportedError) as exc:
        if isinstance(exc, DecodeError):  # the answer did not decode: the request was sent
            _error(_error_text(exc, key_flags=key_flags))
            return 1
        # Refused before anything was sent: a usage or configuration error.
        _error(flag_wording(str(exc), key_flags=key_flags))
        return 2
    except (GenAIError, OSError, httpx.HTTPError) as exc:
        _error(_error_text(exc, key_flags=key_flags))
        return 1
    finally:
        restore_logging()


if __name__ == "__main__":
    sys.exit(main())
