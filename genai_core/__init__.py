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
    DecodeError,
    GenAIError,
    MaxTurnsError,
    MissingAPIKeyError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ServerError,
    StreamError,
    ToolArgumentsError,
    ToolError,
    ToolExecutionError,
    UnknownToolError,
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
from .toolloop import (
    ToolLoopResult,
    arun_tool_calls,
    arun_tool_loop,
    run_tool_calls,
    run_tool_loop,
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
    "DecodeError",
    "Doc",
    "Embeddings",
    "FinishReason",
    "GenAIError",
    "GenOption",
    "Logprob",
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
    "get_async_provider",
    "get_provider",
    "provider_names",
    "register_provider",
    "run_tool_calls",
    "run_tool_loop",
]
