"""GRPO and Dr.GRPO: trajectory-level advantages normalized within a task's group.

    Â_i = (R_i - mean_G R) / (std_G R + ε)      scale_rewards: group
    Â_i =  R_i - mean_G R                         scale_rewards: none (Dr.GRPO)

broadcast to the action tokens of every turn of rollout i. Each rollout counts
once in its group's statistics, however many rows (segments) it has. With
`drop_zero_std_groups` (dynamic sampling) a group whose rewards are all equal
trains on nothing: its advantages are 0 anyway, and dropping it keeps it out
of the token-mean's denominator too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gym_agents.trainers.knobs import knob
from gym_agents.trainers.records import Rollout, by_group, mean, std


@dataclass
class GRPOConfig:
    scale_rewards: str = knob("group", "divide by the group's reward std (group) or not "
                                       "(none: Dr.GRPO)", ("group", "none"))
    epsilon: float = knob(1e-6, "added to the std before dividing")
    drop_zero_std_groups: bool = knob(False, "dynamic sampling: leave out groups whose "
                                             "rewards are all equal")


def grpo_advantages(rollouts: list[Rollout], config: GRPOConfig) -> dict[str, Any]:
    """Set `turn_advantages` on every rollout; return group metrics."""
    groups = by_group(rollouts)
    zero_std = 0
    for group in groups.values():
        rewards = [r.reward for r in group]
        m, s = mean(rewards), std(rewards)
        zero_std += s == 0
        for rollout in group:
            advantage = rollout.reward - m
            if config.scale_rewards == "group":
                advantage /= s + config.epsilon
            rollout.turn_advantages = [advantage] * rollout.num_turns
            if config.drop_zero_std_groups and s == 0:
                rollout.masked = True
    return group_metrics(groups, zero_std)


def group_metrics(groups: dict[str, list[Rollout]], zero_std: int) -> dict[str, Any]:
    return {"groups/count": len(groups),
            "groups/zero_std_frac": zero_std / len(groups) if groups else 0.0,
            "groups/reward_std_mean": mean([std([r.reward for r in g]) for g in groups.values()])}
