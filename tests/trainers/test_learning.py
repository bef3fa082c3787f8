"""Learning on a CPU, end to end: stored episodes -> token-exact rows -> training -> eval.

toy/Relay-v0 needs memory across turns: reply with the symbol shown one turn
earlier (digits 0-3, two graded replies, reward 1 only when both are right;
chance 1/16). The model is `make-tiny`'s random-init Qwen2 (~0.9M parameters).
SFT on oracle episodes must take it to >= 0.8 success on held-out seeds
(greedy, through the same eval code as the CLI); the same training on random
agent episodes, which show the format but no skill, must stay near chance.

RL: GRPO must learn a one-turn bandit (reply "3"; chance 1/4 after the format
warm start) to >= 0.8 in 40 steps, and not with its advantages forced to 0.
The trainers issue's criterion (GRPO and PPO from <= 0.1 to >= 0.8 on the
relay itself) is not met yet and has no test here: see README.md, Training.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from gym_agents.core import Observation, StepResult
from gym_agents.env import Env

pytest.importorskip("torch")

pytestmark = pytest.mark.slow

CONFIGS = Path(__file__).parents[2] / "configs"
RELAY = {"length": 2, "num_symbols": 4, "symbols": "digits", "reward": "success",
         "feedback": False}
# One thread is as fast as two for a model this small, and fights nothing else.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _episodes(agent: str, out: Path) -> Path:
    from gym_agents.evaluation import EvalConfig, run_eval

    asyncio.run(run_eval(EvalConfig(env_ids=["toy/Relay-v0"], agent=agent, episodes=256,
                                    split=None, env_kwargs=RELAY, out=str(out))))
    return out


def _sft(model: Path, data: Path, out: Path) -> Path:
    from gym_agents.trainers.config import load_config
    from gym_agents.trainers.loop import Trainer

    config = load_config(CONFIGS / "sft_toy.yaml", [
        f"model.path={model}", f"sft.data=[{data}]", "sft.only_success=false",
        "trainer.steps=200", "trainer.lr=3e-4", "logging.tensorboard=false",
        "logging.progress=false"])
    Trainer(config, out).train()
    return out / "final"


def _held_out_success(model: Path, out: Path) -> float:
    from gym_agents.evaluation import EvalConfig, run_eval

    summary = asyncio.run(run_eval(EvalConfig(
        env_ids=["toy/Relay-v0"], agent="direct", agent_kwargs={"show_valid_actions": False},
        model=f"hf:{model}", sampling={"temperature": 0, "max_tokens": 4}, episodes=64,
        seed=10_000, split=None, env_kwargs=RELAY, out=str(out), concurrency=8)))
    return summary["envs"]["toy/Relay-v0"]["success_rate"]


def test_sft_on_oracle_episodes_learns_the_relay(tiny_model_dir, tmp_path):
    assert _held_out_success(tiny_model_dir, tmp_path / "before") <= 0.1
    model = _sft(tiny_model_dir, _episodes("oracle", tmp_path / "oracle"), tmp_path / "sft")
    assert _held_out_success(model, tmp_path / "after") >= 0.8


def test_sft_on_random_episodes_stays_near_chance(tiny_model_dir, tmp_path):
    model = _sft(tiny_model_dir, _episodes("random", tmp_path / "random"), tmp_path / "sft")
    assert _held_out_success(model, tmp_path / "after") <= 0.25


class Bandit(Env):
    """One turn: the reply "3" earns 1, anything else 0 (same prompt every time)."""

    action_kinds = frozenset({"text"})

    def reset(self, *, seed=None, options=None):
        return Observation("Symbols: 0, 1, 2, 3.\n\nSymbol: 1"), {"task_id": "bandit"}

    def step(self, action):
        ok = isinstance(action, str) and action.strip() == "3"
        return StepResult(Observation("done"), float(ok), True, False, {"success": ok})


@pytest.fixture(scope="module")
def format_start(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model after SFT on random relay episodes: it replies with a digit."""
    root = tmp_path_factory.mktemp("format")
    return _sft(tiny_model_dir, _episodes("random", root / "random"), root / "sft")


def _bandit_run(model: Path, out: Path, *overrides: str) -> list[float]:
    import gym_agents
    from gym_agents.registration import registry
    from gym_agents.trainers.config import load_config
    from gym_agents.trainers.loop import Trainer

    gym_agents.register("test/Bandit-v0", entry_point=Bandit)
    try:  # registered for this run only: later tests see the registry as it was
        config = load_config(CONFIGS / "grpo_toy.yaml", [
            f"model.path={model}", "env.id=test/Bandit-v0", "env.kwargs={}", "env.split=null",
            "rollout.tasks_per_step=2", "trainer.steps=40", "logging.tensorboard=false",
            "logging.progress=false", *overrides])
        Trainer(config, out).train()
    finally:
        registry.pop("test/Bandit-v0", None)
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["reward/mean"] for line in lines]


def test_grpo_learns_a_one_turn_bandit(format_start, tmp_path):
    rewards = _bandit_run(format_start, tmp_path / "grpo")
    assert sum(rewards[:3]) / 3 <= 0.45
    assert sum(rewards[-5:]) / 5 >= 0.8


def test_grpo_with_zero_advantages_does_not_learn_the_bandit(format_start, tmp_path):
    rewards = _bandit_run(format_start, tmp_path / "control", "trainer.zero_advantages=true")
    assert sum(rewards[-5:]) / 5 <= 0.45
