"""The benchmark report: Markdown regenerated from a results file, and the ratio checks.

No timing here: the inputs are hand-written results, the outputs are text and verdicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import report


def _results(genai_us: float) -> dict[str, Any]:
    def row(
        case: str, label: str, us: float, floor: float, sdk: float, *, like: float | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "case": case,
            "label": label,
            "note": "",
            "median": us,
            "min": us * 0.9,
            "max": us * 1.2,
            "samples": [us],
            "ratio_to_floor": us / floor,
            "ratio_to_openai": us / sdk,
        }
        if like is not None:  # the floor with the same JSON decoder, (a=) here
            entry["ratio_like_for_like"] = us / like
        return entry

    rows = [
        row("a", "floor", 5.0, 5.0, 100.0),
        row("a=", "floor, scanner", 4.0, 5.0, 100.0),
        row("c", "genai Client", genai_us, 5.0, 100.0, like=4.0),
        row("e", "openai SDK", 100.0, 5.0, 100.0),
        {"case": "f", "label": "LiteLLM", "note": "skipped: litellm not installed"},
    ]
    return {
        "command": "python -m benchmarks",
        "date": "2026-01-02",
        "machine": {
            "cpu": "Some CPU",
            "cpu_count": 2,
            "platform": "Linux",
            "implementation": "CPython",
            "python": "3.11.7",
            "packages": {"httpx": "0.28.1", "litellm": None},
        },
        "stream": {
            "chunks": 5000,
            "bytes": 2_950_000,
            "mean_event_bytes": 590.0,
            "repeat": 9,
            "modes": {"4k": {"title": "4 KiB pieces", "pieces": 721, "rows": rows}},
        },
    }


def test_render_is_deterministic_and_complete() -> None:
    res = _results(6.0)
    text = report.render(res)
    assert text == report.render(res)
    assert text.startswith(report.BEGIN)
    assert text.rstrip().endswith(report.END)
    # Columns: µs, ÷ (a), min ÷ min, ÷ like-for-like floor (6.0 / 4.0), ÷ (ah) (not in these
    # results: empty), ÷ (e).
    assert "| (c) genai Client | 6.00 [5.40–7.20] | 1.20× | 1.20× | 1.50× (a=) |  | 0.06× |" in text
    assert "| (f) LiteLLM | skipped: litellm not installed | | | | | |" in text
    assert "Some CPU, 2 vCPUs" in text
    assert "not installed: litellm" in text


def test_write_docs_replaces_only_the_generated_section(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Title\n\nprose before\n\n{report.BEGIN}\nold\n{report.END}\n\nprose after\n")
    report.write_docs(doc, _results(6.0))
    first = doc.read_text()
    assert first.startswith("# Title\n\nprose before\n\n")
    assert first.endswith("\n\nprose after\n")
    assert "old" not in first
    assert "1.20×" in first
    report.write_docs(doc, _results(6.0))
    assert doc.read_text() == first  # regenerating from the same results changes nothing


def test_write_docs_appends_a_section_when_there_is_none(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Title\n")
    report.write_docs(doc, _results(6.0))
    assert doc.read_text().startswith("# Title\n\n" + report.BEGIN)


def test_check_compares_ratios_with_generous_bounds() -> None:
    ok = report.check(_results(6.0))
    names = [c["name"] for c in ok]
    assert names == ["stream 4k: (c) ÷ (a)", "stream 4k: (c) ÷ (e)"]
    assert all(c["ok"] for c in ok)
    slow = report.check(_results(12.0))  # 2.4x the floor: over the 2.0 bound
    assert [c["ok"] for c in slow] == [False, True]


def test_check_fails_on_a_wrong_result() -> None:
    res = _results(6.0)
    res["stream"]["modes"]["4k"]["rows"][1]["note"] = "WRONG text"
    failed = [c for c in report.check(res) if not c["ok"]]
    assert len(failed) == 1
    assert "WRONG text" in failed[0]["name"]


def test_targets_of_issue_14() -> None:
    res = _results(4.6)  # 4.6 / 4.0 = 1.15: within 1.2 of the like-for-like floor
    res["gen_sync64"] = {
        "threads": 64,
        "repeat": 7,
        "rows": [
            {"bytes": 4770, "ratio": 1.6, "floor_us": {}, "genai_us": {}},
            {"bytes": 1_071_346, "ratio": 1.04, "floor_us": {}, "genai_us": {}},
        ],
    }
    res["imports"] = {"over_floor_ms": 65.0}
    got = [(t["name"], round(t["value"], 2), t["target"], t["ok"]) for t in report.targets(res)]
    assert got == [
        ("per chunk, 4k: (c) ÷ (a=)", 1.15, 1.2, True),
        (
            "gen_sync at concurrency 64, 4,770-byte answer: genai CPU ÷ httpx + json.loads",
            1.6,
            1.05,
            False,
        ),
        (
            "gen_sync at concurrency 64, 1,071,346-byte answer: genai CPU ÷ httpx + json.loads",
            1.04,
            1.05,
            True,
        ),
        ("import genai_baseten − import httpx, pydantic, anyio (ms)", 65.0, 50.0, False),
    ]
    text = "\n".join(report.render_targets(res))
    assert "- per chunk, 4k: (c) ÷ (a=): 1.15 (target ≤ 1.20) — met" in text
    assert "(ms): 65.00 (target ≤ 50.00) — NOT met" in text


def test_import_check_is_relative_to_the_cost_of_a_pydantic_model() -> None:
    def cases(floor: float, model: float, genai: float) -> dict[str, Any]:
        names = ["import httpx, pydantic", "httpx + a pydantic model", "import genai_baseten"]
        return {
            "imports": {
                "cases": [
                    {"name": n, "median": m}
                    for n, m in zip(names, (floor, model, genai), strict=True)
                ]
            }
        }

    def item(res: dict[str, Any]) -> dict[str, Any]:
        (found,) = [c for c in report.check(res) if c["name"].startswith("import:")]
        return found

    # A machine twice as slow doubles every row: the ratio, (300-100)/(200-100) = 2, is the same.
    fast, slow = item(cases(100.0, 150.0, 200.0)), item(cases(200.0, 300.0, 400.0))
    assert fast["value"] == slow["value"] == 2.0 and fast["ok"] and slow["ok"]
    # genai's own modules costing three model-loads: (400-100)/(200-100) = 3, over the bound.
    assert not item(cases(100.0, 200.0, 400.0))["ok"]
