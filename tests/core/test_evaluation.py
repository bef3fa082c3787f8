import asyncio
import json

import pytest

from gym_agents.errors import ConfigError, UnknownEnvError
from gym_agents.evaluation import EvalConfig, run_eval, wilson_interval
from gym_agents.store import EpisodeStore


def run(config: EvalConfig) -> dict:
    return asyncio.run(run_eval(config))


def test_oracle_wins_and_random_is_far_below(tmp_path):
    envs = ["toy/Relay-v0", "toy/GuessNumber-v0"]
    oracle = run(EvalConfig(envs, agent="oracle", episodes=20, out=str(tmp_path / "o")))
    rand = run(EvalConfig(envs, agent="random", episodes=40, out=str(tmp_path / "r")))
    for env_id in envs:
        assert oracle["envs"][env_id]["success_rate"] == 1.0
        assert oracle["envs"][env_id]["episodes"] == 20
        assert rand["envs"][env_id]["success_rate"] < 0.4
    saved = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert saved["envs"]["toy/Relay-v0"]["success_ci95"][0] > 0.8


def test_resume_runs_only_what_is_missing(tmp_path):
    out = str(tmp_path / "run")
    run(EvalConfig(["toy/Relay-v0"], agent="oracle", episodes=5, out=out))
    with pytest.raises(ConfigError, match="--resume"):
        run(EvalConfig(["toy/Relay-v0"], agent="oracle", episodes=8, out=out))
    summary = run(EvalConfig(["toy/Relay-v0"], agent="oracle", episodes=8, out=out, resume=True))
    seeds = [ep.seed for ep in EpisodeStore(tmp_path / "run" / "episodes.jsonl")]
    assert sorted(seeds) == list(range(8)) and summary["envs"]["toy/Relay-v0"]["episodes"] == 8


def test_samples_run_each_task_several_times(tmp_path):
    summary = run(EvalConfig(["toy/Relay-v0"], agent="random", episodes=3, samples=2,
                             out=str(tmp_path / "s")))
    eps = list(EpisodeStore(tmp_path / "s" / "episodes.jsonl"))
    assert sorted((ep.seed, ep.sample_index) for ep in eps) == [
        (s, i) for s in range(3) for i in range(2)]
    assert summary["envs"]["toy/Relay-v0"]["episodes"] == 6
    # The random agent draws a fresh stream per sample, not the same episode twice.
    actions = {(ep.seed, ep.sample_index): [t.action for t in ep.turns] for ep in eps}
    assert any(actions[(s, 0)] != actions[(s, 1)] for s in range(3))


def test_bad_config_fails_before_any_work(tmp_path):
    with pytest.raises(UnknownEnvError):
        run(EvalConfig(["toy/Nope-v0"], out=str(tmp_path / "a")))
    with pytest.raises(ConfigError, match="unknown agent"):
        run(EvalConfig(["toy/Relay-v0"], agent="genius", out=str(tmp_path / "b")))
    with pytest.raises(ConfigError, match="concurrency"):
        run(EvalConfig(["toy/Relay-v0"], concurrency=0, out=str(tmp_path / "c")))
    assert not (tmp_path / "a").exists()


def test_wilson_interval():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(20, 20)
    assert high == 1.0 and 0.83 < low < 0.84
    low, high = wilson_interval(5, 10)
    assert low < 0.5 < high and abs((0.5 - low) - (high - 0.5)) < 1e-9
