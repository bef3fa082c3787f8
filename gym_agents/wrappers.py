"""Wrappers for cross-cutting behaviour, named `<Verb><Target>` as in Gymnasium."""

from __future__ import annotations

import time
from typing import Any

from gym_agents.core import Observation, StepResult
from gym_agents.env import Env, Wrapper
from gym_agents.errors import ConfigError


class TimeLimit(Wrapper):
    """Truncate an episode after `max_episode_steps` steps."""

    def __init__(self, env: Env, max_episode_steps: int) -> None:
        if not isinstance(max_episode_steps, int) or max_episode_steps < 1:
            raise ConfigError(
                f"max_episode_steps must be a positive int, got {max_episode_steps!r}")
        super().__init__(env)
        self.max_episode_steps = max_episode_steps
        self._elapsed = 0

    def on_reset(self, obs: Observation, info: dict[str, Any]):
        self._elapsed = 0
        return obs, info

    def on_step(self, result: StepResult) -> StepResult:
        self._elapsed += 1
        if self._elapsed >= self.max_episode_steps and not result.terminated:
            info = {**result.info, "TimeLimit.truncated": True}
            return result._replace(truncated=True, info=info)
        return result


class RecordEpisodeStatistics(Wrapper):
    """Add `info["episode"] = {"r": return, "l": length, "t": seconds}` when an episode ends."""

    def __init__(self, env: Env) -> None:
        super().__init__(env)
        self._return = 0.0
        self._length = 0
        self._start = time.perf_counter()

    def on_reset(self, obs: Observation, info: dict[str, Any]):
        self._return, self._length, self._start = 0.0, 0, time.perf_counter()
        return obs, info

    def on_step(self, result: StepResult) -> StepResult:
        self._return += float(result.reward)
        self._length += 1
        if result.terminated or result.truncated:
            stats = {"r": self._return, "l": self._length,
                     "t": round(time.perf_counter() - self._start, 6)}
            return result._replace(info={**result.info, "episode": stats})
        return result
