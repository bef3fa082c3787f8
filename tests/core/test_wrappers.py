import asyncio

import gym_agents
from gym_agents import RecordEpisodeStatistics, TimeLimit
from gym_agents.environments.toy.relay import RelayEnv


def test_time_limit_truncates_and_resets_its_count():
    env = TimeLimit(RelayEnv(length=10), max_episode_steps=3)
    for _ in range(2):
        env.reset(seed=0)
        results = [env.step("red") for _ in range(3)]
        assert [r.truncated for r in results] == [False, False, True]
        assert results[-1].info["TimeLimit.truncated"] is True


def test_time_limit_does_not_truncate_a_terminated_episode():
    env = TimeLimit(RelayEnv(length=2), max_episode_steps=3)
    env.reset(seed=0)
    results = [env.step(env.oracle_action()) for _ in range(3)]
    assert results[-1].terminated and not results[-1].truncated


def test_record_episode_statistics_sync_and_async():
    env = RecordEpisodeStatistics(RelayEnv(length=2))
    env.reset(seed=4)
    result = None
    while result is None or not result.terminated:
        result = env.step(env.oracle_action())
    assert result.info["episode"]["r"] == 1.0 and result.info["episode"]["l"] == 3

    async def play():
        await env.reset_async(seed=4)
        while True:
            r = await env.step_async(env.oracle_action())
            if r.terminated:
                return r
    assert asyncio.run(play()).info["episode"]["l"] == 3


def test_wrappers_forward_identity_and_oracle():
    env = gym_agents.make("toy/GuessNumber-v0")
    env = RecordEpisodeStatistics(env)
    assert env.action_kinds == frozenset({"tool"}) and env.spec.id == "toy/GuessNumber-v0"
    env.reset(seed=1)
    assert env.oracle_action().name == "guess"
    assert len(env.valid_actions()) == 100
