"""ScienceWorld family: ids, the env on ScienceWorld's own simulator, gold-path oracle, eval.

Every id also runs through `check_env` in tests/core/test_check_env.py (slow).
"""

from __future__ import annotations

import json

import pytest

import gym_agents
from gym_agents import OracleUnavailable, ToolCall
from gym_agents.cli.main import main as cli_main
from gym_agents.environments.scienceworld.env import ScienceWorldEnv
from gym_agents.environments.scienceworld.registration import TASKS
from gym_agents.errors import ConfigError
from gym_agents.testing import check_env

SHORT = "scienceworld/find-non-living-thing-v0"  # a gold path of a few actions


@pytest.fixture(scope="module")
def env():
    made = gym_agents.make(SHORT, split="test")
    yield made
    made.close()


def play_oracle(env, seed: int):
    env.reset(seed=seed)
    total = 0.0
    while True:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        assert not info["invalid_action"]
        total += reward
        if terminated or truncated:
            return info, total


def test_thirty_task_types_are_registered():
    assert len(TASKS) == 30 == len(set(TASKS))
    for task in TASKS:
        spec = gym_agents.spec(f"scienceworld/{task}-v0")
        assert spec.extra == "scienceworld" and spec.max_episode_steps >= 100


def test_the_registered_names_are_scienceworlds(env):
    env.reset(seed=0)
    assert sorted(env.unwrapped._sim.get_task_names()) == sorted(TASKS)


def test_bad_arguments_name_the_field():
    with pytest.raises(ConfigError, match="split"):
        ScienceWorldEnv("boil", split="valid")
    bad = ScienceWorldEnv("juggle")
    with pytest.raises(ConfigError, match="task must be one of"):
        bad.reset(seed=0)


def test_reset_shows_the_task_and_the_room(env):
    obs, info = env.reset(seed=0)
    assert obs.text.startswith("Task Description:") and "This room is called" in obs.text
    assert info["task_id"] == "find-non-living-thing/test-0" and info["score"] == 0
    assert info["variation"] == sorted(env.unwrapped._sim.get_variations_test())[0]
    commands = obs.metadata["admissible_commands"]
    assert "look around" in commands and env.valid_actions() == commands
    (tool,) = obs.tools
    assert tool.name == "command"
    with pytest.raises(ConfigError, match="seed must be below"):
        env.reset(seed=10_000)


def test_gold_path_scores_100_with_rewards_summing_to_one(env):
    info, total = play_oracle(env, 0)
    assert info["success"] and info["score"] == 100 and total == pytest.approx(1.0)
    obs, reward, terminated, _, info = env.step("look around")
    assert info["invalid_action"] and terminated and reward == 0.0
    assert "task is over" in obs.text


def test_invalid_actions_are_observations_and_keep_the_gold_path(env):
    env.reset(seed=1)
    first = env.oracle_action()
    for action in ["dance wildly", "", ToolCall("shout", {"command": "x"}),
                   ToolCall("command", {}), 7]:
        _, reward, terminated, truncated, info = env.step(action)
        assert info["invalid_action"] is True and reward == 0.0, action
        assert not terminated and not truncated
    assert "'dance wildly' is not an action ScienceWorld knows" in env.step("dance wildly")[0].text
    assert env.oracle_action() == first
    result = env.step(ToolCall("command", {"command": first}))
    assert not result.info["invalid_action"]


def test_oracle_stops_once_the_agent_leaves_the_gold_path(env):
    env.reset(seed=0)
    env.step("inventory")
    with pytest.raises(OracleUnavailable, match="left it"):
        env.oracle_action()


def test_check_env_passes(env):
    check_env(gym_agents.make("scienceworld/lifespan-shortest-lived-v0", split="dev"))


@pytest.mark.slow
def test_eval_oracle_scores_100(tmp_path, capsys):
    out = tmp_path / "run"
    ids = ["scienceworld/chemistry-mix-v0", "scienceworld/power-component-v0"]
    args = ["eval", "--agent", "oracle", "--episodes", "2", "--out", str(out), "--quiet"]
    for env_id in ids:
        args += ["--env", env_id]
    assert cli_main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert all(summary["envs"][i]["success_rate"] == 1.0 for i in ids)
