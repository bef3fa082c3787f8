"""ALGORITHMS.md's deterministic checks: advantages by hand, group statistics, masks, losses."""

from __future__ import annotations

import pytest

from gym_agents.core import Observation
from gym_agents.episode import Episode, Turn
from gym_agents.trainers.gigpo import GiGPOConfig, gigpo_advantages
from gym_agents.trainers.grpo import GRPOConfig, grpo_advantages
from gym_agents.trainers.ppo import PPOConfig, gae, ppo_advantages
from gym_agents.trainers.records import (
    NotTokenExact,
    Rollout,
    broadcast_advantages,
    rows_from_episode,
)
from gym_agents.trainers.rloo import RLOOConfig, rloo_advantages


def episode(rewards, *, status="ok", observations=None, token_turns=None) -> Episode:
    ep = Episode(env_id="toy/Relay-v0", seed=0, status=status,
                 initial_observation=Observation(observations[0] if observations else "start"))
    for i, r in enumerate(rewards):
        text = observations[i + 1] if observations else f"obs {i}"
        prompt, sampled = token_turns[i] if token_turns else ([1, 2], [3])
        ep.turns.append(Turn(index=i, action="a", observation=Observation(text), reward=r,
                             prompt_token_ids=prompt, token_ids=sampled,
                             logprobs=[-0.5] * len(sampled)))
    ep.total_reward = float(sum(rewards))
    return ep


def group(outcomes, gid="g", **kwargs) -> list[Rollout]:
    return [Rollout(episode([r], **kwargs), uid=f"{gid}{i}", group_uid=gid)
            for i, r in enumerate(outcomes)]


def test_grpo_advantages_by_hand():
    rollouts = group([1.0, 0.0, 0.0, 1.0])
    metrics = grpo_advantages(rollouts, GRPOConfig(epsilon=0.0))
    # mean 0.5, population std 0.5
    assert [r.turn_advantages[0] for r in rollouts] == [1.0, -1.0, -1.0, 1.0]
    assert metrics["groups/zero_std_frac"] == 0.0
    grpo_advantages(rollouts, GRPOConfig(scale_rewards="none"))
    assert [r.turn_advantages[0] for r in rollouts] == [0.5, -0.5, -0.5, 0.5]


def test_grpo_broadcasts_to_every_turn_and_counts_a_rollout_once():
    # Rollout a has three turns (think: three segments), b one: two rewards in the group.
    a = Rollout(episode([0.0, 0.0, 1.0]), uid="a", group_uid="g")
    b = Rollout(episode([0.0]), uid="b", group_uid="g")
    grpo_advantages([a, b], GRPOConfig(scale_rewards="none"))
    assert a.turn_advantages == [0.5, 0.5, 0.5]
    assert b.turn_advantages == [-0.5]


def test_infra_errors_stay_out_of_group_statistics():
    rollouts = [*group([1.0, 0.0]), Rollout(episode([5.0], status="infra_error"), "x", "g")]
    grpo_advantages(rollouts, GRPOConfig(scale_rewards="none"))
    assert [r.turn_advantages for r in rollouts] == [[0.5], [-0.5], []]


def test_zero_std_groups_give_zero_advantage_and_can_be_dropped():
    rollouts = group([1.0, 1.0, 1.0])
    metrics = grpo_advantages(rollouts, GRPOConfig())
    assert all(r.turn_advantages == [0.0] for r in rollouts)
    assert metrics["groups/zero_std_frac"] == 1.0
    grpo_advantages(rollouts, GRPOConfig(drop_zero_std_groups=True))
    assert all(r.masked for r in rollouts)


def test_rloo_leave_one_out_by_hand():
    rollouts = group([1.0, 0.0, 0.0, 1.0])
    rloo_advantages(rollouts, RLOOConfig())
    # 1 - mean(0, 0, 1) = 2/3; 0 - mean(1, 0, 1) = -2/3
    assert [round(r.turn_advantages[0], 6) for r in rollouts] == \
        [round(2 / 3, 6), round(-2 / 3, 6), round(-2 / 3, 6), round(2 / 3, 6)]
    single = group([1.0], gid="h")
    rloo_advantages(single, RLOOConfig())
    assert single[0].turn_advantages == [0.0]


def test_gigpo_anchor_groups_by_hand():
    # Two rollouts share the start state "s"; then they part ("x" vs "y").
    a = Rollout(episode([0.0, 1.0], observations=["s", "x", "end"]), uid="a", group_uid="g")
    b = Rollout(episode([0.0, 0.0], observations=["s", "y", "end"]), uid="b", group_uid="g")
    metrics = gigpo_advantages([a, b], GiGPOConfig(omega=1.0, gamma=0.5))
    # A^E: a +0.5, b -0.5. Step returns: a [0.5, 1.0], b [0, 0]. Anchor "s": mean 0.25.
    # States "x" and "y" are singletons (A^S = 0).
    assert a.turn_advantages == [0.5 + 0.25, 0.5]
    assert b.turn_advantages == [-0.5 - 0.25, -0.5]
    assert metrics["gigpo/singleton_frac"] == pytest.approx(2 / 3)


def test_gae_by_hand():
    # r = [0, 1], V = [0.5, 0.8], γ = 1, λ = 0.5
    # δ1 = 1 - 0.8 = 0.2; δ0 = 0 + 0.8 - 0.5 = 0.3; A1 = 0.2; A0 = 0.3 + 0.5 * 0.2 = 0.4
    assert gae([0.0, 1.0], [0.5, 0.8], 1.0, 0.5) == pytest.approx([0.4, 0.2])
    rollout = Rollout(episode([0.0, 1.0]), uid="a", group_uid="g")
    returns, _ = ppo_advantages([rollout], {"a": [0.5, 0.8]},
                                PPOConfig(lam=0.5, normalize_advantages=False))
    assert rollout.turn_advantages == pytest.approx([0.4, 0.2])
    assert returns["a"] == pytest.approx([0.9, 1.0])


def test_rows_are_token_exact_and_mask_env_tokens():
    # Turn 1's prompt extends turn 0's prompt + sample; turn 2 restarts (a summary, a window).
    turns = [([1, 2, 3], [10, 11]), ([1, 2, 3, 10, 11, 4, 5], [12]), ([1, 2, 9], [13, 14])]
    ep = episode([0.0, 0.0, 1.0], token_turns=turns)
    rows = rows_from_episode(ep, "r")
    assert [r.token_ids for r in rows] == [[1, 2, 3, 10, 11, 4, 5, 12], [1, 2, 9, 13, 14]]
    assert rows[0].loss_mask == [0, 0, 0, 1, 1, 0, 0, 1]
    assert rows[1].loss_mask == [0, 0, 0, 1, 1]
    assert rows[0].turn_index == [-1, -1, -1, 0, 0, -1, -1, 1]
    assert rows[0].value_positions == {0: 2, 1: 6} and rows[1].value_positions == {2: 2}
    assert [r.segment_id for r in rows] == [0, 1]
    assert rows[0].rollout_logprobs == [0, 0, 0, -0.5, -0.5, 0, 0, -0.5]
    rollout = Rollout(ep, "r", "g", rows=rows, turn_advantages=[0.1, 0.2, 0.3])
    broadcast_advantages(rollout)
    assert rows[0].advantages == [0, 0, 0, 0.1, 0.1, 0, 0, 0.2]
    assert rows[1].advantages == [0, 0, 0, 0.3, 0.3]


def test_overlong_rollouts_count_in_statistics_but_train_on_nothing():
    rollouts = group([1.0, 0.0])
    rollouts[1].masked = True
    for r in rollouts:
        r.rows = rows_from_episode(r.episode, r.uid)
    grpo_advantages(rollouts, GRPOConfig(scale_rewards="none"))
    for r in rollouts:
        broadcast_advantages(r)
    assert rollouts[0].turn_advantages == [0.5]  # the masked rollout set the baseline
    assert sum(rollouts[1].rows[0].loss_mask) == 0


def test_episodes_without_token_ids_are_refused():
    ep = episode([1.0])
    ep.turns[0].token_ids = None
    with pytest.raises(NotTokenExact, match="token ids"):
        rows_from_episode(ep)
