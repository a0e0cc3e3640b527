"""The ``genai`` command: an offline demo, one-shot chat and the model list.

::

    genai demo                      # replays the shipped cassette: no network, no key
    genai demo --live               # the same conversation against Baseten (BASETEN_API_KEY)
    genai chat "Say hello"          # streams the answer; reasoning dimmed on stderr
    genai chat --replay FILE "..."  # answers from a cassette instead of the network
    genai models                    # id, context length and price per million tokens
    genai scoreboard                # which model does what (scoreboard.render_cli)
    genai smoke --model M --replay  # measure a model's capabilities (scoreboard.smoke_cli)

Exit codes: 0 success, 1 an error (printed as one ``error: ...`` line), 2 a usage error, 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import httpx

from ._version import __version__
from .errors import GenAIError
from .httprecord.cassette import Cassette, ReplayMismatchError, add_replay_note
from .httprecord.transport import ReplayTransport
from .options import TextOptions
from .provider import Provider
from .registry import UnknownProviderError, get_provider
from .tools import ToolDef
from .types import Message, Model, Reply, Result, ToolCall, ToolCallResult, Usage

__all__ = [
    "DEMO_MODEL",
    "DEMO_PROMPT",
    "REPLAY_API_KEY",
    "SQUARE_ROOT_TOOL",
    "demo_cassette_path",
    "main",
    "run_square_root",
]

#: The model each provider's commands use when ``--model`` is not given.
DEFAULT_MODELS = {"baseten": "openai/gpt-oss-120b"}

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


class _Styled:
    """Writes to one stream, dimming text when the stream is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.color = _use_color(stream)
        self.at_line_start = True

    def write(self, text: str, *, dim: bool = False) -> None:
        if not text:
            return
        if dim and self.color:
            text = f"\x1b[2m{text}\x1b[22m"
        self.stream.write(text)
        self.stream.flush()
        self.at_line_start = text.endswith("\n")

    def end_line(self) -> None:
        if not self.at_line_start:
            self.write("\n")


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


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


def result_json(result: Result) -> dict[str, Any]:
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
        "usage": {
            "input_tokens": u.input_tokens,
            "input_cached_tokens": u.input_cached_tokens,
            "reasoning_tokens": u.reasoning_tokens,
            "output_tokens": u.output_tokens,
            "total_tokens": u.total_tokens,
        },
    }


# --- clients ------------------------------------------------------------------------------------

BASE_URL_HELP = (
    "the API root, such as http://localhost:8000/v1 (required by --provider openaicompatible)"
)


def _note_replay(cassette: Cassette) -> Any:
    """An exit callback naming the recorded answer an error came from (a hand-edited cassette)."""

    def note(exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, GenAIError):
            add_replay_note(exc, cassette.replay_note())
        return False

    return note


def _client(
    stack: contextlib.ExitStack,
    provider: str,
    model: str | None,
    replay: str | None,
    base_url: str | None = None,
) -> Provider:
    """A client of ``provider``; with ``replay`` it answers from that cassette, offline."""
    extra = {} if base_url is None else {"base_url": base_url}
    if replay is None:
        client: Provider = get_provider(provider, model=model, **extra)
    else:
        cassette = Cassette.load(replay)
        stack.push(_note_replay(cassette))
        http = stack.enter_context(httpx.Client(transport=ReplayTransport(cassette)))
        client = get_provider(
            provider, model=model, api_key=REPLAY_API_KEY, http_client=http, **extra
        )
    close = getattr(client, "close", None)
    if close is not None:
        stack.callback(close)
    return client


def _display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


# --- commands -----------------------------------------------------------------------------------


def _stream_turn(
    client: Provider,
    messages: Sequence[Message],
    options: TextOptions,
    out: _Styled,
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
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    out = _Styled(sys.stdout)
    live = args.mode == "live" or (args.mode is None and bool(os.environ.get("BASETEN_API_KEY")))
    with contextlib.ExitStack() as stack:
        if live:
            out.write(f"live: talking to Baseten (model {DEMO_MODEL})\n")
            client = _client(stack, DEMO_PROVIDER, DEMO_MODEL, None)
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
            client = _client(stack, DEMO_PROVIDER, DEMO_MODEL, str(path))
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


def _read_prompt(prompt: str) -> str:
    if prompt != "-":
        return prompt
    return sys.stdin.read()


def cmd_chat(args: argparse.Namespace) -> int:
    out = _Styled(sys.stdout)
    err = _Styled(sys.stderr)
    model = args.model or DEFAULT_MODELS.get(args.provider)
    options = TextOptions(
        system_prompt=args.system, max_tokens=args.max_tokens, temperature=args.temperature
    )
    messages = [Message.user(_read_prompt(args.prompt))]
    printer = _ChatPrinter(out, err, show_reasoning=args.show_reasoning)
    with contextlib.ExitStack() as stack:
        client = _client(stack, args.provider, model, args.replay, args.base_url)
        if args.no_stream:
            result = client.gen_sync(messages, options)
            if not args.json:
                printer.show(result.replies)
        else:
            with client.gen_stream(messages, options) as stream:
                for fragment in stream:
                    if not args.json:
                        printer.show([fragment])
                result = stream.result()
    if args.json:
        out.write(json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n")
        return 0
    out.end_line()
    err.end_line()
    err.write(format_usage(result.usage) + "\n")
    return 0


class _ChatPrinter:
    """Answer text to stdout; reasoning (dimmed) and tool calls to stderr."""

    def __init__(self, out: _Styled, err: _Styled, *, show_reasoning: bool) -> None:
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
        client = _client(stack, args.provider, None, args.replay, args.base_url)
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


# --- entry point --------------------------------------------------------------------------------


# Commands defined in the scoreboard package, each module imported only when its command is
# the one run: loading the renderer, the smoke scenarios and their images costs about 90 ms at
# startup, which `genai demo` or `genai chat` should not pay. The help line here is what
# `genai --help` lists (the module's own parser says the same; a test checks it).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "batch": (
        "genai_baseten.batch_cli",
        "run a JSONL file of prompts, resumably (chat calls or Baseten async inference)",
    ),
    "scoreboard": (
        "scoreboard.render_cli",
        "which model does what (tools, JSON, logprobs, images...), sync and stream",
    ),
    "smoke": (
        "scoreboard.smoke_cli",
        "measure a model with the smoke scenarios (replay, record or live)",
    ),
}


def _command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option (``genai`` takes no
    option with a value before the command)."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``genai`` parser. Given ``argv``, only the command it names among
    :data:`LAZY_COMMANDS` is loaded (the others are listed by name and help line); without it,
    every command is."""
    parser = argparse.ArgumentParser(
        prog="genai", description="Talk to LLM providers (Baseten first) from the command line."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def reasoning_flags(p: argparse.ArgumentParser) -> None:
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

    demo = sub.add_parser(
        "demo",
        help="a streamed tool-calling conversation; offline unless BASETEN_API_KEY is set",
        description="A two-turn conversation with a tool call. Replays the shipped cassette "
        "(no network, no key) unless BASETEN_API_KEY is set, then talks to Baseten.",
    )
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument(
        "--live", dest="mode", action="store_const", const="live", help="talk to Baseten"
    )
    mode.add_argument(
        "--replay",
        dest="mode",
        action="store_const",
        const="replay",
        help="replay the shipped cassette, even when BASETEN_API_KEY is set",
    )
    demo.set_defaults(mode=None, func=cmd_demo)
    reasoning_flags(demo)

    chat = sub.add_parser(
        "chat",
        help="send one prompt and stream the answer",
        description="Send PROMPT (or '-' to read it from stdin) and stream the answer to stdout; "
        "reasoning and the token usage go to stderr.",
    )
    chat.add_argument("prompt", metavar="PROMPT")
    chat.add_argument("--provider", default="baseten", help="provider name (default: baseten)")
    chat.add_argument("--base-url", metavar="URL", help=BASE_URL_HELP)
    chat.add_argument("--model", help="model id (default for baseten: openai/gpt-oss-120b)")
    chat.add_argument("--system", metavar="TEXT", help="system prompt")
    chat.add_argument("--max-tokens", type=int, metavar="N", help="maximum tokens to generate")
    chat.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    chat.add_argument(
        "--json", action="store_true", help="print the whole result as one JSON object"
    )
    chat.add_argument("--no-stream", action="store_true", help="one request for the whole answer")
    chat.add_argument(
        "--replay", metavar="CASSETTE", help="answer from this cassette file, without network"
    )
    reasoning_flags(chat)
    chat.set_defaults(func=cmd_chat)

    models = sub.add_parser("models", help="list the provider's models with context and prices")
    models.add_argument("--provider", default="baseten", help="provider name (default: baseten)")
    models.add_argument("--base-url", metavar="URL", help=BASE_URL_HELP)
    models.add_argument("--json", action="store_true", help="print the models as JSON")
    models.add_argument(
        "--replay", metavar="CASSETTE", help="answer from this cassette file, without network"
    )
    models.set_defaults(func=cmd_models)

    word = None if argv is None else _command_word(argv)
    for name, (module, help_text) in LAZY_COMMANDS.items():
        if argv is None or word == name:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text)  # not run this time: its name and help suffice
    return parser


def _error(message: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"error: {_one_line(message)}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (the console script exits with it)."""
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a usage error (2)
            return exc.code if isinstance(exc.code, int) else 2
        status: int = args.func(args)
        return status
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stderr.write("\ninterrupted\n")
        return 130
    except UnknownProviderError as exc:
        _error(str(exc))
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
    except (GenAIError, OSError, httpx.HTTPError) as exc:
        _error("; ".join([str(exc) or type(exc).__name__, *getattr(exc, "__notes__", [])]))
        return 1


if __name__ == "__main__":
    sys.exit(main())
