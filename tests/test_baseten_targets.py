"""Target: built from parts and parsed from the URLs Baseten's docs and dashboard show; every URL
family built from it. Expected URLs are written from the URL matrix of the docs (predict,
async_predict, wake, sync/v1, run_remote, async_request) by hand."""

from __future__ import annotations

import pytest

import genai_baseten
from genai_baseten import Target
from genai_core import ValidationError

M = "https://model-abcd1234.api.baseten.co"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{M}/environments/staging/predict", Target.model("abcd1234", environment="staging")),
        (f"{M}/environments/production/predict", Target.model("abcd1234")),
        (f"{M}/production/predict", Target.model("abcd1234")),
        (f"{M}/production/async_predict", Target.model("abcd1234")),
        (f"{M}/deployment/q7x2m4p/predict", Target.model("abcd1234", deployment_id="q7x2m4p")),
        (f"{M}/deployment/q7x2m4p/wake", Target.model("abcd1234", deployment_id="q7x2m4p")),
        (f"{M}/development/sync/v1", Target.model("abcd1234", development=True)),
        (f"{M}/development/predict", Target.model("abcd1234", environment="development")),
        (
            f"{M}/environments/staging/sync/v1/chat/completions",
            Target.model("abcd1234", environment="staging"),
        ),
        (f"{M}/", Target.model("abcd1234")),
        ("model-abcd1234.api.baseten.co/production/predict", Target.model("abcd1234")),
        ("HTTPS://MODEL-ABCD1234.API.BASETEN.CO/production/predict", Target.model("abcd1234")),
        ("chain-xyz9.api.baseten.co/environments/production/run_remote", Target.chain("xyz9")),
        (
            "https://chain-xyz9.api.baseten.co/deployment/d1/async_run_remote",
            Target.chain("xyz9", deployment_id="d1"),
        ),
        (
            "https://chain-xyz9.api.baseten.co/development/run_remote",
            Target.chain("xyz9", development=True),
        ),
        ("https://inference.baseten.co/v1", Target.model_apis()),
        ("https://inference.baseten.co/v1/chat/completions", Target.model_apis()),
        ("https://bridge.baseten.co/abcd1234/v1", Target.bridge("abcd1234")),
        (
            "https://app.baseten.co/models/abcd1234/logs/q7x2m4p",
            Target.model("abcd1234", deployment_id="q7x2m4p"),
        ),
    ],
)
def test_parse_url_matrix(url: str, expected: Target) -> None:
    assert Target.parse(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "url is empty"),
        ("http://model-abcd1234.api.baseten.co/production/predict", "https://"),
        ("https://example.com/production/predict", "not a Baseten endpoint"),
        ("https://model-.api.baseten.co/production/predict", "not a Baseten endpoint"),
        (f"{M}/environments/", "environment name"),
        (f"{M}/deployment", "deployment id"),
        (f"{M}/staging/predict", "must start with"),
        (f"{M}/production/predcit", "unknown operation 'predcit'"),
        (f"{M}/production/predict?x=1", "query"),
        (f"{M}/async_request/abc", "get_async_request"),
        ("https://chain-x.api.baseten.co/production/predict", "unknown operation 'predict'"),
        ("https://bridge.baseten.co/", "bridge URL"),
    ],
)
def test_parse_rejects_malformed_urls(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Target.parse(url)


def test_parts_are_validated_and_named() -> None:
    with pytest.raises(ValidationError, match="environment and deployment_id are both given"):
        Target.model("abcd1234", environment="staging", deployment_id="q7x")
    with pytest.raises(ValidationError, match="deployment_id and development"):
        Target.model("abcd1234", deployment_id="q7x", development=True)
    with pytest.raises(ValidationError, match=r"model_id .* empty string"):
        Target.model("")
    with pytest.raises(ValidationError, match="model_id"):
        Target.model("ab/cd")
    with pytest.raises(ValidationError, match="chain_id"):
        Target.chain("x.y")
    with pytest.raises(ValidationError, match="deployment_id"):
        Target.model("abcd1234", deployment_id="../x")
    with pytest.raises(ValidationError, match="model_id must be a string"):
        Target.model(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="target must be a Target"):
        Target.of(42)  # type: ignore[arg-type]


def test_urls_of_every_endpoint_family() -> None:
    staging = Target.model("abcd1234", environment="staging")
    assert staging.predict_url() == f"{M}/environments/staging/predict"
    assert staging.async_predict_url() == f"{M}/environments/staging/async_predict"
    assert staging.async_queue_status_url() == f"{M}/environments/staging/async_queue_status"
    # Wake is documented for deployment/{id} and development only (docs.baseten.co,
    # inference-api/wake/deployment-wake and development-wake).
    with pytest.raises(ValidationError, match="current deployment"):
        staging.wake_url()
    assert Target.model("abcd1234", development=True).wake_url() == f"{M}/development/wake"
    assert staging.openai_base_url() == f"{M}/environments/staging/sync/v1"
    assert staging.sync_url("v1/models") == f"{M}/environments/staging/sync/v1/models"
    assert staging.async_request_url("0123abcd") == f"{M}/async_request/0123abcd"
    dev = Target.model("abcd1234", development=True)
    assert dev.predict_url() == f"{M}/development/predict"
    dep = Target.model("abcd1234", deployment_id="q7x")
    assert dep.wake_url() == f"{M}/deployment/q7x/wake"
    chain = Target.chain("xyz9", environment="staging")
    assert (
        chain.run_remote_url()
        == "https://chain-xyz9.api.baseten.co/environments/staging/run_remote"
    )
    assert chain.async_run_remote_url() == (
        "https://chain-xyz9.api.baseten.co/environments/staging/async_run_remote"
    )
    assert chain.async_request_url("ff00") == "https://chain-xyz9.api.baseten.co/async_request/ff00"
    assert Target.model_apis().openai_base_url() == "https://inference.baseten.co/v1"
    assert Target.bridge("abcd1234").openai_base_url() == "https://bridge.baseten.co/abcd1234/v1"


def test_urls_refused_where_the_family_does_not_exist() -> None:
    with pytest.raises(ValidationError, match=r"Target\.model"):
        Target.chain("xyz9").predict_url()
    with pytest.raises(ValidationError, match=r"Target\.chain"):
        Target.model("abcd1234").run_remote_url()
    with pytest.raises(ValidationError, match=r"/predict needs Target\.model"):
        Target.model_apis().predict_url()
    with pytest.raises(ValidationError, match="a deployment path"):
        _ = Target.bridge("abcd1234").path
    with pytest.raises(ValidationError, match="request_id"):
        Target.model("abcd1234").async_request_url("../x")
    with pytest.raises(ValidationError, match="route"):
        Target.model("abcd1234").sync_url("../../x")


def test_deployment_url_and_chat_client_use_targets() -> None:
    assert genai_baseten.deployment_url("abcd1234", environment="staging") == (
        f"{M}/environments/staging/sync/v1"
    )
    with pytest.raises(ValidationError, match="both given"):
        genai_baseten.deployment_url("abcd1234", environment="staging", deployment_id="q7x")
    client = genai_baseten.Client.for_target(f"{M}/production/predict", api_key="fake-key-123456")
    assert client.base_url == f"{M}/environments/production/sync/v1"
    aclient = genai_baseten.AsyncClient.for_target(Target.bridge("abcd1234"), api_key="k")
    assert aclient.base_url == "https://bridge.baseten.co/abcd1234/v1"
    with pytest.raises(ValidationError, match="only one"):
        genai_baseten.Client.for_target(Target.model_apis(), base_url="http://x/v1")
