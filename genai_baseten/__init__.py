"""Baseten provider for genai_core: Model APIs chat, streaming and model listing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .client import API_KEY_URL, BASE_URL, AsyncClient, Client
from .options import Options

if TYPE_CHECKING:
    from genai_core.registry import Registrar

__all__ = ["API_KEY_URL", "BASE_URL", "AsyncClient", "Client", "Options", "register"]


def register(registrar: Registrar) -> None:
    """Entry point of group ``genai.providers``: registers ``baseten``."""
    registrar.register("baseten", Client, AsyncClient)
