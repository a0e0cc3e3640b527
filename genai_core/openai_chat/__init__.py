"""The OpenAI chat wire layer, sans-IO, and the generic ``openaicompatible`` provider on it.

``request`` builds bodies, ``response``, ``stream`` and ``stream_core`` parse answers,
``error_body`` reads error answers, ``embeddings`` and ``ratelimits`` handle their routes and
headers. The engine every OpenAI-compatible provider shares is split by concern: ``config``
(what a client is built with, checked once), ``prepare`` (a call's inputs → the finished body),
``exchange`` (answers → results and errors, secrets removed) and ``client`` (the plans of each
call and the thin sync/async clients); ``compatible`` is that engine with no extensions.

Imports go downward only: ``genai_core``'s neutral modules never import this package.
"""

from __future__ import annotations

from .chat_options import Options
from .compatible import AsyncOpenAICompatibleClient, OpenAICompatibleClient

__all__ = ["AsyncOpenAICompatibleClient", "OpenAICompatibleClient", "Options"]
