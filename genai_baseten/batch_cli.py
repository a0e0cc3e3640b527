"""``genai batch prompts.jsonl --out results.jsonl``: a resumable batch from the command line.

Each input line is a prompt: a JSON string, or an object with ``"prompt"`` (and optionally
``"system"``). The results file has one JSON object per input, in input order:
``{"index", "status", "text"}`` or ``{"index", "status", "error"}`` (``"output"`` instead of
``"text"`` with ``--async-target``). The state lives next to the output
(``results.jsonl.state.sqlite``) unless ``--state`` says otherwise: run the same command again
after a crash or Ctrl-C and only the missing items are sent.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

from genai_core.cli import UsageError, add_target_arguments, open_client, resolve_target
from genai_core.errors import ValidationError
from genai_core.options import TextOptions
from genai_core.types import Message

from .batch import AsyncInferenceEngine, BatchInput, BatchProgress, ChatEngine, gen_batch

__all__ = ["add_arguments", "host_port", "run", "split_host_port"]

SECRET_ENV = "BASETEN_WEBHOOK_SECRET"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``genai batch`` (the ``genai`` command registers it)."""
    # The module's docstring without its reST quoting: --help prints it as plain text.
    p.description = __doc__.split("\n\n", 1)[1].replace("``", "") if __doc__ else None
    p.add_argument("input", metavar="PROMPTS.jsonl", help="one prompt per line")
    p.add_argument("--out", required=True, metavar="RESULTS.jsonl", help="where results go")
    p.add_argument("--state", metavar="PATH", help="state file (default: OUT.state.sqlite)")
    add_target_arguments(p)  # -p, -m, --base-url, the key flags, --timeout, --max-retries
    p.add_argument("--concurrency", type=int, default=16, help="chat calls at once (16)")
    p.add_argument("--max-tokens", type=int, metavar="N", help="maximum tokens per answer")
    p.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    p.add_argument(
        "--async-target",
        metavar="URL",
        help="use Baseten async inference on this dedicated model instead of chat calls",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="HTTPS address Baseten delivers webhooks to (a tunnel to --listen)",
    )
    p.add_argument(
        "--listen",
        type=host_port,
        default="127.0.0.1:8787",
        metavar="HOST:PORT",
        help="where the webhook receiver listens, with --async-target (127.0.0.1:8787)",
    )
    p.add_argument("--retry-failed", action="store_true", help="send failed items again")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def host_port(text: str) -> str:
    """The argparse type of ``--listen``: ``HOST:PORT`` or ``:PORT`` (0: any free port), checked
    when the command line is read, so a bad one is a usage error even without --async-target."""
    _, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r}: pass HOST:PORT, such as 127.0.0.1:8787 (the port, 0 to 65535, is required)"
        )
    return text


def read_prompts(path: str) -> Iterator[Any]:
    """The conversations of a JSONL file, read lazily (the file may be large)."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                raise ValidationError(f"{path}:{number}: not JSON ({exc})") from exc
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict) and isinstance(value.get("prompt"), str):
                system = value.get("system")
                if system is not None and not isinstance(system, str):
                    raise ValidationError(f'{path}:{number}: "system" must be a string')
                # The system prompt goes where the provider puts system prompts, not into the
                # conversation as if the user had said it.
                yield BatchInput(Message.user(value["prompt"]), system_prompt=system)
            else:
                raise ValidationError(
                    f'{path}:{number}: each line must be a JSON string or {{"prompt": "..."}}'
                )


class ProgressBar:
    """A one-line progress bar on a terminal (plain lines every few seconds elsewhere)."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self.out = out
        self.width = width
        self.tty = out.isatty()
        self.last = 0.0

    def __call__(self, p: BatchProgress) -> None:
        now = time.monotonic()
        if now - self.last < (0.1 if self.tty else 5.0) and p.finished < p.total:
            return
        self.last = now
        self.out.write(self.render(p) + ("\r" if self.tty else "\n"))
        self.out.flush()

    def render(self, p: BatchProgress) -> str:
        share = p.finished / p.total if p.total else 1.0
        filled = int(share * self.width)
        rate = p.finished / p.elapsed if p.elapsed > 0 else 0.0
        bar = "#" * filled + "." * (self.width - filled)
        extra = f" failed {p.failed}" if p.failed else ""
        extra += f" unknown {p.unknown}" if p.unknown else ""
        return f"[{bar}] {p.finished}/{p.total} in flight {p.in_flight}{extra} {rate:.1f} items/s"

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")


def _provider(stack: contextlib.ExitStack, args: argparse.Namespace) -> Any:
    """The chat client, chosen like every ``genai`` command's. The batch retries a 429 across
    all its items itself, so the client retries nothing unless --max-retries says so."""
    target = resolve_target(args)
    if target.max_retries is None:
        target = dataclasses.replace(target, max_retries=0)
    return open_client(stack, target)


def _engine(
    stack: contextlib.ExitStack, args: argparse.Namespace
) -> ChatEngine | AsyncInferenceEngine:
    if args.async_target:
        if not args.public_url:
            raise ValidationError(
                "--async-target needs --public-url: the HTTPS address (a tunnel or proxy to "
                "--listen) Baseten delivers the outputs to"
            )
        host, port = split_host_port(args.listen)
        secrets = [s for s in os.environ.get(SECRET_ENV, "").split(",") if s]
        if not secrets:
            raise ValidationError(
                f"--async-target needs the webhook secret in ${SECRET_ENV} (comma-separated "
                "during a rotation): every delivery is verified"
            )
        # The key comes the way every command's does: --api-key-env / --api-key-stdin /
        # --api-key, $BASETEN_API_KEY, then the key stored with `genai keys set baseten`.
        key_args = argparse.Namespace(**{**vars(args), "provider": "baseten", "replay": None})
        api_key = resolve_target(key_args, model_required=False).api_key
        return AsyncInferenceEngine(
            args.async_target,
            webhook_secret=secrets,
            public_url=args.public_url,
            host=host,
            port=port,
            api_key=api_key,
        )
    return ChatEngine(_provider(stack, args), concurrency=args.concurrency)


def split_host_port(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT``, on 127.0.0.1) of ``--listen``, checked by :func:`host_port`."""
    host, _, port = host_port(value).rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def run(args: argparse.Namespace) -> int:
    """Run the batch; write every item's outcome to ``--out``. Exit 0 when all succeeded, 1
    when some failed (their errors are in the results)."""
    if args.public_url and not args.async_target:
        raise UsageError(
            "--public-url is used only with --async-target (where Baseten delivers the outputs); "
            "chat calls need no public address"
        )
    try:
        with open(args.input, "rb"):
            pass  # readable now: an error here is the command line's, not the batch's
    except OSError as exc:
        raise UsageError(f"PROMPTS.jsonl {args.input}: {exc.strerror or exc}") from None
    with contextlib.ExitStack() as stack:
        engine = _engine(stack, args)
        options = []
        if args.max_tokens is not None or args.temperature is not None:
            options.append(TextOptions(max_tokens=args.max_tokens, temperature=args.temperature))
        bar = None if args.no_progress else ProgressBar(sys.stderr)
        try:
            results = gen_batch(
                read_prompts(args.input),
                *options,
                engine=engine,
                state=args.state or f"{args.out}.state.sqlite",
                progress=bar,
                retry_failed=args.retry_failed,
            )
        finally:
            if bar is not None:
                bar.close()
    failed = 0
    tmp = f"{args.out}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for item in results:
            line: dict[str, Any] = {"index": item.index, "status": item.status}
            if item.ok:
                out = item.output
                if isinstance(engine, ChatEngine):
                    line["text"] = out.text
                else:
                    line["output"] = out
            else:
                failed += 1
                line["error"] = str(item.error) if item.error else item.status
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)  # a reader never sees half a results file
    return 1 if failed else 0
