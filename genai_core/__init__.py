"""genai_core: one provider-neutral API for LLMs.

::

    import genai_core as genai

    client = genai.get_provider("baseten", model="openai/gpt-oss-120b")
    result = client.gen_sync([genai.Message.user("Say hello")], genai.TextOptions(max_tokens=50))
    print(result.text, result.usage.output_tokens)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    GenAIError,
    MalformedResponseError,
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

if TYPE_CHECKING:
    from . import keys
    from .options import GenOption, TextOptions
    from .pricing import cost, total_cost
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

# Everything but the errors is imported on first use (``genai_core.Message``, ``from genai_core
# import Message``): ``import genai_core`` alone, or a provider package that needs only part of
# it, does not pay for the pydantic models, the registry and the stream machinery up front.
_LAZY = {
    "GenOption": "options",
    "TextOptions": "options",
    "AsyncProvider": "provider",
    "AsyncStream": "provider",
    "Provider": "provider",
    "Stream": "provider",
    "UnknownProviderError": "registry",
    "get_async_provider": "registry",
    "get_provider": "registry",
    "provider_names": "registry",
    "register_provider": "registry",
    "ToolLoopResult": "toolloop",
    "arun_tool_calls": "toolloop",
    "arun_tool_loop": "toolloop",
    "run_tool_calls": "toolloop",
    "run_tool_loop": "toolloop",
    "ToolDef": "tools",
    "Embeddings": "types",
    "cost": "pricing",
    "total_cost": "pricing",
    "Citation": "types",
    "CitationSource": "types",
    "Doc": "types",
    "FinishReason": "types",
    "Logprob": "types",
    "Message": "types",
    "Model": "types",
    "RateLimit": "types",
    "Reply": "types",
    "Request": "types",
    "Result": "types",
    "ToolCall": "types",
    "ToolCallResult": "types",
    "Usage": "types",
}


def __getattr__(name: str) -> Any:
    if name == "keys":  # the stored-keys module: genai.keys.get("baseten")
        return importlib.import_module(".keys", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'genai_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups are plain module attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
