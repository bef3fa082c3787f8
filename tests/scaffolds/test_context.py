import asyncio

import pytest

import gym_agents
from gym_agents.agents import make_agent
from gym_agents.rollout import run_episode
from gym_agents.scaffolds.context import (
    ContextBudgetExceeded,
    FullHistory,
    Segment,
    SlidingWindow,
)
from tests.scaffolds.helpers import relay_solver


def segs(*sizes):
    return [Segment([{"role": "user", "content": str(i)}], num_tokens=n)
            for i, n in enumerate(sizes)]


def test_full_history_keeps_everything_until_the_budget():
    s = segs(10, 5, 5)
    assert FullHistory().select(s, reserve=100) == s
    assert FullHistory(max_tokens=30).select(s, reserve=10) == s
    with pytest.raises(ContextBudgetExceeded, match="sliding_window"):
        FullHistory(max_tokens=29).select(s, reserve=10)


def test_sliding_window_keeps_the_task_and_the_last_turns_that_fit():
    s = segs(10, 5, 6, 7, 8)
    assert SlidingWindow(turns=2).select(s, reserve=0) == [s[0], s[3], s[4]]
    assert SlidingWindow(turns=8, max_tokens=10 + 8 + 4).select(s, reserve=4) == [s[0], s[4]]
    assert SlidingWindow(turns=8, max_tokens=10 + 21).select(s, reserve=0) == [s[0], *s[2:]]
    with pytest.raises(ContextBudgetExceeded):
        SlidingWindow(turns=8, max_tokens=17).select(s, reserve=0)


def run_relay(**agent_kwargs):
    env = gym_agents.make("toy/Relay-v0", length=20)
    agent = make_agent("react", llm=relay_solver(), sampling={"max_tokens": 60}, **agent_kwargs)
    return asyncio.run(run_episode(env, agent, env_id="toy/Relay-v0", seed=1))


def test_sliding_window_keeps_the_token_budget_and_the_task_in_an_episode():
    budget = 1200
    episode = run_relay(context="sliding_window", window=4, max_context_tokens=budget)
    assert episode.status == "ok" and episode.success  # Relay needs only the last turn
    task_ids = episode.turns[0].prompt_token_ids
    sizes = [len(t.prompt_token_ids) for t in episode.turns]
    assert max(sizes) + 60 <= budget
    assert all(t.prompt_token_ids[:len(task_ids)] == task_ids for t in episode.turns)
    assert max(t.info["llm"]["context_segments"] for t in episode.turns) <= 5
    # The window really slid: later prompts stop growing.
    assert sizes[-1] < len(task_ids) + 19 * (sizes[2] - sizes[1]) / 2
    unbounded = run_relay()
    assert len(unbounded.turns[-1].prompt_token_ids) > max(sizes) + 500


def test_full_history_over_budget_ends_the_episode_truncated():
    episode = run_relay(context="full", max_context_tokens=1500)
    assert episode.status == "truncated" and "budget" in episode.error
    assert all(len(t.prompt_token_ids) + 60 <= 1500 for t in episode.turns)
