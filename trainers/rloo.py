"""RLOO: each rollout's baseline is the mean reward of the other rollouts of its task.

    Â_i = R_i - mean_{j≠i} R_j

An unbiased estimator (a rollout never sets its own baseline). A group with a
single usable rollout (the others were infra errors) has no baseline: its
advantage is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gym_agents.trainers.grpo import group_metrics
from gym_agents.trainers.records import Rollout, by_group


@dataclass
class RLOOConfig:
    """RLOO has no knobs of its own (group size is rollout.group_size)."""


def rloo_advantages(rollouts: list[Rollout], config: RLOOConfig) -> dict[str, Any]:
    groups = by_group(rollouts)
    zero_std = 0
    for group in groups.values():
        total, n = sum(r.reward for r in group), len(group)
        zero_std += len({r.reward for r in group}) == 1
        for rollout in group:
            advantage = rollout.reward - (total - rollout.reward) / (n - 1) if n > 1 else 0.0
            rollout.turn_advantages = [advantage] * rollout.num_turns
    return group_metrics(groups, zero_std)
