"""The OpenAI chat wire layer, sans-IO, and the generic ``openaicompatible`` provider on it.

``request`` builds bodies, ``response``, ``stream`` and ``stream_core`` parse answers,
``error_body`` reads error answers, ``embeddings`` and ``ratelimits`` handle their routes and
headers, ``client`` is the engine every OpenAI-compatible provider shares and ``compatible`` is
that engine with no extensions.

Imports go downward only: ``genai_core``'s neutral modules never import this package.
"""

from __future__ import annotations

from .chat_options import Options
from .compatible import AsyncOpenAICompatibleClient, OpenAICompatibleClient

__all__ = ["AsyncOpenAICompatibleClient", "OpenAICompatibleClient", "Options"]
