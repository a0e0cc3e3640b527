"""The public surface: exported names, the error tree, and what importing the package costs.

The name lists are written out here on purpose: adding or removing a public name must be a
deliberate change to this file as well as to the module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import genai_baseten
import genai_core
import genai_core.openai_chat
import scoreboard
from genai_core import httprecord

# DESIGN.md's public names (types, options, tools, provider protocols, registry, errors) plus the
# helpers the package exports alongside them.
GENAI_CORE_ALL = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncProvider",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "Citation",
    "CitationSource",
    "DecodeError",
    "Doc",
    "Embeddings",
    "FinishReason",
    "GenAIError",
    "GenOption",
    "Logprob",
    "MalformedResponseError",
    "MaxTurnsError",
    "Message",
    "MissingAPIKeyError",
    "Model",
    "NotFoundError",
    "NotSupportedError",
    "Provider",
    "RateLimit",
    "RateLimitError",
    "Reply",
    "Request",
    "Result",
    "ServerError",
    "Stream",
    "StreamError",
    "TextOptions",
    "ToolArgumentsError",
    "ToolCall",
    "ToolCallResult",
    "ToolDef",
    "ToolError",
    "ToolExecutionError",
    "ToolLoopResult",
    "UnknownProviderError",
    "UnknownToolError",
    "UnsupportedInputError",
    "Usage",
    "ValidationError",
    "__version__",
    "arun_tool_calls",
    "arun_tool_loop",
    "cost",
    "get_async_provider",
    "get_provider",
    "keys",
    "provider_names",
    "register_provider",
    "run_tool_calls",
    "run_tool_loop",
    "total_cost",
]

GENAI_BASETEN_ALL = [
    "API_KEY_URL",
    "AsyncBridgeClient",
    "AsyncClient",
    "AsyncInferenceEngine",
    "AsyncLimit",
    "AsyncPlatformClient",
    "AsyncPredictStream",
    "AsyncRateLimitError",
    "AsyncRequest",
    "AsyncRequestError",
    "AsyncRequestStatus",
    "AsyncSubmission",
    "BASE_URL",
    "BatchInput",
    "BatchItem",
    "BatchItemError",
    "BatchProgress",
    "BatchResults",
    "BridgeClient",
    "CancelResult",
    "Chain",
    "ChatEngine",
    "Client",
    "Deployment",
    "DeploymentFailedError",
    "DeploymentStatus",
    "Environment",
    "InferenceRetryConfig",
    "ManagedModel",
    "Options",
    "PlatformClient",
    "PredictStream",
    "PredictStreamError",
    "QueueStatus",
    "Target",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookReceiver",
    "WebhookResult",
    "WebhookSignatureError",
    "WebhookStatus",
    "aasync_predict",
    "acancel_async_request",
    "agen_batch",
    "aget_async_request",
    "async_predict",
    "cancel_async_request",
    "deployment_url",
    "gen_batch",
    "get_async_request",
    "register",
    "scoreboard",
    "sign_webhook",
    "verify_webhook",
    "webhook_asgi_app",
]

GENAI_OPENAI_CHAT_ALL = [
    "AsyncOpenAICompatibleClient",
    "OpenAICompatibleClient",
    "Options",
]

GENAI_HTTPRECORD_ALL = [
    "CASSETTE_VERSION",
    "Cassette",
    "CassetteError",
    "ENV_VAR",
    "Interaction",
    "Matcher",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "ReplayMismatchError",
    "ReplayTransport",
    "SecretLeakError",
    "UnplayedInteractionsError",
    "match_json_body",
    "match_method",
    "match_url",
    "mode_from_env",
    "split_bytes",
    "split_events",
]

# The capability scoreboard: schema, tables by provider, queries and the tier rule.
SCOREBOARD_ALL = [
    "Cell",
    "FEATURE_HELP",
    "Feature",
    "MODALITIES",
    "MODES",
    "Match",
    "Modality",
    "Mode",
    "ModeScore",
    "ModelScore",
    "ProviderScore",
    "ScoreboardError",
    "SmokeAbortedError",
    "SmokeReport",
    "Source",
    "Status",
    "TIERS",
    "Tier",
    "UnknownEntryError",
    "arun_smoke",
    "find",
    "legend",
    "load",
    "model_family",
    "model_version",
    "parse_feature",
    "parse_mode",
    "parse_status",
    "parse_tier",
    "pick_tier",
    "providers",
    "render",
    "render_model",
    "run_smoke",
    "supports",
]

# Names DESIGN.md fixes; each must be public in genai_core.
DESIGN_NAMES = [
    "Message",
    "Request",
    "Reply",
    "Doc",
    "ToolCall",
    "ToolCallResult",
    "Citation",
    "Result",
    "Usage",
    "FinishReason",
    "Logprob",
    "Model",
    "RateLimit",
    "TextOptions",
    "ToolDef",
    "Provider",
    "AsyncProvider",
    "Stream",
    "AsyncStream",
    "get_provider",
    "get_async_provider",
]

# DESIGN.md's error list: name -> the documented parents (besides GenAIError).
ERROR_PARENTS: dict[str, tuple[str, ...]] = {
    "GenAIError": (),
    "APIError": (),
    "AuthenticationError": ("APIError",),
    "BadRequestError": ("APIError",),
    "NotFoundError": ("APIError",),
    "RateLimitError": ("APIError",),
    "ServerError": ("APIError",),
    "StreamError": ("APIError",),
    "MalformedResponseError": ("APIError",),
    "APIConnectionError": (),
    "APITimeoutError": ("APIConnectionError",),
    "NotSupportedError": (),
    "MissingAPIKeyError": (),
    "ValidationError": (),
    "DecodeError": ("ValidationError",),
    "ToolError": (),
    "ToolArgumentsError": ("ToolError", "ValidationError"),
    "UnknownToolError": ("ToolError",),
    "ToolExecutionError": ("ToolError",),
    "MaxTurnsError": ("ToolError",),
}


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (genai_core, GENAI_CORE_ALL),
        (genai_baseten, GENAI_BASETEN_ALL),
        (genai_core.openai_chat, GENAI_OPENAI_CHAT_ALL),
        (httprecord, GENAI_HTTPRECORD_ALL),
        (scoreboard, SCOREBOARD_ALL),
    ],
    ids=[
        "genai_core",
        "genai_baseten",
        "genai_core.openai_chat",
        "genai_core.httprecord",
        "scoreboard",
    ],
)
def test_all_is_pinned(module: Any, expected: list[str]) -> None:
    assert expected == sorted(expected)  # the list above is kept sorted
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "duplicate names in __all__"
    assert sorted(exported) == expected


@pytest.mark.parametrize(
    ("module_name", "expected"),
    [
        ("genai_core", GENAI_CORE_ALL),
        ("genai_baseten", GENAI_BASETEN_ALL),
        ("genai_core.openai_chat", GENAI_OPENAI_CHAT_ALL),
        ("genai_core.httprecord", GENAI_HTTPRECORD_ALL),
        ("scoreboard", SCOREBOARD_ALL),
    ],
)
def test_every_public_name_is_importable(module_name: str, expected: list[str]) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {module_name} import *", namespace)
    namespace.pop("__builtins__", None)
    assert sorted(namespace) == expected
    for name in expected:
        assert namespace[name] is not None


def test_design_names_are_public() -> None:
    missing = [n for n in DESIGN_NAMES if n not in genai_core.__all__]
    assert missing == []


def test_version_is_a_string() -> None:
    assert isinstance(genai_core.__version__, str)
    assert genai_core.__version__


def test_baseten_constants() -> None:
    assert genai_baseten.BASE_URL == "https://inference.baseten.co/v1"
    assert genai_baseten.API_KEY_URL.startswith("https://")


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "parents"), list(ERROR_PARENTS.items()))
def test_error_tree(name: str, parents: tuple[str, ...]) -> None:
    cls = getattr(genai_core, name)
    assert isinstance(cls, type)
    assert issubclass(cls, Exception)
    assert issubclass(cls, genai_core.GenAIError)
    for parent in parents:
        assert issubclass(cls, getattr(genai_core, parent)), f"{name} is not a {parent}"


def test_error_tree_details() -> None:
    g = genai_core
    assert issubclass(g.ValidationError, ValueError)
    assert issubclass(g.AuthenticationError, g.APIError)
    assert issubclass(g.APITimeoutError, g.APIConnectionError)
    assert not issubclass(g.APIConnectionError, g.APIError)
    assert not issubclass(g.APIError, g.APIConnectionError)
    for name in ("ValidationError", "NotSupportedError", "MissingAPIKeyError"):
        cls = getattr(g, name)
        assert not issubclass(cls, g.APIError)
        assert not issubclass(cls, g.APIConnectionError)
    assert issubclass(g.UnknownProviderError, g.GenAIError)


def test_error_modules_agree() -> None:
    from genai_core import errors

    for name in ERROR_PARENTS:
        assert getattr(errors, name) is getattr(genai_core, name)


def test_api_error_fields() -> None:
    err = genai_core.AuthenticationError(
        "please check the api-key you provided",
        status_code=401,
        body='{"error": "please check the api-key you provided"}',
        headers={"content-type": "application/json"},
        request_id="req-123",
    )
    assert err.status_code == 401
    assert err.message == "please check the api-key you provided"
    assert err.body.startswith("{")
    assert err.headers["content-type"] == "application/json"
    assert err.request_id == "req-123"
    text = str(err)
    assert "\n" not in text
    assert "401" in text
    assert "please check the api-key you provided" in text
    assert err.partial_result is None


def test_rate_limit_error_retry_after() -> None:
    err = genai_core.RateLimitError("slow down", status_code=429, retry_after=1.5)
    assert err.retry_after == 1.5
    assert genai_core.RateLimitError("slow down", status_code=429).retry_after is None


def test_not_supported_error_options() -> None:
    err = genai_core.NotSupportedError("no logprobs", ["TextOptions.top_logprobs"])
    assert err.options == ("TextOptions.top_logprobs",)


def test_missing_api_key_error_names_the_variable() -> None:
    err = genai_core.MissingAPIKeyError("baseten", "BASETEN_API_KEY")
    assert "BASETEN_API_KEY" in str(err)


# --- import cost ------------------------------------------------------------------------------

_IMPORT_PROBE = textwrap.dedent(
    """
    import json, socket, sys

    calls = []

    def _guard(what):
        def refuse(*args, **kwargs):
            calls.append(what)
            raise OSError("network disabled by the import probe: " + what)
        return refuse

    socket.socket.connect = _guard("socket.connect")
    socket.socket.connect_ex = _guard("socket.connect_ex")
    socket.getaddrinfo = _guard("getaddrinfo")
    socket.create_connection = _guard("create_connection")

    import genai_baseten  # the import under test

    loaded = sorted(sys.modules)

    import pydantic
    import genai_core.types

    complete, models, adapters = [], [], []
    for name, mod in list(sys.modules.items()):
        if not name.startswith(("genai_core", "genai_baseten")) or mod is None:
            continue
        for attr, value in list(vars(mod).items()):
            if isinstance(value, pydantic.TypeAdapter):
                adapters.append(name + "." + attr)
            if (
                isinstance(value, type)
                and issubclass(value, pydantic.BaseModel)
                and value.__module__ == name
            ):
                models.append(name + "." + attr)
                if value.__pydantic_complete__:
                    complete.append(name + "." + attr)

    report = {
        "network": calls,
        "modules": sorted(m for m in loaded if m.startswith("genai")),
        "loaded": loaded,
        "message_complete": genai_core.types.Message.__pydantic_complete__,
        "models": sorted(set(models)),
        "complete": sorted(set(complete)),
        "adapters": adapters,
    }
    with open(sys.argv[1], "w") as f:
        json.dump(report, f)
    """
)


@pytest.fixture(scope="module")
def import_probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("probe") / "report.json"
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, str(out)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    report["stdout"] = proc.stdout
    report["stderr"] = proc.stderr
    return report


def test_import_prints_nothing(import_probe: dict[str, Any]) -> None:
    assert import_probe["stdout"] == ""
    assert import_probe["stderr"] == ""


def test_import_does_no_network(import_probe: dict[str, Any]) -> None:
    assert import_probe["network"] == []


def test_import_skips_cli_and_recorder(import_probe: dict[str, Any]) -> None:
    modules = import_probe["modules"]
    assert "genai_baseten" in modules
    assert "genai_core.cli" not in modules
    assert not [m for m in modules if m.startswith("genai_core.httprecord")]


# Loaded on first use, never by ``import genai_baseten``: async support (an async client imports
# anyio when it first sleeps; httpx loads it for the first async request), package metadata
# (the registry's entry points), the registry itself, recording/replay, the capability tables
# (loaded by Client.scoreboard()), the CLI and comparison libraries.
NOT_IMPORTED = [
    "anyio",
    "sniffio",
    "trio",
    "asyncio",
    "importlib.metadata",
    "genai_core.registry",
    "genai_core.httprecord",
    "vcr",
    "yaml",
    "genai_core.cli",
    "scoreboard",
    "openai",
    "litellm",
]


@pytest.mark.parametrize("module", NOT_IMPORTED)
def test_import_leaves_out(import_probe: dict[str, Any], module: str) -> None:
    loaded = import_probe["loaded"]
    assert "genai_baseten.client" in loaded  # the probe saw the import
    assert module not in loaded, f"import genai_baseten imported {module}"


def test_import_genai_core_alone_is_light() -> None:
    # genai_core's names are loaded on first use: the package alone needs neither pydantic nor
    # httpx, and the first name used brings in its module.
    code = textwrap.dedent(
        """
        import json, sys
        import genai_core
        before = sorted(sys.modules)
        message = genai_core.Message.user("hi")
        from genai_core import get_provider
        print(json.dumps({"before": before, "after": sorted(sys.modules),
                          "text": message.requests[0].text, "dir": dir(genai_core)}))
        """
    )
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    before = set(report["before"])
    assert {"pydantic", "httpx", "genai_core.types", "genai_core.provider"} & before == set()
    assert "genai_core.errors" in before  # the errors are cheap and always there
    after = set(report["after"])
    assert {"pydantic", "genai_core.types", "genai_core.registry"} <= after
    assert report["text"] == "hi"
    assert set(GENAI_CORE_ALL) <= set(report["dir"])


def test_import_scoreboard_leaves_rendering_and_smoke_for_first_use() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        import scoreboard
        before = sorted(m for m in sys.modules if m.startswith(("scoreboard", "vcr", "yaml")))
        render = scoreboard.render
        run_smoke = scoreboard.run_smoke
        print(json.dumps({
            "before": before,
            "render": render.__module__,
            "smoke": run_smoke.__module__,
            "dir": dir(scoreboard),
        }))
        """
    )
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["before"] == [
        "scoreboard",
        "scoreboard.query",
        "scoreboard.render",
        "scoreboard.schema",
        "scoreboard.tables",
    ]
    assert (report["render"], report["smoke"]) == ("scoreboard.render", "scoreboard.smoke")
    assert set(SCOREBOARD_ALL) <= set(report["dir"])


def test_scoreboard_names_are_the_module_objects() -> None:
    import scoreboard.render
    from scoreboard import smoke

    # The function, not the module of the same name (imported just above).
    assert scoreboard.render is sys.modules["scoreboard.render"].render
    assert scoreboard.legend is sys.modules["scoreboard.render"].legend
    assert scoreboard.arun_smoke is smoke.arun_smoke
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        scoreboard.Nope  # noqa: B018


def test_lazy_names_are_the_module_objects() -> None:
    from genai_core import registry, types

    assert genai_core.Message is types.Message
    assert genai_core.get_provider is registry.get_provider
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        genai_core.Nope  # noqa: B018


def test_import_builds_no_validators(import_probe: dict[str, Any]) -> None:
    assert import_probe["message_complete"] is False
    # The probe did find the models (so an empty "complete" list means something).
    assert "genai_core.types.Message" in import_probe["models"]
    assert "genai_core.options.TextOptions" in import_probe["models"]
    assert "genai_baseten.baseten_options.Options" in import_probe["models"]
    assert import_probe["complete"] == []
    assert import_probe["adapters"] == []


def test_clients_satisfy_the_provider_protocols_statically() -> None:
    # mypy (strict, over tests/ too) checks these assignments: a client whose signature drifts
    # from the protocol fails CI's type check, not only this runtime assertion.
    sync: genai_core.Provider = genai_baseten.Client(model="m")
    asynchronous: genai_core.AsyncProvider = genai_baseten.AsyncClient(model="m")
    by_name: genai_core.Provider = genai_core.get_provider("baseten", model="m")
    assert sync.name == asynchronous.name == by_name.name == "baseten"
