"""``python -m benchmarks``: every benchmark, its results JSON and docs/performance.md.

::

    python -m benchmarks                 # full run (a few minutes): results + docs
    python -m benchmarks --quick         # smaller sizes, for a try-out (docs left alone)
    python -m benchmarks --check         # also compare ratios within this run, exit 1 if off
    python -m benchmarks --render FILE   # regenerate docs/performance.md from a results file

The comparison libraries are optional: ``pip install -e '.[bench]'`` installs the openai SDK and
LiteLLM; rows whose library is missing say so. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from . import report, scale, stream

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"
DOCS = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
PARTS = ("stream", "imports", "concurrency", "memory", "gen_sync", "gen_sync64", "profile")


def _log(msg: str) -> None:
    print(msg, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    parts = set(args.only or PARTS)
    res: dict[str, Any] = {
        "schema": 1,
        "command": "python -m benchmarks " + shlex.join(args.argv)
        if args.argv
        else "python -m benchmarks",
        "date": datetime.date.today().isoformat(),
        "machine": stream.machine_info(),
    }
    chunks = args.chunks or (1000 if quick else 5000)
    if "stream" in parts:
        _log("== per-chunk cost")
        res["stream"] = stream.run_stream(chunks, args.repeat or (3 if quick else 9), _log)
    if "imports" in parts:
        _log("== import time")
        res["imports"] = stream.measure_imports(3 if quick else 11, _log)
    if "concurrency" in parts:
        _log("== concurrent streams")
        res["concurrency"] = scale.run_concurrency(
            args.streams or (100 if quick else 1000),
            100,
            3 if quick else 5,
            _log,
        )
    if "memory" in parts:
        _log("== memory")
        lengths = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
        res["memory"] = scale.run_memory(lengths, _log)
    if "gen_sync" in parts:
        _log("== gen_sync, 1 MB")
        res["gen_sync"] = scale.run_gen_sync(3 if quick else 9, _log)
    if "gen_sync64" in parts:
        _log("== gen_sync, 64 threads")
        res["gen_sync64"] = scale.run_gen_sync_concurrent(
            64, 2 if quick else 10, 3 if quick else 7, _log
        )
    if "profile" in parts:
        _log("== profile")
        res["profile"] = stream.profile_client(chunks)
    res["check"] = report.check(res)
    return res


def _write_docs(docs: Path, res: dict[str, Any]) -> None:
    report.write_docs(docs, res)
    _log(f"wrote {docs}")
    if docs == DOCS and report.write_summary(README, res):
        _log(f"wrote the summary in {README}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes; does not touch the docs")
    ap.add_argument("--check", action="store_true", help="exit 1 if a ratio is out of bounds")
    ap.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    ap.add_argument("--chunks", type=int, help="JSON chunks in the per-chunk stream (5000)")
    ap.add_argument("--repeat", type=int, help="repetitions of the per-chunk rows (9)")
    ap.add_argument("--streams", type=int, help="concurrent streams (1000)")
    ap.add_argument(
        "--out", type=Path, help=f"results JSON (default {DEFAULT_OUT.relative_to(ROOT)})"
    )
    ap.add_argument("--docs", type=Path, default=DOCS, help="the Markdown file to update")
    ap.add_argument("--no-docs", action="store_true", help="do not update the Markdown file")
    ap.add_argument(
        "--render", type=Path, metavar="RESULTS", help="only regenerate the docs from RESULTS"
    )
    args = ap.parse_args(argv)
    args.argv = argv

    if args.render:
        res = json.loads(args.render.read_text(encoding="utf-8"))
        res["check"] = report.check(res)  # a pure function of the numbers: today's bounds
        _write_docs(args.docs, res)
        return 0
    if args.chunks is not None and args.chunks < 50:
        ap.error("--chunks must be >= 50")

    res = run(args)
    partial = args.quick or args.only or args.chunks or args.repeat or args.streams
    out = args.out or (None if partial else DEFAULT_OUT)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _log(f"wrote {out}")
    if not (args.no_docs or partial):
        _write_docs(args.docs, res)
    print()
    print(report.render(res))
    failed = [c for c in res["check"] if not c["ok"]]
    if args.check and failed:
        _log("ratio check FAILED: " + "; ".join(c["name"] for c in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
