import asyncio

from gym_agents import EnvInfraError, Observation, StepResult
from gym_agents.agents import make_agent
from gym_agents.env import Env
from gym_agents.environments.toy.relay import RelayEnv
from gym_agents.rollout import run_episode, run_episode_with_retries


class FlakyEnv(Env):
    """Dies with an infra error on its first `failures` resets."""

    made = 0

    def __init__(self, failures: int) -> None:
        FlakyEnv.made += 1
        self.failures = failures

    def reset(self, *, seed=None, options=None):
        if FlakyEnv.made <= self.failures:
            raise EnvInfraError("engine died")
        return Observation("go"), {"task_id": "flaky"}

    def step(self, action):
        return StepResult(Observation("done"), 1.0, True, False, {"success": True})

    def valid_actions(self):
        return ["go"]


def test_oracle_episode_records_every_turn():
    ep = asyncio.run(run_episode(RelayEnv(length=3), make_agent("oracle"), env_id="toy/Relay-v0",
                                 seed=5))
    assert ep.status == "ok" and ep.success and ep.num_turns == 4
    assert ep.total_reward == 1.0 and ep.task_id == "relay-5"
    assert ep.turns[-1].terminated and all(t.env_seconds >= 0 for t in ep.turns)


def test_infra_errors_are_retried_on_a_fresh_env():
    FlakyEnv.made = 0
    fresh_flags = []

    def factory(fresh):
        fresh_flags.append(fresh)
        return FlakyEnv(failures=2)

    ep = asyncio.run(run_episode_with_retries(factory, make_agent("random"), max_retries=2,
                                              env_id="x/Flaky-v0", seed=0))
    assert ep.status == "ok" and ep.retries == 2 and fresh_flags == [False, True, True]


def test_exhausted_retries_end_as_infra_error_not_a_crash():
    FlakyEnv.made = 0
    ep = asyncio.run(run_episode_with_retries(lambda fresh: FlakyEnv(failures=10),
                                              make_agent("random"), max_retries=1,
                                              env_id="x/Flaky-v0", seed=0))
    assert ep.status == "infra_error" and "engine died" in ep.error and ep.retries == 1


def test_an_env_that_never_ends_is_cut_by_max_turns():
    ep = asyncio.run(run_episode(RelayEnv(length=50), make_agent("random"), env_id="toy/Relay-v0",
                                 seed=0, max_turns=5))
    assert ep.status == "truncated" and ep.num_turns == 5
