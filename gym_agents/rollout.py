"""Run one episode of an agent in an env and record it as an `Episode`.

Nothing an env or agent raises crashes the caller: a failure of the
machinery (or an unexpected bug in it) ends the episode with status
`infra_error`, which callers retry and trainers leave out of the loss.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import gym_agents
from gym_agents.agents import Agent, AgentQuit
from gym_agents.core import Observation
from gym_agents.env import Env
from gym_agents.episode import Episode, Turn

# A safety net for envs registered without a step limit.
DEFAULT_MAX_TURNS = 1000


async def run_episode(
    env: Env,
    agent: Agent,
    *,
    env_id: str,
    seed: int | None,
    sample_index: int = 0,
    options: dict[str, Any] | None = None,
    model: str | None = None,
    max_turns: int = DEFAULT_MAX_TURNS,
    config: dict[str, Any] | None = None,
) -> Episode:
    episode = Episode(env_id=env_id, seed=seed, sample_index=sample_index, agent=agent.name,
                      model=model, package_version=gym_agents.__version__,
                      config=dict(config or {}))
    start = time.perf_counter()
    try:
        await _play(env, agent, episode, seed=seed, sample_index=sample_index, options=options,
                    max_turns=max_turns)
    except AgentQuit as exc:
        episode.status, episode.error = "truncated", str(exc)
    except Exception as exc:  # the episode is lost, not the run
        episode.status = "infra_error"
        episode.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
    episode.duration = round(time.perf_counter() - start, 6)
    episode.total_reward = float(sum(t.reward for t in episode.turns))
    return episode


async def _play(env, agent, episode, *, seed, sample_index, options, max_turns) -> None:
    obs, info = await env.reset_async(seed=seed, options=options)
    episode.initial_observation = obs
    episode.task_id = info.get("task_id")
    agent.reset(env, obs, info, seed=seed, sample_index=sample_index)
    for index in range(max_turns):
        t0 = time.perf_counter()
        decision = await agent.act(obs, info)
        t1 = time.perf_counter()
        if decision.invalid is not None:
            # Unparseable model output: the env never sees it; the agent is told the format.
            obs = Observation(decision.invalid, tools=obs.tools, metadata=obs.metadata)
            reward, terminated, truncated = 0.0, False, False
            info = {"invalid_action": True, "parse_error": True}
        else:
            obs, reward, terminated, truncated, info = await env.step_async(decision.action)
        t2 = time.perf_counter()
        if decision.info:
            info = {**decision.info, **info}
        episode.turns.append(Turn(
            index=index, action=decision.action, observation=obs, reward=float(reward),
            terminated=bool(terminated), truncated=bool(truncated), info=info,
            messages=decision.messages, completion=decision.completion,
            prompt_token_ids=decision.prompt_token_ids, token_ids=decision.token_ids,
            logprobs=decision.logprobs,
            agent_seconds=round(t1 - t0, 6), env_seconds=round(t2 - t1, 6),
        ))
        if terminated or truncated:
            episode.success = bool(info.get("success", False))
            if truncated and not terminated:
                episode.status = "truncated"
            return
    episode.status = "truncated"
    episode.error = f"stopped after max_turns={max_turns} without the env ending the episode"


async def run_episode_with_retries(
    env_factory, agent, *, max_retries: int = 2, **kwargs
) -> Episode:
    """Retry infra errors on a fresh env; the returned episode counts earlier attempts."""
    env = env_factory(fresh=False)
    for attempt in range(max_retries + 1):
        episode = await run_episode(env, agent, **kwargs)
        episode.retries = attempt
        if episode.status != "infra_error" or attempt == max_retries:
            return episode
        # The env may be broken (dead engine, crashed browser): replace it.
        env = env_factory(fresh=True)
    return episode
