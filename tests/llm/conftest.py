"""A tiny local model, built once per test session (nothing is downloaded)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(shared_cache):
    from gym_agents.llm.tiny import make_tiny

    path = shared_cache / "models" / "tiny"
    if not (path / "model.safetensors").exists():
        make_tiny(path)
    return path


@pytest.fixture(scope="session")
def hf_llm(tiny_model_dir):
    from gym_agents.llm.hf import HFLLM

    return HFLLM(str(tiny_model_dir))
