"""Fixtures shared by every test: async backends and a clean environment."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never see a real key, and a key in the developer's shell cannot change their outcome.
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
