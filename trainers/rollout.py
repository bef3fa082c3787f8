"""Rollout collection: G rollouts of each of B tasks, concurrently, through any scaffold.

Every rollout is an ordinary episode (`gym_agents.rollout.run_episode_with_retries`)
of a scaffold agent whose LLM is the rollout engine; an episode that ends in
an infra error is retried on a fresh env, and if it still fails it is kept
for the logs but never enters the loss or the group statistics. Episodes run
in lockstep slots of the engine, so a step's samples depend only on the
seeds: tasks and sampling seeds derive from (trainer.seed, step).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from typing import Any

from gym_agents.agents import make_agent
from gym_agents.env import Env
from gym_agents.errors import ConfigError
from gym_agents.evaluation import EvalConfig, env_kwargs_for
from gym_agents.llm.base import SamplingParams
from gym_agents.registration import make
from gym_agents.rollout import run_episode_with_retries
from gym_agents.trainers.config import TrainConfig
from gym_agents.trainers.engines.base import BatchingEngine, current_slot
from gym_agents.trainers.records import Rollout, rows_from_episode


def derived_seed(*parts: Any) -> int:
    """A 31-bit seed from any parts, stable across processes (unlike hash())."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def task_seeds(config: TrainConfig, step: int) -> list[int]:
    """The step's tasks: distinct seeds, never the held-out evaluation seeds."""
    rng = random.Random(derived_seed("tasks", config.trainer.seed, step))
    held_out = range(config.eval.seed, config.eval.seed + config.eval.episodes)
    seeds: list[int] = []
    while len(seeds) < config.rollout.tasks_per_step:
        seed = rng.randrange(0, 1_000_000_000)
        if seed not in held_out and seed not in seeds:
            seeds.append(seed)
    return seeds


class RolloutCollector:
    def __init__(self, config: TrainConfig, engine: BatchingEngine) -> None:
        self.config, self.engine = config, engine
        slots = config.rollout.tasks_per_step * config.rollout.group_size
        self.envs: list[Env | None] = [None] * slots
        eval_like = EvalConfig(env_ids=[config.env.id], split=config.env.split,
                               env_kwargs=config.env.kwargs)
        self.env_kwargs = env_kwargs_for(config.env.id, eval_like)

    def _factory(self, slot: int):
        def get(fresh: bool) -> Env:
            env = self.envs[slot]
            if env is not None and fresh:
                with contextlib.suppress(Exception):  # a broken env is replaced anyway
                    env.close()
                env = None
            if env is None:
                env = make(self.config.env.id, **self.env_kwargs)
                self.envs[slot] = env
            return env
        return get

    def sampling(self, step: int) -> SamplingParams:
        r = self.config.rollout
        return SamplingParams(temperature=r.temperature, top_p=r.top_p, max_tokens=r.max_tokens,
                              seed=derived_seed("sampling", self.config.trainer.seed, step))

    async def collect(self, step: int) -> list[Rollout]:
        config = self.config
        group = config.rollout.group_size
        jobs = [(task * group + g, seed, g)
                for task, seed in enumerate(task_seeds(config, step)) for g in range(group)]
        sampling = self.sampling(step)
        episodes = await asyncio.gather(*(self._one(slot, seed, g, step, sampling)
                                          for slot, seed, g in jobs))
        rollouts = []
        for (slot, seed, _), episode in zip(jobs, episodes, strict=True):
            rollout = Rollout(episode, uid=f"{step}-{slot}", group_uid=f"{step}-{seed}")
            if rollout.ok:
                rollout.rows = rows_from_episode(episode, rollout.uid)
            rollouts.append(rollout)
        return rollouts

    async def _one(self, slot: int, seed: int, sample: int, step: int,
                   sampling: SamplingParams):
        token = current_slot.set(slot)
        self.engine.open_slot(slot)
        try:
            agent = make_agent(self.config.agent.scaffold, llm=self.engine, sampling=sampling,
                               **self.config.agent.kwargs)
            return await run_episode_with_retries(
                self._factory(slot), agent, max_retries=self.config.rollout.max_retries,
                env_id=self.config.env.id, seed=seed, sample_index=sample,
                model=self.engine.spec, max_turns=self.config.env.max_turns,
                config={"train_step": step, "weight_version": self.engine.weight_version})
        finally:
            self.engine.close_slot(slot)
            current_slot.reset(token)

    def close(self) -> None:
        for env in self.envs:
            if env is not None:
                with contextlib.suppress(Exception):  # best effort at the end of a run
                    env.close()


def check_scaffold(name: str) -> None:
    from gym_agents.agents import needs_llm

    if not needs_llm(name):
        raise ConfigError(f"agent.scaffold: {name!r} does not drive a model; use direct, "
                          "react or tool_calling")
