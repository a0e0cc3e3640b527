"""The smoke runners with real clients: over httpx.MockTransport (authored answers), recorded
against a loopback server then replayed, and the ``genai smoke`` command."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fakeserver
import httpx
import pytest
from fakeserver import fake_server
from harness.chat import ChatAnswer

import genai_baseten
from genai_core import cli
from genai_core.errors import AuthenticationError, MissingAPIKeyError, ValidationError
from genai_core.registry import UnknownProviderError
from scoreboard import scenarios as sc
from scoreboard.recordings import Cassettes, model_directory
from scoreboard.schema import Feature, ModeScore, ProviderScore, Status, UnknownEntryError
from scoreboard.smoke import SmokeAbortedError, SmokeReport, arun_smoke, run_smoke

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/gpt-oss-120b"
KEY = "smoke-test-key-0123456789"
IMAGES = (
    sc.ImageInput.inline(sc.banana_png(), "png"),
    sc.ImageInput.from_url(sc.DEFAULT_IMAGE_URL),
)


# --- an authored model behind httpx.MockTransport --------------------------------------------


def scenario_of(body: dict[str, Any]) -> str:
    """Which scenario a request body belongs to (the prompts are the scenarios' inputs)."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return "Tools-SquareRoot-2"
    content = last["content"]
    if isinstance(content, list):
        url = content[0]["image_url"]["url"]
        return "Image-Inline" if url.startswith("data:") else "Image-URL"
    if content == sc.SAY_HELLO:
        return "Seed" if "seed" in body else "TopLogprobs" if "logprobs" in body else "Text"
    by_prompt = {
        sc.RELATIVITY: "MaxTokens",
        sc.CANADA: "Stop",
        sc.JSON_PROMPT: "JSON",
        sc.JSON_SCHEMA_PROMPT: "JSONSchema",
        sc.BIAS_PROMPTS["Canada"]: "Tools-ToolBias-Canada",
        sc.BIAS_PROMPTS["USA"]: "Tools-ToolBias-USA",
        sc.QUACKILAND_QUESTION: "Citations",
    }
    if content == sc.SQUARE_ROOT_PROMPT:
        return "Tools-SquareRoot-1" + ("" if body.get("tool_choice") == "required" else "-any")
    return by_prompt[content]


GOOD: dict[str, ChatAnswer] = {
    "Text": ChatAnswer(content="Hello", reasoning="A greeting."),
    "Seed": ChatAnswer(content="Hello"),
    "TopLogprobs": ChatAnswer(content="Hello"),  # logprobs asked for, none given
    "MaxTokens": ChatAnswer(reasoning="The user wants a long", finish="length"),
    "Stop": ChatAnswer(content="Canada "),
    "JSON": ChatAnswer(content='{"is_fruit": true}'),
    "JSONSchema": ChatAnswer(content='{"is_fruit": true}'),
    "Tools-SquareRoot-1": ChatAnswer(
        tool_calls=[("call_1", "square_root", '{"number": 132413}')], finish="tool_calls"
    ),
    "Tools-SquareRoot-1-any": ChatAnswer(
        tool_calls=[("call_2", "square_root", '{"number": 132413}')], finish="tool_calls"
    ),
    "Tools-SquareRoot-2": ChatAnswer(content="363.89"),
    "Tools-ToolBias-Canada": ChatAnswer(
        tool_calls=[("c1", "best_country", '{"country": "Canada"}')], finish="tool_calls"
    ),
    "Tools-ToolBias-USA": ChatAnswer(
        tool_calls=[
            ("u1", "best_country", '{"country": "USA"}'),
            ("u2", "best_country", '{"country": "Canada"}'),
        ],
        finish="tool_calls",
    ),
    "Citations": ChatAnswer(content="Quack."),
    "Image-Inline": ChatAnswer(
        status=400, error={"error": {"message": "image_url is not supported"}}
    ),
    "Image-URL": ChatAnswer(content="Banana"),
}


def handler(
    overrides: dict[str, ChatAnswer] | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    answers = {**GOOD, **(overrides or {})}

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Api-Key {KEY}"
        body = json.loads(request.content)
        return answers[scenario_of(body)].response(body.get("stream") is True)

    return handle


def sync_factory(overrides: dict[str, ChatAnswer] | None = None) -> Callable[[str], Any]:
    transport = httpx.MockTransport(handler(overrides))
    return lambda name: genai_baseten.Client(
        model=MODEL, api_key=KEY, transport=transport, max_retries=0
    )


def async_factory(overrides: dict[str, ChatAnswer] | None = None) -> Callable[[str], Any]:
    transport = httpx.MockTransport(handler(overrides))
    return lambda name: genai_baseten.AsyncClient(
        model=MODEL, api_key=KEY, transport=transport, max_retries=0
    )


def statuses(score: ModeScore | None) -> dict[str, Status]:
    assert score is not None
    return {name: cell.status for name, cell in score.cells()}


def test_sync_run_through_the_baseten_client() -> None:
    report = run_smoke(sync_factory(), MODEL, provider="baseten", images=IMAGES)
    sync, stream = statuses(report.entry.sync), statuses(report.entry.stream)
    # Both modes got the same answers, so the same cells.
    assert sync == stream
    assert sync["features.tools"] is Status.YES
    assert sync["features.tool_indecision"] is Status.YES  # USA: one call per country
    assert sync["features.parallel_tools"] is Status.YES
    assert sync["features.tool_bias"] is Status.FLAKY  # Canada biased, USA hesitated
    assert sync["features.top_logprobs"] is Status.NO
    assert sync["features.max_tokens"] is Status.YES  # reasoning only, cut at length
    assert sync["features.stop"] is Status.YES
    assert sync["features.image_inline"] is Status.NO
    assert sync["features.image_url"] is Status.YES
    assert sync["inputs.image"] is Status.YES
    assert sync["features.reasoning"] is Status.YES
    assert sync["features.rate_limits"] is Status.NO
    assert report.warnings == ()
    assert report.usage.total_tokens == 25 * sum(o.result is not None for o in report.outcomes)


@pytest.mark.anyio
async def test_async_run_gives_the_same_entry_as_the_sync_run() -> None:
    overrides = {"Stop": ChatAnswer(status=500, error={"error": "Internal Server Error"})}
    expected = run_smoke(sync_factory(overrides), MODEL, provider="baseten", images=IMAGES)
    got = await arun_smoke(async_factory(overrides), MODEL, provider="baseten", images=IMAGES)
    assert got.entry == expected.entry
    assert got.warnings == expected.warnings
    assert got.entry.cell(Feature.STOP, "stream").status is Status.UNKNOWN


def test_flaky_paths_through_the_client() -> None:
    overrides = {
        # Forcing refused: the -any retry's call counts, tool_choice_required is no.
        "Tools-SquareRoot-1": ChatAnswer(
            status=400, error={"error": {"message": "tool_choice required is not supported"}}
        ),
        # A judged answer with all-zero usage: usage flaky.
        "JSON": ChatAnswer(
            content='{"is_fruit": true}',
            usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        ),
        # An unexpected finish reason: finish reason flaky.
        "Citations": ChatAnswer(content="Quack.", finish="length"),
    }
    report = run_smoke(sync_factory(overrides), MODEL, provider="baseten", images=IMAGES)
    for mode in ("sync", "stream"):
        got = statuses(report.entry.mode(mode))
        assert got["features.tool_choice_required"] is Status.NO, mode
        assert got["features.tools"] is Status.YES, mode
        assert got["features.usage"] is Status.FLAKY, mode
        assert got["features.finish_reason"] is Status.FLAKY, mode
    scenarios = [o.cassette for o in report.outcomes]
    assert "GenSync-Tools-SquareRoot-1-any" in scenarios
    assert "GenStream-Tools-SquareRoot-1-any" in scenarios


def test_a_wrong_key_stops_the_run() -> None:
    denied = ChatAnswer(status=403, error={"error": "please check the api-key you provided"})
    overrides = dict.fromkeys(GOOD, denied)
    with pytest.raises(SmokeAbortedError, match=r"GenSync-Text: .*403"):
        run_smoke(sync_factory(overrides), MODEL, provider="baseten", images=IMAGES)


# --- cassettes: record against a loopback server, then replay -------------------------------


def record_fake(root: Path, url: str) -> SmokeReport:
    with Cassettes("baseten", MODEL, mode="record", root=root, base_url=url, api_key=KEY) as c:
        return run_smoke(c, MODEL, provider="baseten", images=IMAGES, recorded=c.recorded)


def test_record_then_replay_gives_the_same_entry(tmp_path: Path) -> None:
    with fake_server() as server:
        recorded = record_fake(tmp_path, server.url)
        requests = len(server.requests)
    # The shipped scoreboard says gpt-oss-120b reasons: its cassettes go to the _thinking directory.
    directory = tmp_path / model_directory(MODEL, thinking=True)
    files = sorted(p.name for p in directory.iterdir())
    assert "GenSync-Text.yaml" in files
    assert "GenStreamMultiModal-Image-png-Inline.yaml" in files
    assert len(files) == requests  # one cassette per scenario
    assert not any(KEY in p.read_text() for p in directory.iterdir())
    replayer = Cassettes("baseten", MODEL, mode="replay", root=tmp_path, base_url=server.url)
    replayed = run_smoke(
        replayer, MODEL, provider="baseten", images=IMAGES, recorded=replayer.recorded
    )
    assert replayed.entry == recorded.entry
    today = datetime.date.today().isoformat()
    src = replayed.entry.cell(Feature.USAGE, "sync").source
    assert src is not None and src.recorded == today


@pytest.mark.anyio
async def test_async_replay_of_recorded_cassettes(tmp_path: Path) -> None:
    with fake_server() as server:
        recorded = record_fake(tmp_path, server.url)
    replayer = Cassettes("baseten", MODEL, mode="replay", root=tmp_path, base_url=server.url)
    replayed = await arun_smoke(
        replayer.async_provider,
        MODEL,
        provider="baseten",
        images=IMAGES,
        recorded=replayer.recorded,
    )
    assert replayed.entry == recorded.entry


def test_a_missing_cassette_says_how_to_record_it(tmp_path: Path) -> None:
    cassettes = Cassettes("baseten", MODEL, mode="replay", root=tmp_path)
    with pytest.raises(SmokeAbortedError) as info:
        run_smoke(cassettes, MODEL, provider="baseten", images=IMAGES)
    msg = str(info.value)
    assert str(tmp_path / "openai" / "gpt-oss-120b" / "GenSync-Text.yaml") in msg
    assert (
        f"BASETEN_API_KEY=... genai smoke --provider baseten --model {MODEL} --record "
        f"--cassettes {tmp_path}"
    ) in msg
    assert "--thinking" not in msg  # no cassette directory says the model reasons


def test_recording_without_a_key_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        Cassettes("baseten", MODEL, mode="record", root=tmp_path)
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        Cassettes("baseten", MODEL, mode="live")


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError, match=r"known providers: .*baseten"):
        Cassettes("nope", MODEL)


def test_replay_picks_the_thinking_directory_and_refuses_two(tmp_path: Path) -> None:
    (tmp_path / "openai" / "gpt-oss-120b_thinking").mkdir(parents=True)
    assert Cassettes("baseten", MODEL, root=tmp_path).thinking is True
    (tmp_path / "openai" / "gpt-oss-120b").mkdir()
    with pytest.raises(ValidationError, match="--thinking"):
        Cassettes("baseten", MODEL, root=tmp_path)
    assert Cassettes("baseten", MODEL, root=tmp_path, thinking=False).thinking is False


def test_cli_chooses_between_the_two_directories(
    recorded_dir: tuple[Path, str, SmokeReport], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, url, _ = recorded_dir
    (root / model_directory(MODEL, thinking=False)).mkdir()  # an empty plain directory too
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(root), "--base-url", url]
    assert cli.main(argv) == 2  # ambiguous: a configuration error, nothing sent
    assert "say which to replay with --thinking or --no-thinking" in capsys.readouterr().err
    assert cli.main([*argv, "--thinking"]) == 0
    assert "gpt-oss-120b_thinking)" in capsys.readouterr().err
    assert cli.main([*argv, "--no-thinking"]) == 1
    err = capsys.readouterr().err
    assert str(root / model_directory(MODEL, thinking=False) / "GenSync-Text.yaml") in err
    assert err.rstrip().endswith(f"--record --cassettes {root} --no-thinking")


def test_model_directory_replaces_colons() -> None:
    assert model_directory("org/m:free", thinking=True) == "org/m-free_thinking"


# --- genai smoke --------------------------------------------------------------------------


@pytest.fixture
def recorded_dir(tmp_path: Path) -> tuple[Path, str, SmokeReport]:
    with fake_server() as server:
        report = record_fake(tmp_path / "cassettes", server.url)
    return tmp_path / "cassettes", server.url, report


def image_args(tmp_path: Path) -> list[str]:
    png = tmp_path / "banana.png"
    png.write_bytes(sc.banana_png())
    return ["--image", str(png), "--image-url", sc.DEFAULT_IMAGE_URL]


def test_cli_replays_and_prints_json(
    recorded_dir: tuple[Path, str, SmokeReport], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, url, report = recorded_dir
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(root), "--base-url", url]
    assert cli.main([*argv, *image_args(tmp_path), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    expected = ProviderScore(provider="baseten", models=(report.entry,)).to_dict()["models"][0]
    assert data["entry"] == expected
    assert data["model"] == MODEL
    assert err.startswith("replay: baseten openai/gpt-oss-120b (")


def test_cli_table_lists_every_cell(
    recorded_dir: tuple[Path, str, SmokeReport], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, url, _ = recorded_dir
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(root), "--base-url", url]
    assert cli.main([*argv, *image_args(tmp_path)]) == 0
    out = capsys.readouterr().out
    for feature in Feature:
        assert f"features.{feature.value} " in out
    assert "inputs.text " in out
    assert "usage: " in out


def test_cli_update_replaces_the_entry_and_keeps_its_tier(
    recorded_dir: tuple[Path, str, SmokeReport], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, url, report = recorded_dir
    target = tmp_path / "scoreboard.json"
    shutil.copy(ROOT / "genai_baseten" / "scoreboard.json", target)
    before = ProviderScore.from_json(target.read_text())
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(root), "--base-url", url]
    assert cli.main([*argv, *image_args(tmp_path), "--update", str(target)]) == 0
    after = ProviderScore.from_json(target.read_text())
    entry = after.entry(MODEL)
    assert entry.tier == before.entry(MODEL).tier == "cheap"
    assert entry.sync == report.entry.sync
    assert entry.stream == report.entry.stream
    others = [e for e in after.models if MODEL not in e.models]
    assert others == [e for e in before.models if MODEL not in e.models]
    assert "updated " in capsys.readouterr().err


def test_cli_update_adds_a_model_the_file_does_not_list(
    recorded_dir: tuple[Path, str, SmokeReport], tmp_path: Path
) -> None:
    root, url, _ = recorded_dir
    target = tmp_path / "scoreboard.json"
    target.write_text(ProviderScore(provider="baseten").to_json())
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(root), "--base-url", url]
    assert cli.main([*argv, *image_args(tmp_path), "--update", str(target)]) == 0
    after = ProviderScore.from_json(target.read_text())
    assert after.model_ids() == [MODEL]
    assert after.models[0].tier is None


def test_cli_record_without_a_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["smoke", "--model", MODEL, "--record", "--cassettes", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "set BASETEN_API_KEY" in err
    assert "genai keys set baseten" in err


def test_cli_missing_cassette(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["smoke", "--model", "x/y", "--replay", "--cassettes", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "GenSync-Text.yaml does not exist" in err
    assert "genai smoke --provider baseten --model x/y --record" in err


def test_cli_unknown_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["smoke", "--provider", "nope", "--model", "m", "--replay"]) == 2
    assert "known providers: " in capsys.readouterr().err


def test_cli_requires_a_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["smoke", "--model", "m"]) == 2
    assert "--replay" in capsys.readouterr().err


# --- replay: what the recordings hold ---------------------------------------------------------


def test_a_scenario_refused_before_sending_replays_without_a_cassette(tmp_path: Path) -> None:
    # The client refuses a PDF where the scenario expects an image before any request, so
    # recording writes no cassette for it; replaying must refuse it the same way, not stop.
    pdf = sc.ImageInput.inline(b"%PDF-1.4 not really", "pdf")
    images = (*IMAGES, pdf)
    with fake_server() as server:
        with Cassettes(
            "baseten", MODEL, mode="record", root=tmp_path, base_url=server.url, api_key=KEY
        ) as c:
            recorded = run_smoke(c, MODEL, provider="baseten", images=images, recorded=c.recorded)
        replayer = Cassettes("baseten", MODEL, mode="replay", root=tmp_path, base_url=server.url)
    directory = replayer.directory
    assert not list(directory.glob("*Image-pdf-Inline*"))
    replayed = run_smoke(
        replayer, MODEL, provider="baseten", images=images, recorded=replayer.recorded
    )
    assert replayed.entry == recorded.entry
    refused = [o for o in replayed.outcomes if o.call.scenario == "Image-pdf-Inline"]
    assert [type(o.error).__name__ for o in refused] == ["NotSupportedError"] * 2
    assert replayer.recorded("GenSyncMultiModal-Image-pdf-Inline") is None


def test_a_model_without_cassettes_names_the_models_that_have_some(
    recorded_dir: tuple[Path, str, SmokeReport],
) -> None:
    root, url, _ = recorded_dir
    cassettes = Cassettes("baseten", "zai-org/GLM-5.2", mode="replay", root=root, base_url=url)
    with pytest.raises(SmokeAbortedError) as info:
        run_smoke(cassettes, "zai-org/GLM-5.2", provider="baseten", images=IMAGES)
    msg = str(info.value)
    assert "GenSync-Text.yaml does not exist" in msg
    assert "neither zai-org/GLM-5.2 nor zai-org/GLM-5.2_thinking" in msg
    assert f"models with cassettes there: {MODEL};" in msg
    assert f"--model zai-org/GLM-5.2 --record --cassettes {root}" in msg


def test_a_missing_cassette_of_a_thinking_model_records_with_thinking(
    recorded_dir: tuple[Path, str, SmokeReport],
) -> None:
    root, url, _ = recorded_dir
    directory = root / model_directory(MODEL, thinking=True)
    (directory / "GenSync-Stop.yaml").unlink()
    cassettes = Cassettes("baseten", MODEL, mode="replay", root=root, base_url=url)
    with pytest.raises(SmokeAbortedError, match="GenSync-Stop") as info:
        run_smoke(cassettes, MODEL, provider="baseten", images=IMAGES)
    msg = str(info.value)
    assert str(directory / "GenSync-Stop.yaml") in msg
    assert msg.endswith(f"--record --cassettes {root} --thinking")
    assert "holds no cassette directory" not in msg  # the directory is there


def test_cli_replay_sends_the_images_the_cassettes_were_recorded_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Recorded with images that are not the defaults: a plain replay must still find them.
    images = (
        sc.ImageInput.inline(sc.banana_png(48), "png"),
        sc.ImageInput.from_url("http://127.0.0.1:9/fruit.webp"),
    )
    root = tmp_path / "cassettes"
    with (
        fake_server() as server,
        Cassettes(
            "baseten", MODEL, mode="record", root=root, base_url=server.url, api_key=KEY
        ) as c,
    ):
        recorded = run_smoke(c, MODEL, provider="baseten", images=images, recorded=c.recorded)
    replayer = Cassettes("baseten", MODEL, mode="replay", root=root, base_url=server.url)
    assert replayer.recorded_images() == images
    argv = ["smoke", "--model", MODEL, "--replay", "--cassettes", str(root)]
    assert cli.main([*argv, "--base-url", server.url, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    expected = ProviderScore(provider="baseten", models=(recorded.entry,)).to_dict()
    assert json.loads(out)["entry"] == expected["models"][0]
    assert "images: the recorded ones (Image-png-Inline, Image-webp-URL)" in err
    # Given on the command line, the images replace the recorded ones (and miss their cassettes).
    gif = tmp_path / "other.gif"
    gif.write_bytes(b"GIF89a not really")
    assert cli.main([*argv, "--base-url", server.url, "--image", str(gif)]) == 1
    assert "GenSyncMultiModal-Image-gif-Inline.yaml does not exist" in capsys.readouterr().err


def _authored_cassette(path: Path, headers: dict[str, list[str]]) -> None:
    """A one-interaction cassette in the recordings' JSON shape, written by this test."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": sc.SAY_HELLO}]}
    answer = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    data = {
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "url": "https://inference.baseten.co/v1/chat/completions",
                    "headers": {},
                    "body": json.dumps(body),
                },
                "response": {
                    "status_code": 200,
                    "headers": {"Content-Type": ["application/json"], **headers},
                    "body": json.dumps(answer),
                },
            }
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("headers", "day"),
    [
        ({"Date": ["Tue, 03 Mar 2026 23:59:59 GMT"]}, "2026-03-03"),
        ({"Date": ["Wed, 04 Mar 2026 01:00:00 +0200"]}, "2026-03-03"),  # UTC day
        # Baseten's stamp: milliseconds since 1970 (1772582400 s is 2026-03-04 00:00 UTC).
        ({"X-Baseten-Accepted-At": ["1772582400000"]}, "2026-03-04"),
        ({"X-Baseten-Accepted-At": ["1772582399999"]}, "2026-03-03"),
        ({"Date": ["not a date"]}, None),
        ({}, None),
    ],
)
def test_an_undated_cassette_takes_the_servers_date(
    tmp_path: Path, headers: dict[str, list[str]], day: str | None
) -> None:
    _authored_cassette(tmp_path / MODEL / "GenSync-Text.json", headers)
    cassettes = Cassettes("baseten", MODEL, mode="replay", root=tmp_path)
    assert cassettes.recorded("GenSync-Text") == day


# --- live and record runs check the model first -----------------------------------------------


def test_cli_live_run_of_a_model_the_provider_does_not_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    with fake_server() as server:
        argv = ["smoke", "--model", "nope/x", "--live", "--base-url", server.url]
        assert cli.main(argv) == 2
        paths = [r.target for r in server.requests]
    err = capsys.readouterr().err
    assert err.startswith("error: baseten does not list the model 'nope/x'; it lists: ")
    assert fake_server_model() in err
    assert paths == ["/v1/models"]  # nothing else was sent


def fake_server_model() -> str:
    return fakeserver.MODEL


def test_cli_live_run_of_a_listed_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    model = fake_server_model()
    with fake_server() as server:
        argv = ["smoke", "--model", model, "--live", "--base-url", server.url]
        assert cli.main([*argv, *image_args(tmp_path)]) == 0
        paths = [r.target for r in server.requests]
    assert paths[0] == "/v1/models"
    assert paths.count("/v1/models") == 1
    assert len(paths) > 20  # then the scenarios
    assert capsys.readouterr().err.startswith(f"live: baseten {model}\n")


def _listing(status: int, body: dict[str, Any]) -> Callable[[str], Cassettes]:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/models"
        return httpx.Response(status, json=body)

    return lambda model: Cassettes(
        "baseten", model, mode="live", api_key=KEY, transport=httpx.MockTransport(handle)
    )


def test_check_model() -> None:
    listed = _listing(200, {"data": [{"id": "a/one"}, {"id": MODEL}]})
    listed(MODEL).check_model()
    with pytest.raises(UnknownEntryError, match=f"it lists: a/one, {MODEL}$"):
        listed("a/two").check_model()
    # A refused key says so before any scenario; a listing that fails otherwise is not a check.
    denied = _listing(403, {"error": "please check the api-key you provided"})
    with pytest.raises(AuthenticationError):
        denied(MODEL).check_model()
    _listing(500, {"error": "down"})("a/two").check_model()
    _listing(200, {"data": []})("a/two").check_model()


def test_cli_record_names_the_cassettes_an_earlier_run_left(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    model = fake_server_model()
    png, gif = tmp_path / "a.png", tmp_path / "b.gif"
    png.write_bytes(sc.banana_png(32))
    gif.write_bytes(b"GIF89a not really")
    root = tmp_path / "cassettes"
    with fake_server() as server:
        argv = ["smoke", "--model", model, "--record", "--cassettes", str(root)]
        argv += ["--base-url", server.url, "--no-thinking"]
        assert cli.main([*argv, "--image", str(png)]) == 0
        assert "stale: " not in capsys.readouterr().err
        assert cli.main([*argv, "--image", str(gif)]) == 0
    stale = [line for line in capsys.readouterr().err.splitlines() if line.startswith("stale: ")]
    directory = root / model_directory(model, thinking=False)
    assert [line.split()[1] for line in stale] == [
        str(directory / "GenStreamMultiModal-Image-png-Inline.yaml"),
        str(directory / "GenSyncMultiModal-Image-png-Inline.yaml"),
    ]
