"""Learning on a CPU, end to end: stored episodes -> token-exact rows -> training -> eval.

toy/Relay-v0 needs memory across turns: reply with the symbol shown one turn
earlier (digits 0-3, two graded replies, reward 1 only when both are right;
chance 1/16). The model is `make-tiny`'s random-init Qwen2 (~0.9M parameters).
SFT on oracle episodes must take it to >= 0.8 success on held-out seeds
(greedy, through the same eval code as the CLI); the same training on random
agent episodes, which show the format but no skill, must stay near chance.

The RL criterion of the trainers issue (GRPO and PPO from <= 0.1 to >= 0.8 from
a random-init model) is not met yet and has no test here: see the trainers'
notes in README.md.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

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
