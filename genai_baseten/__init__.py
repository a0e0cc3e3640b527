"""Baseten provider for genai_core: Model APIs and dedicated deployments (chat, streaming, model
listing, embeddings), on the generic OpenAI-compatible engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .baseten_options import Options
from .bridge import AsyncBridgeClient, BridgeClient
from .chains import AsyncSubmission
from .client import API_KEY_URL, BASE_URL, AsyncClient, Client, deployment_url, scoreboard
from .management import Chain, Deployment, DeploymentStatus, Environment, ManagedModel
from .platform import AsyncPlatformClient, AsyncPredictStream, PlatformClient, PredictStream
from .predict import DeploymentFailedError, PredictStreamError
from .queue import QueueStatus
from .targets import Target

if TYPE_CHECKING:
    from genai_core.registry import Registrar

__all__ = [
    "API_KEY_URL",
    "BASE_URL",
    "AsyncBridgeClient",
    "AsyncClient",
    "AsyncPlatformClient",
    "AsyncPredictStream",
    "AsyncSubmission",
    "BridgeClient",
    "Chain",
    "Client",
    "Deployment",
    "DeploymentFailedError",
    "DeploymentStatus",
    "Environment",
    "ManagedModel",
    "Options",
    "PlatformClient",
    "PredictStream",
    "PredictStreamError",
    "QueueStatus",
    "Target",
    "deployment_url",
    "register",
    "scoreboard",
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
