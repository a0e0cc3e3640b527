"""The gpt-oss-120b entry of genai_baseten/scoreboard.json is what the smoke scenarios measure
when replayed over the real recordings in ``GENAI_WIRE_DIR`` (../shared/wire).

The recordings are read at run time, never copied into the repository; the image the
recordings sent inline and the image URL are read out of them too.
"""

from __future__ import annotations

import base64
import datetime
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import wire

from genai_core import cli
from scoreboard import scenarios as sc
from scoreboard.recordings import Cassettes
from scoreboard.schema import Feature, ProviderScore, Status
from scoreboard.smoke import SmokeReport, run_smoke

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/gpt-oss-120b"
MODEL_DIR = Path("openai") / "gpt-oss-120b_thinking"

pytestmark = pytest.mark.wire


@pytest.fixture(scope="module")
def scoreboard_dir() -> Path:
    root = wire.wire_dir()
    if root is None:
        pytest.skip(wire.SKIP_REASON)
    path = root / "baseten" / "Scoreboard"
    assert (path / MODEL_DIR).is_dir(), f"{path / MODEL_DIR} is missing from {root}"
    return path


def _request_body(path: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        json.loads(path.read_text())["interactions"][0]["request"]["body"]
    )
    return body


@pytest.fixture(scope="module")
def images(scoreboard_dir: Path) -> tuple[sc.ImageInput, ...]:
    """The inline JPEG and the URL the recorded image scenarios sent."""
    inline = _request_body(scoreboard_dir / MODEL_DIR / "GenSyncMultiModal-Image-jpg-Inline.json")
    data_url = inline["messages"][1]["content"][0]["image_url"]["url"]
    head, _, b64 = data_url.partition(",")
    assert head == "data:image/jpeg;base64"
    by_url = _request_body(scoreboard_dir / MODEL_DIR / "GenSyncMultiModal-Image-jpg-URL.json")
    url = by_url["messages"][1]["content"][0]["image_url"]["url"]
    return (sc.ImageInput.inline(base64.b64decode(b64), "jpg"), sc.ImageInput.from_url(url))


def replay(root: Path, images: tuple[sc.ImageInput, ...]) -> SmokeReport:
    cassettes = Cassettes("baseten", MODEL, mode="replay", root=root)
    assert cassettes.thinking  # only the _thinking directory exists
    return run_smoke(
        cassettes, MODEL, provider="baseten", images=images, recorded=cassettes.recorded
    )


@pytest.fixture(scope="module")
def report(scoreboard_dir: Path, images: tuple[sc.ImageInput, ...]) -> SmokeReport:
    return replay(scoreboard_dir, images)


def test_the_committed_entry_is_what_the_recordings_measure(report: SmokeReport) -> None:
    shipped = ProviderScore.from_json((ROOT / "genai_baseten" / "scoreboard.json").read_text())
    entry = shipped.entry(MODEL)
    assert entry.tier == "cheap"
    assert entry.sync == report.entry.sync, "regenerate: genai smoke ... --update (docs/cli.md)"
    assert entry.stream == report.entry.stream


def test_every_scenario_ran_against_its_recording(report: SmokeReport) -> None:
    ran = {o.cassette for o in report.outcomes}
    for prefix in ("GenSync-", "GenStream-"):
        for name in ("Text", "Stop", "Tools-SquareRoot-2", "Tools-ToolBias-USA"):
            assert prefix + name in ran
    assert "GenSyncMultiModal-Image-jpg-Inline" in ran
    assert "GenStreamMultiModal-Image-jpg-URL" in ran


def test_json_schema_cannot_be_measured_from_these_recordings(report: SmokeReport) -> None:
    # The recorded request has an empty json_schema.name (Baseten answered 400); this client
    # always names the schema, so the recording cannot answer it.
    for mode in ("sync", "stream"):
        cell = report.entry.cell(Feature.JSON_SCHEMA, mode)
        assert cell.status is Status.UNKNOWN
        assert cell.source is not None and "ReplayMismatchError" in (cell.source.note or "")
        assert "json_schema.name" in (cell.source.note or "")
    assert sum("JSONSchema" in w for w in report.warnings) == 2


def test_a_plain_replay_uses_the_images_the_recordings_sent(
    scoreboard_dir: Path, images: tuple[sc.ImageInput, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = Cassettes("baseten", MODEL, mode="replay", root=scoreboard_dir)
    assert cassettes.recorded_images() == images
    # So `genai smoke --replay` over the recordings, without --image, prints the committed entry.
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(scoreboard_dir)]
    assert cli.main([*argv, "--format", "json"]) == 0
    shipped = ProviderScore.from_json((ROOT / "genai_baseten" / "scoreboard.json").read_text())
    committed = ProviderScore(provider="baseten", models=(shipped.entry(MODEL),)).to_dict()
    printed = json.loads(capsys.readouterr().out)["entry"]
    for mode in ("sync", "stream"):
        assert printed[mode] == committed["models"][0][mode]


def test_cells_are_dated_by_the_servers_stamp(scoreboard_dir: Path, report: SmokeReport) -> None:
    # The recordings carry no date of their own; Baseten stamps each answer with the time it
    # accepted the request, in milliseconds.
    for name, feature in (("GenSync-Stop", Feature.STOP), ("GenStream-Seed", Feature.SEED)):
        data = json.loads((scoreboard_dir / MODEL_DIR / f"{name}.json").read_text())
        headers = data["interactions"][0]["response"]["headers"]
        millis = int(headers["X-Baseten-Accepted-At"][0])
        day = datetime.datetime.fromtimestamp(millis // 1000, datetime.timezone.utc).date()
        mode = "sync" if name.startswith("GenSync") else "stream"
        source = report.entry.cell(feature, mode).source
        assert source is not None and source.recorded == day.isoformat()


def _edit_response(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    response = data["interactions"][0]["response"]
    body = json.loads(response["body"])
    edit(body)
    response["body"] = json.dumps(body)
    path.write_text(json.dumps(data))


def _zero_usage(body: dict[str, Any]) -> None:
    body["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def _honour_stop(body: dict[str, Any]) -> None:
    body["choices"][0]["message"]["content"] = "Canada "
    body["choices"][0]["finish_reason"] = "stop"


@dataclass(frozen=True)
class Change:
    recording: str
    edit: Callable[[dict[str, Any]], None]
    feature: Feature
    before: Status
    after: Status


@pytest.mark.parametrize(
    "change",
    [
        # Text with all-zero usage: the provider does not report usage.
        Change("GenSync-Text.json", _zero_usage, Feature.USAGE, Status.YES, Status.NO),
        # A Stop answer that ends before the stop word: stop sequences work.
        Change("GenSync-Stop.json", _honour_stop, Feature.STOP, Status.NO, Status.YES),
    ],
    ids=["zero-usage", "stop-honoured"],
)
def test_a_changed_recording_changes_the_cell(
    tmp_path: Path,
    scoreboard_dir: Path,
    images: tuple[sc.ImageInput, ...],
    report: SmokeReport,
    change: Change,
) -> None:
    shutil.copytree(scoreboard_dir / MODEL_DIR, tmp_path / MODEL_DIR)
    _edit_response(tmp_path / MODEL_DIR / change.recording, change.edit)
    changed = replay(tmp_path, images)
    assert report.entry.cell(change.feature, "sync").status is change.before
    assert changed.entry.cell(change.feature, "sync").status is change.after
    # Only that recording changed: the stream mode measures what it did.
    assert changed.entry.stream == report.entry.stream
