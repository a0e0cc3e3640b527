"""Fixtures shared by every test: async backends and a clean environment."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_api_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests never see a real key, and a key in the developer's shell cannot change their outcome.
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
    # Nor a key stored with `genai keys set`, nor the genai command's GENAI_* settings.
    monkeypatch.setenv("GENAI_CONFIG_DIR", str(tmp_path_factory.mktemp("genai-config")))
    for name in ("GENAI_PROVIDER", "GENAI_MODEL", "GENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
