"""Rollout engines: `hf` (transformers, CPU or GPU) and `vllm` (GPU), both batched LLMs."""

from gym_agents.trainers.engines.base import BatchingEngine, current_slot

__all__ = ["BatchingEngine", "current_slot"]
