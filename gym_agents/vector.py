"""`EnvPool`: many envs stepped concurrently.

Text episodes end at different turns, so unlike Gymnasium's vector envs there
is no autoreset and no batching of observations: each env is reset and
stepped on its own, and `None` in an action list leaves that env alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from gym_agents.core import Action, Observation, StepResult
from gym_agents.env import Env


class EnvPool:
    def __init__(self, envs: Sequence[Env]) -> None:
        if not envs:
            raise ValueError("EnvPool needs at least one env")
        self.envs = list(envs)

    def __len__(self) -> int:
        return len(self.envs)

    async def reset_async(
        self, seeds: Sequence[int | None] | None = None,
        options: Sequence[dict[str, Any] | None] | None = None,
    ) -> list[tuple[Observation, dict[str, Any]]]:
        seeds = list(seeds) if seeds is not None else [None] * len(self)
        options = list(options) if options is not None else [None] * len(self)
        if len(seeds) != len(self) or len(options) != len(self):
            raise ValueError(f"expected {len(self)} seeds and options, one per env")
        triples = zip(self.envs, seeds, options, strict=True)
        return list(await asyncio.gather(*(
            env.reset_async(seed=s, options=o) for env, s, o in triples
        )))

    async def step_async(self, actions: Sequence[Action | None]) -> list[StepResult | None]:
        if len(actions) != len(self):
            raise ValueError(f"expected {len(self)} actions (None to skip an env)")

        async def one(env: Env, action: Action | None) -> StepResult | None:
            return None if action is None else await env.step_async(action)

        pairs = zip(self.envs, actions, strict=True)
        return list(await asyncio.gather(*(one(e, a) for e, a in pairs)))

    def reset(self, seeds=None, options=None) -> list[tuple[Observation, dict[str, Any]]]:
        return asyncio.run(self.reset_async(seeds, options))

    def step(self, actions: Sequence[Action | None]) -> list[StepResult | None]:
        return asyncio.run(self.step_async(actions))

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def __enter__(self) -> EnvPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
