"""What ``import genai_baseten`` leaves for later, and the configuration classes built at import.

Import time is measured by ``python -m benchmarks --only imports``, never here. These tests pin
the behaviour that keeps it low without changing the API: modules loaded on first use are not
loaded by the import (and their names still resolve), and the configuration classes, built
without generated code, are dataclasses in every way a caller can see.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import genai_baseten
from genai_core.errors import InputRef
from genai_core.http import RetryPolicy
from genai_core.openai_chat.client import ProviderConfig
from genai_core.openai_chat.content import ContentRules
from genai_core.openai_chat.request import ChatDialect

REPO = Path(__file__).resolve().parents[1]

# Loaded on first use of a name that needs them, never by ``import genai_baseten``.
LAZY_MODULES = [
    "genai_baseten.targets",  # Target, deployment_url, Client.for_target
    "genai_baseten.platform",
    "genai_baseten.predict",
    "genai_baseten.async_inference",
    "genai_baseten.async_client",
    "genai_baseten.batch",
    "genai_baseten.webhooks",
    "genai_baseten.management",
    "genai_baseten.bridge",
]


def run_fresh(code: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def fresh_import() -> dict[str, Any]:
    return run_fresh(
        """
        import json, sys
        import genai_baseten
        loaded = sorted(sys.modules)
        url = genai_baseten.deployment_url("abcd1234", environment="staging")
        target = genai_baseten.Target.parse("https://bridge.baseten.co/abcd1234/v1")
        print(json.dumps({"loaded": loaded, "after": sorted(sys.modules), "url": url,
                          "target": [target.kind, target.id], "dir": dir(genai_baseten)}))
        """
    )


@pytest.mark.parametrize("module", LAZY_MODULES)
def test_import_leaves_the_module_for_later(fresh_import: dict[str, Any], module: str) -> None:
    assert "genai_baseten.client" in fresh_import["loaded"]  # the probe saw the import
    assert module not in fresh_import["loaded"]


def test_the_lazy_names_resolve_after_the_import(fresh_import: dict[str, Any]) -> None:
    # The URL form of a dedicated deployment's environment, as Baseten documents it.
    assert fresh_import["url"] == (
        "https://model-abcd1234.api.baseten.co/environments/staging/sync/v1"
    )
    assert fresh_import["target"] == ["bridge", "abcd1234"]
    assert "genai_baseten.targets" in fresh_import["after"]
    assert set(genai_baseten.__all__) <= set(fresh_import["dir"])


def test_base_url_is_the_model_apis_url() -> None:
    from genai_baseten.targets import MODEL_APIS_URL, Target

    assert genai_baseten.BASE_URL == MODEL_APIS_URL == "https://inference.baseten.co/v1"
    assert Target.model_apis().openai_base_url() == genai_baseten.BASE_URL


# --- the configuration classes are dataclasses ----------------------------------------------


def test_a_config_class_is_a_frozen_dataclass() -> None:
    rules = ContentRules(split_user_parts=True)
    assert dataclasses.is_dataclass(rules)
    assert [f.name for f in dataclasses.fields(ContentRules)] == [
        "split_user_parts",
        "parts",
        "default_modalities",
        "audio_formats",
    ]
    assert getattr(ContentRules, "__dataclass_params__").frozen  # noqa: B009
    with pytest.raises(dataclasses.FrozenInstanceError, match="split_user_parts"):
        rules.split_user_parts = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del rules.parts


def test_defaults_factories_and_equality() -> None:
    a, b = ContentRules(), ContentRules()
    assert a == b and hash(a) == hash(b)
    assert a.parts == frozenset({"text", "image", "audio", "document"})  # all but video
    assert a.audio_formats == frozenset({"wav", "mp3"})
    assert a != ContentRules(split_user_parts=True)
    other: object = "ContentRules()"
    assert a != other  # another type: not equal, no error
    assert {a, b, ContentRules(split_user_parts=True)} == {a, ContentRules(split_user_parts=True)}
    # A default factory runs per instance.
    d1, d2 = ChatDialect(provider="x"), ChatDialect(provider="x")
    assert d1.unsupported == frozenset() and d1.content == ContentRules()
    assert d1.content is not d2.content


def test_repr_names_every_field_in_order() -> None:
    ref = InputRef(message=0, part=1, kind="image", label="cat.png")
    assert repr(ref) == "InputRef(message=0, part=1, kind='image', label='cat.png')"


def test_positional_and_keyword_arguments_as_a_dataclass() -> None:
    assert InputRef(0, 1, "audio", "a.wav") == InputRef(
        message=0, part=1, kind="audio", label="a.wav"
    )
    with pytest.raises(TypeError, match="missing 2 required positional arguments: 'kind'"):
        InputRef(0, 1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        InputRef(0, 1, "image", "x", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'message'"):
        InputRef(0, 1, "image", "x", message=2)  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 5 positional arguments but 6 were given"):
        InputRef(0, 1, "image", "x", "y")  # type: ignore[call-arg]


def test_replace_runs_the_checks_of_post_init() -> None:
    policy = RetryPolicy()
    assert dataclasses.replace(policy, max_retries=5).max_retries == 5
    assert policy.max_retries != 5  # the original is unchanged
    with pytest.raises(ValueError, match="max_retries"):
        dataclasses.replace(policy, max_retries=-1)


def test_a_slotted_record_pickles_and_copies() -> None:
    ref = InputRef(message=2, part=0, kind="video", label="clip.mp4")
    assert not hasattr(ref, "__dict__")
    assert pickle.loads(pickle.dumps(ref)) == ref
    assert copy.deepcopy(ref) == ref
    assert copy.copy(ref).label == "clip.mp4"


def test_a_provider_config_can_be_replaced_and_subclassed() -> None:
    config = genai_baseten.Client.config
    bridge = dataclasses.replace(config, base_url="https://bridge.example/v1")
    assert bridge.base_url == "https://bridge.example/v1"
    assert (bridge.name, bridge.dialect) == (config.name, config.dialect)
    assert bridge != config

    # A provider may extend the configuration with a dataclass of its own.
    @dataclasses.dataclass(frozen=True)
    class MoreConfig(ProviderConfig):
        region: str = "eu"

    more = MoreConfig(name="p", base_url="https://p.example/v1", dialect=ChatDialect("p"))
    assert more.region == "eu" and more.key_required is True
    assert "region='eu'" in repr(more)
