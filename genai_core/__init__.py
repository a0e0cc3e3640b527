"""genai_core: one provider-neutral API for LLMs.

::

    import genai_core as genai

    client = genai.get_provider("baseten", model="openai/gpt-oss-120b")
    result = client.gen_sync([genai.Message.user("Say hello")], genai.TextOptions(max_tokens=50))
    print(result.text, result.usage.output_tokens)
"""

from __future__ import annotations

from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    GenAIError,
    MissingAPIKeyError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ServerError,
    StreamError,
    UnsupportedInputError,
    ValidationError,
)
from .options import GenOption, TextOptions
from .provider import AsyncProvider, AsyncStream, Provider, Stream
from .registry import (
    UnknownProviderError,
    get_async_provider,
    get_provider,
    provider_names,
    register_provider,
)
from .tools import ToolDef
from .types import (
    Citation,
    CitationSource,
    Doc,
    Embeddings,
    FinishReason,
    Logprob,
    Message,
    Model,
    RateLimit,
    Reply,
    Request,
    Result,
    ToolCall,
    ToolCallResult,
    Usage,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncProvider",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "Citation",
    "CitationSource",
    "Doc",
    "Embeddings",
    "FinishReason",
    "GenAIError",
    "GenOption",
    "Logprob",
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
    "ToolCall",
    "ToolCallResult",
    "ToolDef",
    "UnknownProviderError",
    "UnsupportedInputError",
    "Usage",
    "ValidationError",
    "__version__",
    "get_async_provider",
    "get_provider",
    "provider_names",
    "register_provider",
]
