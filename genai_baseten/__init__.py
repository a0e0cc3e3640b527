"""Baseten provider for genai_core: Model APIs and dedicated deployments (chat, streaming, model
listing, embeddings), on the generic OpenAI-compatible engine."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .baseten_options import Options
from .client import API_KEY_URL, BASE_URL, AsyncClient, Client, deployment_url, scoreboard

if TYPE_CHECKING:
    from genai_core.registry import Registrar

    from .async_client import (
        aasync_predict,
        acancel_async_request,
        aget_async_request,
        async_predict,
        cancel_async_request,
        get_async_request,
    )
    from .async_inference import (
        AsyncLimit,
        AsyncRateLimitError,
        AsyncRequest,
        AsyncRequestError,
        AsyncRequestStatus,
        CancelResult,
        InferenceRetryConfig,
        WebhookStatus,
    )
    from .batch import (
        AsyncInferenceEngine,
        BatchInput,
        BatchItem,
        BatchItemError,
        BatchProgress,
        BatchResults,
        ChatEngine,
        agen_batch,
        gen_batch,
    )
    from .batch_receiver import WebhookReceiver, webhook_asgi_app
    from .bridge import AsyncBridgeClient, BridgeClient
    from .chains import AsyncSubmission
    from .management import Chain, Deployment, DeploymentStatus, Environment, ManagedModel
    from .platform import AsyncPlatformClient, AsyncPredictStream, PlatformClient, PredictStream
    from .predict import DeploymentFailedError, PredictStreamError
    from .queue import QueueStatus
    from .targets import Target
    from .webhooks import (
        WebhookError,
        WebhookPayloadError,
        WebhookResult,
        WebhookSignatureError,
        sign_webhook,
        verify_webhook,
    )

__all__ = [
    "API_KEY_URL",
    "BASE_URL",
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


def register(registrar: Registrar) -> None:
    """Entry point of group ``genai.providers``: registers ``baseten``."""
    from genai_core.registry import ProviderDefaults

    defaults = ProviderDefaults(
        model="openai/gpt-oss-120b",
        api_key_env="BASETEN_API_KEY",
        base_url=BASE_URL,
        key_url=API_KEY_URL,
        options=Options,
        prices_in_model_list=True,
    )
    registrar.register("baseten", Client, AsyncClient, defaults=defaults)


# The Baseten platform beyond chat (predict, async inference, webhooks, management...):
# loaded on first use, so that `import genai_baseten` costs only the chat client.
_LAZY = {
    "AsyncBridgeClient": "bridge",
    "AsyncLimit": "async_inference",
    "AsyncPlatformClient": "platform",
    "AsyncPredictStream": "platform",
    "AsyncRateLimitError": "async_inference",
    "AsyncRequest": "async_inference",
    "AsyncRequestError": "async_inference",
    "AsyncRequestStatus": "async_inference",
    "AsyncSubmission": "chains",
    "BridgeClient": "bridge",
    "CancelResult": "async_inference",
    "Chain": "management",
    "Deployment": "management",
    "DeploymentFailedError": "predict",
    "DeploymentStatus": "management",
    "Environment": "management",
    "InferenceRetryConfig": "async_inference",
    "ManagedModel": "management",
    "PlatformClient": "platform",
    "PredictStream": "platform",
    "PredictStreamError": "predict",
    "QueueStatus": "queue",
    "Target": "targets",
    "WebhookError": "webhooks",
    "WebhookPayloadError": "webhooks",
    "WebhookReceiver": "batch_receiver",
    "WebhookResult": "webhooks",
    "WebhookSignatureError": "webhooks",
    "WebhookStatus": "async_inference",
    "aasync_predict": "async_client",
    "acancel_async_request": "async_client",
    "aget_async_request": "async_client",
    "async_predict": "async_client",
    "cancel_async_request": "async_client",
    "get_async_request": "async_client",
    "sign_webhook": "webhooks",
    "verify_webhook": "webhooks",
    "webhook_asgi_app": "batch_receiver",
}


# Batch generation runs on anyio (and sqlite3): loaded on first use, so that a sync application
# importing genai_baseten pays for neither.
_BATCH_NAMES = frozenset(
    {
        "AsyncInferenceEngine",
        "BatchInput",
        "BatchItem",
        "BatchItemError",
        "BatchProgress",
        "BatchResults",
        "ChatEngine",
        "agen_batch",
        "gen_batch",
    }
)


def __getattr__(name: str) -> Any:
    module = "batch" if name in _BATCH_NAMES else _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
