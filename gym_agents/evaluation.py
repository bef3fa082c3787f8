"""Evaluate an agent on registered envs: concurrent episodes, resumable, summarised.

Episodes run as asyncio tasks, `concurrency` at a time, each worker holding
its own envs and agent. Every finished episode is appended to
`episodes.jsonl` at once, so a killed run loses only what was in flight and
`resume=True` runs just the episodes not stored yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gym_agents
from gym_agents.agents import make_agent, needs_llm
from gym_agents.env import Env
from gym_agents.episode import Episode, episode_key
from gym_agents.errors import ConfigError, StoreError
from gym_agents.registration import load_entry_point, make, spec
from gym_agents.rollout import run_episode_with_retries
from gym_agents.store import EpisodeStore

EPISODES_FILE = "episodes.jsonl"
SUMMARY_FILE = "summary.json"
CONFIG_FILE = "config.json"


@dataclass
class EvalConfig:
    env_ids: list[str]
    agent: str = "oracle"
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    episodes: int = 10
    # Episodes per task (seed), e.g. for pass@k or GRPO-style groups.
    samples: int = 1
    concurrency: int = 4
    seed: int = 0
    out: str = "runs/eval"
    resume: bool = False
    # Passed to envs that take a `split` argument; eval defaults to held-out tasks.
    split: str | None = "test"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    max_retries: int = 2
    # Model spec for LLM agents: hf:PATH, openai:MODEL[@BASE_URL] or scripted:FILE.
    model: str | None = None
    # SamplingParams fields (temperature, top_p, max_tokens, stop, seed) for LLM agents.
    sampling: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        if not self.env_ids:
            raise ConfigError("env_ids: give at least one env id (--env ID)")
        if self.episodes < 1:
            raise ConfigError(f"episodes must be >= 1, got {self.episodes}")
        if self.samples < 1:
            raise ConfigError(f"samples must be >= 1, got {self.samples}")
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        for env_id in self.env_ids:
            spec(env_id)  # unknown ids fail before any work starts
        if needs_llm(self.agent) and not self.model:
            raise ConfigError(f"model: the {self.agent} agent needs --model SPEC "
                              "(hf:PATH, openai:MODEL[@BASE_URL] or scripted:FILE)")
        make_agent(self.agent, **self.full_agent_kwargs())

    def full_agent_kwargs(self) -> dict[str, Any]:
        """Agent kwargs plus the model and sampling for LLM agents (the model loads lazily)."""
        if not needs_llm(self.agent):
            return dict(self.agent_kwargs)
        return {"llm": self.model, "sampling": self.sampling, **self.agent_kwargs}


@dataclass(frozen=True)
class Job:
    env_id: str
    seed: int
    sample_index: int = 0

    @property
    def key(self):
        return episode_key(self.env_id, None, self.seed, self.sample_index)


def plan_jobs(config: EvalConfig) -> list[Job]:
    return [Job(env_id, config.seed + i, sample) for env_id in config.env_ids
            for i in range(config.episodes) for sample in range(config.samples)]


def env_kwargs_for(env_id: str, config: EvalConfig) -> dict[str, Any]:
    """The config's env kwargs, plus `split` for envs whose constructor takes one."""
    kwargs = dict(config.env_kwargs)
    if config.split is not None and "split" not in kwargs:
        entry = spec(env_id).entry_point
        factory = load_entry_point(entry) if isinstance(entry, str) else entry
        try:
            if "split" in inspect.signature(factory).parameters:
                kwargs["split"] = config.split
        except (TypeError, ValueError):  # no signature to inspect: pass nothing
            pass
    return kwargs


class _WorkerEnvs:
    """The envs one worker owns, made on first use and replaced after an infra error."""

    def __init__(self, config: EvalConfig) -> None:
        self.config = config
        self.envs: dict[str, Env] = {}

    def factory(self, env_id: str) -> Callable[..., Env]:
        def get(fresh: bool) -> Env:
            env = self.envs.get(env_id)
            if env is not None and fresh:
                _close_quietly(env)
                env = None
            if env is None:
                env = make(env_id, **env_kwargs_for(env_id, self.config))
                self.envs[env_id] = env
            return env
        return get

    def close(self) -> None:
        for env in self.envs.values():
            _close_quietly(env)


def _close_quietly(env: Env) -> None:
    with contextlib.suppress(Exception):  # closing a broken env must not hide the real error
        env.close()


def prepare_out_dir(config: EvalConfig) -> tuple[Path, EpisodeStore, set]:
    """Create or reopen the output folder; return the keys already stored."""
    out = Path(config.out)
    store = EpisodeStore(out / EPISODES_FILE)
    if store.path.exists() and store.path.stat().st_size > 0 and not config.resume:
        raise ConfigError(f"{out} already holds episodes: pass --resume to finish that run, "
                          "or choose another --out folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / CONFIG_FILE).write_text(json.dumps(
            {"eval": asdict(config), "package_version": gym_agents.__version__}, indent=2))
    except OSError as exc:
        raise StoreError(f"cannot write to output folder {out}: {exc.strerror}. "
                         "Choose another --out folder.") from exc
    done = {ep.key for ep in store if ep.status != "infra_error"} if config.resume else set()
    return out, store, done


async def run_eval(
    config: EvalConfig,
    on_episode: Callable[[Episode], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the evaluation; return the summary (also written to summary.json)."""
    config.validate()
    if config.model and needs_llm(config.agent):
        from gym_agents.llm import shared_llm

        # Load the weights once, before any episode, so a bad model fails the run at once.
        await asyncio.to_thread(shared_llm, config.model)
    out, store, done = prepare_out_dir(config)
    jobs = [job for job in plan_jobs(config) if job.key not in done]
    if on_start is not None:
        on_start(len(jobs), len(done))
    queue: asyncio.Queue[Job] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker() -> None:
        envs = _WorkerEnvs(config)
        agent = make_agent(config.agent, **config.full_agent_kwargs())
        try:
            while True:
                try:
                    job = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                episode = await run_episode_with_retries(
                    envs.factory(job.env_id), agent, max_retries=config.max_retries,
                    env_id=job.env_id, seed=job.seed, sample_index=job.sample_index,
                    model=config.model,
                    config={"agent_kwargs": config.agent_kwargs, "split": config.split,
                            "sampling": config.sampling},
                )
                store.append(episode)
                if on_episode is not None:
                    on_episode(episode)
        finally:
            await asyncio.to_thread(envs.close)

    try:
        await asyncio.gather(*(worker() for _ in range(min(config.concurrency, len(jobs)))))
    finally:
        store.close()
    summary = summarize(store, config.env_ids)
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    return summary


def latest_episodes(store: EpisodeStore) -> dict[tuple, Episode]:
    """One episode per key: a finished record beats an infra error, later beats earlier."""
    chosen: dict[tuple, Episode] = {}
    for ep in store:
        old = chosen.get(ep.key)
        if old is None or ep.status != "infra_error" or old.status == "infra_error":
            chosen[ep.key] = ep
    return chosen


def summarize(store: EpisodeStore, env_ids: list[str]) -> dict[str, Any]:
    by_env: dict[str, list[Episode]] = {env_id: [] for env_id in env_ids}
    for ep in latest_episodes(store).values():
        by_env.setdefault(ep.env_id, []).append(ep)
    return {"created_at": time.time(), "package_version": gym_agents.__version__,
            "envs": {env_id: summarize_env(eps) for env_id, eps in by_env.items()}}


def summarize_env(episodes: list[Episode]) -> dict[str, Any]:
    scored = [ep for ep in episodes if ep.status != "infra_error"]
    n = len(scored)
    wins = sum(ep.success for ep in scored)
    low, high = wilson_interval(wins, n)
    return {
        "episodes": n,
        "successes": wins,
        "success_rate": wins / n if n else None,
        "success_ci95": [low, high] if n else None,
        "mean_reward": sum(ep.total_reward for ep in scored) / n if n else None,
        "mean_turns": sum(ep.num_turns for ep in scored) / n if n else None,
        "truncated": sum(ep.status == "truncated" for ep in scored),
        "infra_errors": len(episodes) - n,
        **token_usage(scored),
    }


def token_usage(episodes: list[Episode]) -> dict[str, Any]:
    """Model tokens per episode and seconds per agent decision (None without an LLM)."""
    prompt = completion = 0
    llm_turns = 0
    seconds = [t.agent_seconds for ep in episodes for t in ep.turns]
    for ep in episodes:
        for turn in ep.turns:
            llm = turn.info.get("llm") if isinstance(turn.info, dict) else None
            if llm:
                prompt += int(llm.get("prompt_tokens") or 0)
                completion += int(llm.get("completion_tokens") or 0)
            elif turn.token_ids is not None:
                prompt += len(turn.prompt_token_ids or ())
                completion += len(turn.token_ids)
            else:
                continue
            llm_turns += 1
    n = len(episodes)
    return {
        "prompt_tokens": prompt if llm_turns else None,
        "completion_tokens": completion if llm_turns else None,
        "mean_tokens_per_episode": (prompt + completion) / n if llm_turns and n else None,
        "mean_turn_seconds": sum(seconds) / len(seconds) if seconds else None,
    }


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval: sane at 0% and 100%, unlike the normal approximation."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))
