"""Shared fixtures: every test gets its own gym-agents cache unless it opts into the shared one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache per test session, so generated games are made once and reused."""
    path = Path(os.environ.get("GYM_AGENTS_TEST_CACHE") or tmp_path_factory.mktemp("cache"))
    os.environ["GYM_AGENTS_CACHE"] = str(path)
    return path


@pytest.fixture(autouse=True)
def _use_shared_cache(shared_cache, monkeypatch):
    monkeypatch.setenv("GYM_AGENTS_CACHE", str(shared_cache))


@pytest.fixture(scope="session")
def tiny_model_dir(shared_cache):
    from gym_agents.llm.tiny import make_tiny

    path = shared_cache / "models" / "tiny"
    if not (path / "model.safetensors").exists():
        make_tiny(path)
    return path
