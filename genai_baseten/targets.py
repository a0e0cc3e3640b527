"""Where a Baseten call goes: :class:`Target`, built from parts or parsed from a pasted URL.

Baseten serves one account through several hosts (reference: docs.baseten.co, "Call your model"):

* Model APIs: ``https://inference.baseten.co/v1`` (OpenAI-compatible chat, shared models);
* a dedicated model: ``https://model-{model_id}.api.baseten.co/{target}/{operation}``, where
  ``{target}`` is ``environments/{name}`` (``production`` is an environment; ``/production/`` is
  accepted as its shorthand), ``development`` or ``deployment/{deployment_id}``, and
  ``{operation}`` is ``predict``, ``async_predict``, ``async_queue_status``, ``wake``,
  ``websocket`` or ``sync/{route}`` (``sync/v1`` is the OpenAI-compatible root);
* a chain: ``https://chain-{chain_id}.api.baseten.co/{target}/{run_remote|async_run_remote|...}``;
* the legacy bridge: ``https://bridge.baseten.co/{model_id}/v1`` (OpenAI-compatible, always the
  production deployment);
* async request status and cancellation, which name no target:
  ``https://{model|chain}-{id}.api.baseten.co/async_request/{request_id}``.

A :class:`Target` holds the parts (kind, id, environment or deployment) and builds every URL
from them; nothing here does I/O. Invalid parts raise :class:`~genai_core.ValidationError`
naming the argument, so a typo never turns into a request to some other URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from genai_core.errors import ValidationError
from genai_core.openai_chat.error_body import excerpt

from .client import BASE_URL

__all__ = ["MODEL_APIS_URL", "Target", "TargetKind"]

MODEL_APIS_URL = BASE_URL
_BRIDGE_ORIGIN = "https://bridge.baseten.co"
_DOMAIN = "api.baseten.co"

TargetKind = Literal["model_apis", "model", "chain", "bridge"]

# A model or chain id is a DNS label part (it becomes "model-{id}.api.baseten.co"): letters and
# digits, inner hyphens. Baseten's ids are 8 lowercase characters such as "abcd1234".
_HOST_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,55}[A-Za-z0-9])?")
# Environment names and deployment ids are one path segment each.
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_HOST = re.compile(r"(model|chain)-([a-z0-9-]+)\." + re.escape(_DOMAIN))

# The operations a dedicated model's or a chain's URL can end with (after the target part).
_MODEL_OPERATIONS = frozenset(
    {"predict", "async_predict", "async_queue_status", "wake", "websocket", "sync"}
)
_CHAIN_OPERATIONS = frozenset({"run_remote", "async_run_remote", "async_queue_status", "websocket"})


def _check(what: str, value: object, pattern: re.Pattern[str], example: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string such as {example!r}, got {value!r}")
    if not pattern.fullmatch(value):
        shown = excerpt(value, 60) if value else "an empty string"
        raise ValidationError(
            f"{what} must be letters, digits or '-' (such as {example!r}), got {shown!r}"
        )
    return value


@dataclass(frozen=True, slots=True)
class Target:
    """One place a call can go. Build it with a classmethod or :meth:`parse`; compare by value.

    * ``kind``: ``"model_apis"``, ``"model"`` (a dedicated model), ``"chain"`` or ``"bridge"``;
    * ``id``: the model or chain id (None for Model APIs);
    * ``environment``: the environment name (``"production"`` by default) when the target is an
      environment; ``development``: the development deployment; ``deployment_id``: one deployment.
      At most one of the three is set, and only on models and chains.
    """

    kind: TargetKind
    id: str | None = None
    environment: str | None = None
    development: bool = False
    deployment_id: str | None = None

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def model_apis(cls) -> Target:
        """Baseten's Model APIs (shared models at ``https://inference.baseten.co/v1``)."""
        return cls("model_apis")

    @classmethod
    def model(
        cls,
        model_id: str,
        *,
        environment: str | None = None,
        deployment_id: str | None = None,
        development: bool = False,
    ) -> Target:
        """A dedicated model: its production environment unless told otherwise.

        ``environment="staging"`` names an environment, ``deployment_id=`` one deployment,
        ``development=True`` (or ``environment="development"``) the development deployment.
        Naming more than one raises ValidationError: the call would be ambiguous.
        """
        return cls._dedicated(
            "model",
            "model_id",
            model_id,
            environment=environment,
            deployment_id=deployment_id,
            development=development,
        )

    @classmethod
    def chain(
        cls,
        chain_id: str,
        *,
        environment: str | None = None,
        deployment_id: str | None = None,
        development: bool = False,
    ) -> Target:
        """A chain (``chain-{chain_id}.api.baseten.co``); same choices as :meth:`model`."""
        return cls._dedicated(
            "chain",
            "chain_id",
            chain_id,
            environment=environment,
            deployment_id=deployment_id,
            development=development,
        )

    @classmethod
    def bridge(cls, model_id: str) -> Target:
        """The legacy OpenAI bridge to a model's production deployment
        (``https://bridge.baseten.co/{model_id}/v1``)."""
        _check("model_id", model_id, _HOST_ID, "abcd1234")
        return cls("bridge", model_id)

    @classmethod
    def _dedicated(
        cls,
        kind: Literal["model", "chain"],
        id_name: str,
        ident: str,
        *,
        environment: str | None,
        deployment_id: str | None,
        development: bool,
    ) -> Target:
        _check(id_name, ident, _HOST_ID, "abcd1234")
        if not isinstance(development, bool):
            raise ValidationError(f"development must be True or False, got {development!r}")
        if environment is not None:
            _check("environment", environment, _SEGMENT, "staging")
            if environment == "development":
                environment, development = None, True
        if deployment_id is not None:
            _check("deployment_id", deployment_id, _SEGMENT, "q7x2m4p")
        given = [
            name
            for name, on in (
                ("environment", environment is not None),
                ("deployment_id", deployment_id is not None),
                ("development", development),
            )
            if on
        ]
        if len(given) > 1:
            raise ValidationError(
                f"{' and '.join(given)} are both given: a call goes to one environment, one "
                "deployment or the development deployment; pass only one of them"
            )
        if not given:
            environment = "production"
        return cls(kind, ident, environment, development, deployment_id)

    @classmethod
    def parse(cls, url: str) -> Target:
        """The target a Baseten URL points at, as pasted from the docs or the dashboard.

        Takes any URL of the families in this module's docstring (with or without the
        operation at the end, with or without ``https://``), and the dashboard's
        ``https://app.baseten.co/models/{model_id}/logs/{deployment_id}``. Anything else raises
        ValidationError saying what was expected.
        """
        if not isinstance(url, str):
            raise ValidationError(f"url must be a string, got {type(url).__name__}")
        text = url.strip()
        shown = excerpt(text, 120)
        if not text:
            raise ValidationError("url is empty: pass a Baseten URL such as " + _EXAMPLE)
        if "://" not in text:
            text = "https://" + text
        scheme, _, rest = text.partition("://")
        if scheme.lower() != "https":
            raise ValidationError(f"url {shown!r} must be an https:// URL (Baseten serves HTTPS)")
        if any(c in rest for c in "?#@"):
            raise ValidationError(
                f"url {shown!r} must not have a query, fragment or user name; pass the URL of "
                "the endpoint only, such as " + _EXAMPLE
            )
        host, _, path = rest.partition("/")
        host = host.lower().removesuffix(":443")
        parts = [p for p in path.split("/") if p]
        if host == "inference.baseten.co":
            if parts[:1] not in ([], ["v1"]):
                raise ValidationError(f"url {shown!r}: Model APIs live under /v1")
            return cls.model_apis()
        if host == "bridge.baseten.co":
            if len(parts) < 1 or parts[1:2] not in ([], ["v1"]):
                raise ValidationError(
                    f"url {shown!r}: a bridge URL is https://bridge.baseten.co/{{model_id}}/v1"
                )
            return cls.bridge(parts[0])
        if host == "app.baseten.co":
            if len(parts) >= 4 and parts[0] == "models" and parts[2] == "logs":
                return cls.model(parts[1], deployment_id=parts[3])
            if len(parts) >= 2 and parts[0] == "models":
                return cls.model(parts[1])
            raise ValidationError(
                f"url {shown!r}: a dashboard URL names a model as /models/{{model_id}}[/logs/"
                "{deployment_id}]"
            )
        found = _HOST.fullmatch(host)
        if found is None:
            raise ValidationError(
                f"url {shown!r} is not a Baseten endpoint: expected a host such as "
                "model-{id}.api.baseten.co, chain-{id}.api.baseten.co, inference.baseten.co or "
                "bridge.baseten.co, as in " + _EXAMPLE
            )
        kind: Literal["model", "chain"] = "model" if found.group(1) == "model" else "chain"
        ident = found.group(2)
        build = cls.model if kind == "model" else cls.chain
        if not parts:
            return build(ident)
        head = parts[0]
        if head == "async_request":
            raise ValidationError(
                f"url {shown!r} names an async request, not a deployment; pass the request id "
                "to get_async_request() instead"
            )
        if head in ("environments", "deployment"):
            if len(parts) < 2:
                what = "environment name" if head == "environments" else "deployment id"
                raise ValidationError(f"url {shown!r}: /{head}/ must be followed by the {what}")
            target = (
                build(ident, environment=parts[1])
                if head == "environments"
                else build(ident, deployment_id=parts[1])
            )
            rest_parts = parts[2:]
        elif head == "production":
            target, rest_parts = build(ident), parts[1:]
        elif head == "development":
            target, rest_parts = build(ident, development=True), parts[1:]
        else:
            raise ValidationError(
                f"url {shown!r}: the path must start with environments/{{name}}, production, "
                "development or deployment/{id}"
            )
        operations = _MODEL_OPERATIONS if kind == "model" else _CHAIN_OPERATIONS
        if rest_parts and rest_parts[0] not in operations:
            raise ValidationError(
                f"url {shown!r}: unknown operation {rest_parts[0]!r}; a {kind} URL ends with "
                + ", ".join(sorted(operations))
            )
        return target

    @classmethod
    def of(cls, target: Target | str) -> Target:
        """``target`` itself, or the :class:`Target` a URL string parses to."""
        if isinstance(target, Target):
            return target
        if isinstance(target, str):
            return cls.parse(target)
        raise ValidationError(
            f"target must be a Target or a Baseten URL string, got {type(target).__name__}"
        )

    # -- URLs -------------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The target part of a dedicated URL: ``environments/{name}``, ``development`` or
        ``deployment/{id}``; ValidationError for Model APIs and the bridge, which have none."""
        self._need("model", "chain", what="a deployment path")
        if self.deployment_id is not None:
            return f"deployment/{self.deployment_id}"
        if self.development:
            return "development"
        return f"environments/{self.environment}"

    @property
    def origin(self) -> str:
        """Scheme and host: ``https://model-{id}.api.baseten.co`` and the like."""
        if self.kind == "model_apis":
            return "https://inference.baseten.co"
        if self.kind == "bridge":
            return _BRIDGE_ORIGIN
        return f"https://{self.kind}-{self.id}.{_DOMAIN}"

    def openai_base_url(self) -> str:
        """The OpenAI-compatible API root for a chat client's ``base_url``: Model APIs' ``/v1``,
        the bridge's ``/{model_id}/v1``, a dedicated model's ``/{target}/sync/v1``."""
        if self.kind == "model_apis":
            return MODEL_APIS_URL
        if self.kind == "bridge":
            return f"{_BRIDGE_ORIGIN}/{self.id}/v1"
        self._need("model", what="OpenAI-compatible routes")
        return self.sync_url("v1")

    def sync_url(self, route: str = "") -> str:
        """``/{target}/sync/{route}``: a dedicated model's own server routes, passed through."""
        self._need("model", what="sync routes")
        if not isinstance(route, str):
            raise ValidationError(f"route must be a string, got {type(route).__name__}")
        route = route.strip("/")
        if any(part in (".", "..") for part in route.split("/")) or any(c in route for c in "?#"):
            raise ValidationError(f"route must be a plain path such as 'v1/models', got {route!r}")
        base = f"{self.origin}/{self.path}/sync"
        return f"{base}/{quote(route, safe='/')}" if route else base

    def predict_url(self) -> str:
        """``POST`` here to run a dedicated model once (``/{target}/predict``)."""
        return self._op("predict", "model")

    def async_predict_url(self) -> str:
        """``POST`` here to queue a dedicated model request (``/{target}/async_predict``)."""
        return self._op("async_predict", "model")

    def run_remote_url(self) -> str:
        """``POST`` here to run a chain (``/{target}/run_remote``)."""
        return self._op("run_remote", "chain")

    def async_run_remote_url(self) -> str:
        """``POST`` here to queue a chain run (``/{target}/async_run_remote``)."""
        return self._op("async_run_remote", "chain")

    def wake_url(self) -> str:
        """``POST`` here to start a scaled-to-zero deployment (``/{target}/wake``, 202).

        Baseten documents wake for ``deployment/{id}`` and ``development`` only; an environment
        is woken through its current deployment (:meth:`PlatformClient.wake` looks it up)."""
        if self.kind == "model" and self.deployment_id is None and not self.development:
            raise ValidationError(
                f"wake is documented for a deployment id or the development deployment, not "
                f"for {self}; use PlatformClient.wake (it wakes the environment's current "
                "deployment) or Target.model(id, deployment_id=...)"
            )
        return self._op("wake", "model")

    def async_queue_status_url(self) -> str:
        """``GET`` here for the async queue's length (``/{target}/async_queue_status``)."""
        return self._op("async_queue_status", "model", "chain")

    def async_request_url(self, request_id: str) -> str:
        """``GET`` (status) or ``DELETE`` (cancel) one async request:
        ``/async_request/{request_id}`` on the model's or chain's host (no target part)."""
        self._need("model", "chain", what="async requests")
        _check("request_id", request_id, _SEGMENT, "0123456789abcdef0123456789abcdef")
        return f"{self.origin}/async_request/{request_id}"

    def _op(self, operation: str, *kinds: str) -> str:
        self._need(*kinds, what=f"/{operation}")
        return f"{self.origin}/{self.path}/{operation}"

    def _need(self, *kinds: str, what: str) -> None:
        if self.kind not in kinds:
            allowed = " or ".join(f"Target.{k}(...)" for k in kinds)
            raise ValidationError(f"{what} needs {allowed}, but the target is {self}")

    def __str__(self) -> str:
        if self.kind == "model_apis":
            return "Model APIs"
        if self.kind == "bridge":
            return f"bridge to model {self.id}"
        if self.deployment_id is not None:
            where = f"deployment {self.deployment_id}"
        elif self.development:
            where = "development"
        else:
            where = f"environment {self.environment}"
        return f"{self.kind} {self.id} ({where})"


_EXAMPLE = "'https://model-abcd1234.api.baseten.co/environments/production/predict'"
