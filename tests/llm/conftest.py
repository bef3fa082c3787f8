"""A tiny local model, built once per test session (nothing is downloaded)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def hf_llm(tiny_model_dir):
    from gym_agents.llm.hf import HFLLM

    return HFLLM(str(tiny_model_dir))
