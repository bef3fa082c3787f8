"""Learning on a CPU: each algorithm takes a tiny model from chance to solving toy/Relay-v0.

The task needs memory across turns: reply with the symbol shown one turn
earlier, twice in a row, 4 symbols, reward 1 only when both replies are right
(chance: 1/16). The model is `make-tiny`'s random-init Qwen2 (~0.9M
parameters), warm-started by SFT on *random* agent episodes, so it writes a
symbol and stops but has no skill: its success starts at chance (<= 0.1).
RL must lift the mean reward of the last steps to >= 0.8. The control run,
with every advantage forced to 0, must not improve.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

pytestmark = pytest.mark.slow

CONFIGS = Path(__file__).parents[2] / "configs"
RELAY = {"length": 2, "num_symbols": 4, "reward": "success"}
# Learning curves below are from these runs; one thread is as fast as two for
# a model this small and does not fight the rest of the machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="module")
def warm_start(tiny_model_dir, tmp_path_factory) -> Path:
    from gym_agents.evaluation import EvalConfig, run_eval
    from gym_agents.trainers.config import load_config
    from gym_agents.trainers.loop import Trainer

    root = tmp_path_factory.mktemp("warm")
    asyncio.run(run_eval(EvalConfig(env_ids=["toy/Relay-v0"], agent="random", episodes=256,
                                    split=None, env_kwargs=RELAY, out=str(root / "random"))))
    config = load_config(CONFIGS / "sft_toy.yaml", [
        f"model.path={tiny_model_dir}", f"sft.data=[{root / 'random'}]",
        "logging.tensorboard=false", "logging.progress=false"])
    Trainer(config, root / "sft").train()
    return root / "sft" / "final"


def train(algorithm: str, model: Path, out: Path, *overrides: str) -> list[dict]:
    from gym_agents.trainers.config import load_config
    from gym_agents.trainers.loop import Trainer

    config = load_config(CONFIGS / f"{algorithm}_toy.yaml", [
        f"model.path={model}", "logging.tensorboard=false", "logging.progress=false",
        "logging.save_rollouts=false", *overrides])
    start = time.perf_counter()
    Trainer(config, out).train()
    seconds = time.perf_counter() - start
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rewards = [m["reward/mean"] for m in metrics]
    print(f"{algorithm}: {len(metrics)} steps in {seconds:.0f} s; reward first 5 "
          f"{sum(rewards[:5]) / 5:.3f}, last 10 {sum(rewards[-10:]) / 10:.3f}")
    return metrics


def _mean(metrics: list[dict], key: str = "reward/mean") -> float:
    return sum(m[key] for m in metrics) / len(metrics)


@pytest.mark.parametrize("algorithm", ["grpo", "ppo", "rloo", "gigpo"])
def test_algorithm_learns_the_relay(algorithm, warm_start, tmp_path):
    metrics = train(algorithm, warm_start, tmp_path / algorithm)
    assert _mean(metrics[:5]) <= 0.1, "the warm start is already skilled: not a learning test"
    assert _mean(metrics[-10:]) >= 0.8


def test_zero_advantages_do_not_learn(warm_start, tmp_path):
    metrics = train("grpo", warm_start, tmp_path / "control", "trainer.zero_advantages=true",
                    "trainer.steps=60")
    assert _mean(metrics[-10:]) <= 0.2
    assert all(m["advantages/abs_mean"] == 0 for m in metrics)
