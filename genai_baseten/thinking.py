"""Whether a Baseten model thinks when the call does not say.

Baseten switches reasoning with ``chat_template_args.enable_thinking`` for the models whose chat
template has that switch (GLM, Kimi K2.5+); they answer without reasoning unless it is sent.
Other reasoning models (DeepSeek, gpt-oss) reason without it and must not get it. So the default,
used when ``Options(thinking=...)`` is not given, is decided in this order:

1. the table below, by exact model id;
2. the table's families, by id prefix;
3. what the client knows of the model: one whose ``supported_features`` contains
   ``"reasoning"`` thinks by default. That is ``model_info=`` when given (it always wins), else
   the model's entry in ``models=`` or in the latest ``list_models()`` on the client;
4. otherwise no switch is sent.

"On" sends ``enable_thinking: true``; "off" sends nothing, so the model keeps the server's
default. An explicit choice always wins: ``Options(thinking=False)``, or ``enable_thinking`` in
``chat_template_args`` or in ``extra_body["chat_template_args"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from genai_core.types import Model

__all__ = ["THINKING_DEFAULTS", "THINKING_FAMILIES", "thinking_default"]

#: By exact model id (facts from the reference client's model table).
THINKING_DEFAULTS: Mapping[str, bool] = {
    "zai-org/GLM-4.7": True,
    "zai-org/GLM-5": True,
    "zai-org/GLM-5.1": True,
    "moonshotai/Kimi-K2.5": True,
    "moonshotai/Kimi-K2.6": True,
    "deepseek-ai/DeepSeek-V3.1": False,
    "deepseek-ai/DeepSeek-V4-Pro": False,
    "openai/gpt-oss-120b": False,
    "MiniMaxAI/MiniMax-M2.5": False,
    "nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B": False,
    "nvidia/Nemotron-120B-A12B": False,
}

#: By id prefix, for versions newer than the table: the families behave alike.
THINKING_FAMILIES: tuple[tuple[str, bool], ...] = (
    ("zai-org/GLM-", True),
    ("deepseek-ai/", False),
    ("openai/gpt-oss-", False),
    ("MiniMaxAI/", False),
    ("nvidia/", False),
)


def thinking_default(model: str, models: Mapping[str, Model] | Iterable[Model] = ()) -> bool:
    """True when ``model`` should be sent ``enable_thinking: true`` by default.

    ``models`` is what the provider's model list says (by id, or a list of Model).
    """
    known = THINKING_DEFAULTS.get(model)
    if known is not None:
        return known
    for prefix, value in THINKING_FAMILIES:
        if model.startswith(prefix):
            return value
    if isinstance(models, Mapping):
        entry = models.get(model)
    else:
        entry = next((m for m in models if m.id == model), None)
    return entry is not None and entry.supports("reasoning")
