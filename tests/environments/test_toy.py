"""The toy envs' options: Relay's symbol sets and sparse reward."""

from __future__ import annotations

import pytest

import gym_agents
from gym_agents.errors import ConfigError


def _play(env, seed, answers):
    env.reset(seed=seed)
    rewards = []
    for answer in answers:
        _, reward, terminated, _, info = env.step(answer)
        rewards.append(reward)
    return rewards, terminated, info


def test_relay_sparse_reward_pays_only_a_perfect_episode():
    env = gym_agents.make("toy/Relay-v0", length=2, num_symbols=4, symbols="digits",
                          reward="success")
    obs, _ = env.reset(seed=3)
    assert obs.metadata["admissible_commands"] == ["0", "1", "2", "3"]
    perfect = []
    for _ in range(3):
        perfect.append(env.oracle_action())
        env.step(perfect[-1])
    rewards, terminated, info = _play(env, 3, perfect)
    assert rewards == [0.0, 0.0, 1.0] and terminated and info["success"]
    wrong = [*perfect[:2], next(s for s in "0123" if s != perfect[2])]
    rewards, terminated, info = _play(env, 3, wrong)
    assert rewards == [0.0, 0.0, 0.0] and terminated and not info["success"]


def test_relay_dense_reward_pays_each_correct_reply():
    env = gym_agents.make("toy/Relay-v0", length=2)
    env.reset(seed=1)
    answers = []
    for _ in range(3):
        answers.append(env.oracle_action())
        env.step(answers[-1])
    rewards, _, _ = _play(env, 1, answers)
    assert rewards == [0.0, 0.5, 0.5]


def test_relay_rejects_bad_options():
    with pytest.raises(ConfigError, match="symbols must be one of"):
        gym_agents.make("toy/Relay-v0", symbols="emoji")
    with pytest.raises(ConfigError, match=r"num_symbols must be in \[2, 10\]"):
        gym_agents.make("toy/Relay-v0", symbols="digits", num_symbols=11)
    with pytest.raises(ConfigError, match="reward must be"):
        gym_agents.make("toy/Relay-v0", reward="sometimes")
