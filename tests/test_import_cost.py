"""What ``import genai_baseten`` leaves for later.

Import time is measured by ``python -m benchmarks --only imports``, never here. These tests pin
the behaviour that keeps it low without changing the API: modules loaded on first use are not
loaded by the import, and their names still resolve.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import genai_baseten

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
