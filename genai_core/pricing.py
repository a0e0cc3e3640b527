"""What a call cost, in US dollars, from the per-token prices a provider's model list gives.

Prices are :attr:`genai_core.Model.pricing`: Decimal dollars per token, keyed as the provider
keys them. The keys read here are the OpenRouter-style ones Baseten's Model APIs use:

``prompt``
    per input token;
``completion``
    per output token (reasoning tokens are output tokens: ``output_tokens`` already counts them,
    as the wire's ``completion_tokens`` does, so they are not added again);
``input_cache_read``
    per input token served from the provider's prompt cache. When a model's entry gives no such
    price, cached tokens cost the ``prompt`` price: the list then documents no discount, and
    charging the full input price never understates a bill;
``request``
    per request (``"0"`` on Baseten).

``image`` (per input image) is not counted: a Result does not say how many images were sent.
Baseten lists ``"0"`` for it.

The cost is unknown (None) rather than guessed when the input or output price is missing, or when
the call reported no token counts at all (every counter 0: a real call always reads some input
tokens, so all zeros means the server sent no usage).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from .errors import ValidationError
from .types import Model, Result, Usage

__all__ = ["cost", "total_cost"]

PROMPT, COMPLETION, CACHE_READ, REQUEST = "prompt", "completion", "input_cache_read", "request"


def _prices(pricing: Model | Mapping[str, Decimal] | None) -> Mapping[str, Decimal] | None:
    if pricing is None:
        return None
    if isinstance(pricing, Model):
        return pricing.pricing
    if isinstance(pricing, Mapping):
        return pricing
    raise ValidationError(
        f"pricing must be a genai_core.Model or a mapping of price names to Decimal per token, "
        f"got {type(pricing).__name__}"
    )


def usage_known(usage: Usage) -> bool:
    """Whether the provider reported token counts at all (see the module docstring)."""
    return bool(usage.input_tokens or usage.output_tokens or usage.total_tokens)


def cost(result: Result | Usage, pricing: Model | Mapping[str, Decimal] | None) -> Decimal | None:
    """The dollar cost of one call: its usage priced with ``pricing`` (a :class:`Model` from the
    provider's model list, or its ``pricing`` mapping); None when unknown.

    Not rounded: the exact sum of the token counts times the listed prices.
    """
    prices = _prices(pricing)
    usage = result.usage if isinstance(result, Result) else result
    if not isinstance(usage, Usage):
        raise ValidationError(f"cost() takes a Result or a Usage, got {type(result).__name__}")
    if not prices or not usage_known(usage):
        return None
    input_price, output_price = prices.get(PROMPT), prices.get(COMPLETION)
    if input_price is None or output_price is None:
        return None
    cached = usage.input_cached_tokens
    if cached > usage.input_tokens:
        return None  # counters that contradict each other price nothing reliably
    cached_price = prices.get(CACHE_READ, input_price)
    return _tidy(
        (usage.input_tokens - cached) * input_price
        + cached * cached_price
        + usage.output_tokens * output_price
        + prices.get(REQUEST, Decimal(0))
    )


def _tidy(value: Decimal) -> Decimal:
    """The same value without the trailing zeros the prices' exponents leave (``0.0002700`` is
    printed ``0.00027``), and never in exponent form for whole numbers (``1E+2``)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def total_cost(costs: Iterable[Result | Decimal | None]) -> Decimal | None:
    """The sum of several calls' costs (Results, or costs already computed); None as soon as one
    of them is unknown, so that a partial sum never passes for a total."""
    total = Decimal(0)
    for item in costs:
        value = item.cost if isinstance(item, Result) else item
        if value is None:
            return None
        total += value
    return total
