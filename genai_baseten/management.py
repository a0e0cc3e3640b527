"""Baseten's management API, read-only, sans-IO: what models, deployments and environments the
account has, and a deployment's status.

``https://api.baseten.co/v1`` (reference: docs.baseten.co/reference/management-api):

* ``GET /v1/models`` → ``{"models": [ModelV1]}``
* ``GET /v1/models/{id}`` → ``ModelV1``
* ``GET /v1/models/{id}/deployments`` → ``{"deployments": [DeploymentV1]}``
* ``GET /v1/models/{id}/deployments/{deployment_id | production | development}`` →
  ``DeploymentV1``
* ``GET /v1/models/{id}/environments`` → ``{"environments": [EnvironmentV1]}``
* ``GET /v1/models/{id}/environments/{name}`` → ``EnvironmentV1``
* ``GET /v1/chains`` → ``{"chains": [ChainV1]}``

The parsed objects keep the documented fields this library uses, typed, and the whole decoded
object as ``raw``. A field the server leaves out is None; a status the library does not know is
kept verbatim (:class:`DeploymentStatus`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from genai_core.errors import MalformedResponseError, ValidationError
from genai_core.openenum import OpenStrEnum

from .calls import Call
from .targets import _HOST_ID, _SEGMENT, Target, _check

__all__ = [
    "MANAGEMENT_URL",
    "Chain",
    "Deployment",
    "DeploymentStatus",
    "Environment",
    "ManagedModel",
    "deployment_call",
    "deployment_of_target_call",
    "environment_call",
    "list_call",
    "model_call",
    "parse_deployment",
    "parse_environment",
    "parse_list",
    "parse_model",
]

MANAGEMENT_URL = "https://api.baseten.co/v1"


class DeploymentStatus(OpenStrEnum):
    """``DeploymentStatusV1``. A value the library does not know is kept verbatim."""

    BUILDING = "BUILDING"
    DEPLOYING = "DEPLOYING"
    DEPLOY_FAILED = "DEPLOY_FAILED"
    LOADING_MODEL = "LOADING_MODEL"
    ACTIVE = "ACTIVE"
    UNHEALTHY = "UNHEALTHY"
    BUILD_FAILED = "BUILD_FAILED"
    BUILD_STOPPED = "BUILD_STOPPED"
    DEACTIVATING = "DEACTIVATING"
    INACTIVE = "INACTIVE"
    FAILED = "FAILED"
    UPDATING = "UPDATING"
    SCALED_TO_ZERO = "SCALED_TO_ZERO"
    WAKING_UP = "WAKING_UP"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ManagedModel:
    """A model of the account (``ModelV1``)."""

    id: str
    name: str | None = None
    created_at: str | None = None
    deployments_count: int | None = None
    production_deployment_id: str | None = None
    development_deployment_id: str | None = None
    instance_type_name: str | None = None
    team_name: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def target(self) -> Target:
        """Where to call this model: its production environment."""
        return Target.model(self.id)


@dataclass(frozen=True, slots=True)
class Deployment:
    """One deployment of a model (``DeploymentV1``)."""

    id: str
    model_id: str | None = None
    name: str | None = None
    created_at: str | None = None
    is_production: bool | None = None
    is_development: bool | None = None
    status: DeploymentStatus | None = None
    active_replica_count: int | None = None
    instance_type_name: str | None = None
    environment: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def target(self) -> Target:
        """Where to call exactly this deployment."""
        if self.model_id is None:
            raise MalformedResponseError("the deployment has no model_id", status_code=200)
        return Target.model(self.model_id, deployment_id=self.id)


@dataclass(frozen=True, slots=True)
class Environment:
    """One environment of a model (``EnvironmentV1``); ``current_deployment`` may be None."""

    name: str
    model_id: str | None = None
    created_at: str | None = None
    current_deployment: Deployment | None = None
    candidate_deployment: Deployment | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def target(self) -> Target:
        if self.model_id is None:
            raise MalformedResponseError("the environment has no model_id", status_code=200)
        return Target.model(self.model_id, environment=self.name)


@dataclass(frozen=True, slots=True)
class Chain:
    """A chain of the account (``ChainV1``)."""

    id: str
    name: str | None = None
    created_at: str | None = None
    deployments_count: int | None = None
    team_name: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def target(self) -> Target:
        return Target.chain(self.id)


# -- calls -----------------------------------------------------------------------------------


def _get(path: str, what: str, target: Target | None = None) -> Call:
    return Call("GET", f"{MANAGEMENT_URL}{path}", target=target, what=what)


def list_call(kind: str, model_id: str | None = None) -> Call:
    """``GET`` a listing: ``kind`` is ``"models"``, ``"chains"``, ``"deployments"`` or
    ``"environments"`` (the last two need ``model_id``)."""
    if kind in ("models", "chains"):
        return _get(f"/{kind}", f"list {kind}")
    if kind in ("deployments", "environments"):
        mid = _check("model_id", model_id, _HOST_ID, "abcd1234")
        return _get(f"/models/{mid}/{kind}", f"list {kind}", Target.model(mid))
    raise ValueError(kind)


def model_call(model_id: str) -> Call:
    mid = _check("model_id", model_id, _HOST_ID, "abcd1234")
    return _get(f"/models/{mid}", "get model", Target.model(mid))


def deployment_call(model_id: str, deployment_id: str) -> Call:
    """``GET`` one deployment: an id, or ``"production"`` / ``"development"``."""
    mid = _check("model_id", model_id, _HOST_ID, "abcd1234")
    dep = _check("deployment_id", deployment_id, _SEGMENT, "q7x2m4p")
    return _get(f"/models/{mid}/deployments/{dep}", "get deployment", Target.model(mid))


def environment_call(model_id: str, name: str) -> Call:
    mid = _check("model_id", model_id, _HOST_ID, "abcd1234")
    env = _check("name", name, _SEGMENT, "staging")
    return _get(f"/models/{mid}/environments/{env}", "get environment", Target.model(mid))


def deployment_of_target_call(target: Target | str) -> Call:
    """The management call whose answer holds the status of the deployment ``target`` names:
    a deployment or the development deployment directly, an environment through its
    ``current_deployment`` (production included)."""
    where = Target.of(target)
    if where.kind != "model" or where.id is None:
        raise_target(where)
    if where.deployment_id is not None:
        return deployment_call(where.id, where.deployment_id)
    if where.development:
        return deployment_call(where.id, "development")
    assert where.environment is not None
    return environment_call(where.id, where.environment)


def raise_target(where: Target) -> NoReturn:
    raise ValidationError(f"deployment status needs Target.model(...), but the target is {where}")


# -- parsing ---------------------------------------------------------------------------------


def _str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    return value if isinstance(value, bool) else None


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedResponseError(
            f"expected a {what} object from the management API, got {type(data).__name__}",
            status_code=200,
            provider="baseten",
        )
    return data


def _id(data: Mapping[str, Any], what: str, key: str = "id") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedResponseError(
            f"a {what} from the management API has no {key!r}", status_code=200, provider="baseten"
        )
    return value


def parse_model(data: Any) -> ManagedModel:
    d = _object(data, "model")
    return ManagedModel(
        id=_id(d, "model"),
        name=_str(d, "name"),
        created_at=_str(d, "created_at"),
        deployments_count=_int(d, "deployments_count"),
        production_deployment_id=_str(d, "production_deployment_id"),
        development_deployment_id=_str(d, "development_deployment_id"),
        instance_type_name=_str(d, "instance_type_name"),
        team_name=_str(d, "team_name"),
        raw=d,
    )


def parse_deployment(data: Any) -> Deployment:
    d = _object(data, "deployment")
    status = d.get("status")
    return Deployment(
        id=_id(d, "deployment"),
        model_id=_str(d, "model_id"),
        name=_str(d, "name"),
        created_at=_str(d, "created_at"),
        is_production=_bool(d, "is_production"),
        is_development=_bool(d, "is_development"),
        status=DeploymentStatus(status) if isinstance(status, str) and status else None,
        active_replica_count=_int(d, "active_replica_count"),
        instance_type_name=_str(d, "instance_type_name"),
        environment=_str(d, "environment"),
        raw=d,
    )


def parse_environment(data: Any) -> Environment:
    d = _object(data, "environment")
    current = d.get("current_deployment")
    candidate = d.get("candidate_deployment")
    return Environment(
        name=_id(d, "environment", "name"),
        model_id=_str(d, "model_id"),
        created_at=_str(d, "created_at"),
        current_deployment=parse_deployment(current) if current is not None else None,
        candidate_deployment=parse_deployment(candidate) if candidate is not None else None,
        raw=d,
    )


def parse_chain(data: Any) -> Chain:
    d = _object(data, "chain")
    return Chain(
        id=_id(d, "chain"),
        name=_str(d, "name"),
        created_at=_str(d, "created_at"),
        deployments_count=_int(d, "deployments_count"),
        team_name=_str(d, "team_name"),
        raw=d,
    )


_PARSERS: dict[str, Any] = {
    "models": parse_model,
    "chains": parse_chain,
    "deployments": parse_deployment,
    "environments": parse_environment,
}


def parse_list(kind: str, data: Any) -> list[Any]:
    """The items of a ``{kind: [...]}`` listing, parsed."""
    d = _object(data, f"{kind} list")
    items = d.get(kind)
    if not isinstance(items, list):
        raise MalformedResponseError(
            f"the management API's {kind} list has no {kind!r} array",
            status_code=200,
            provider="baseten",
        )
    parse = _PARSERS[kind]
    return [parse(item) for item in items]


def status_of(data: Any, call: Call) -> DeploymentStatus | None:
    """The deployment status in the answer to :func:`deployment_of_target_call`."""
    if call.what == "get environment":
        env = parse_environment(data)
        current = env.current_deployment
        return current.status if current is not None else None
    return parse_deployment(data).status
