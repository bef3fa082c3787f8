"""GiGPO: episode-level plus step-level advantages from anchor states shared across rollouts.

    Â_t = A^E + ω · A^S_t
    A^E   = R_i - mean over the task's G rollouts
    A^S_t = G_t - mean of G over the anchor group of s_t,   G_t = Σ_k γ^k r_{t+k}

Steps of different rollouts of one task that start from the same observation
(same text, hashed) form an anchor group. A state seen by one step only gives
A^S = 0: the size histogram is logged, since many size-1 groups mean GiGPO
reduces to GRPO without the std.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from gym_agents.trainers.grpo import group_metrics
from gym_agents.trainers.knobs import knob
from gym_agents.trainers.records import Rollout, by_group, mean, std


@dataclass
class GiGPOConfig:
    omega: float = knob(1.0, "weight ω of the step-level advantage")
    gamma: float = knob(0.95, "discount γ of the step returns G_t")


def state_keys(rollout: Rollout) -> list[str]:
    """A hash of the observation each turn acted on."""
    episode = rollout.episode
    observations = [episode.initial_observation] + [t.observation for t in episode.turns[:-1]]
    return [hashlib.sha1((o.text if o else "").encode()).hexdigest() for o in observations]


def discounted_returns(rewards: list[float], gamma: float) -> list[float]:
    out, running = [0.0] * len(rewards), 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def gigpo_advantages(rollouts: list[Rollout], config: GiGPOConfig) -> dict[str, Any]:
    groups = by_group(rollouts)
    sizes: Counter[int] = Counter()
    zero_std = 0
    for group in groups.values():
        episode_mean = mean([r.reward for r in group])
        zero_std += std([r.reward for r in group]) == 0
        anchors: dict[str, list[float]] = {}
        steps = []
        for rollout in group:
            returns = discounted_returns(rollout.turn_rewards, config.gamma)
            keys = state_keys(rollout)
            steps.append((rollout, keys, returns))
            for key, ret in zip(keys, returns, strict=True):
                anchors.setdefault(key, []).append(ret)
        sizes.update(len(v) for v in anchors.values())
        anchor_mean = {key: mean(v) for key, v in anchors.items()}
        for rollout, keys, returns in steps:
            episode_adv = rollout.reward - episode_mean
            rollout.turn_advantages = [episode_adv + config.omega * (ret - anchor_mean[key])
                                       for key, ret in zip(keys, returns, strict=True)]
    metrics = group_metrics(groups, zero_std)
    total = sum(sizes.values())
    metrics["gigpo/anchor_groups"] = total
    metrics["gigpo/singleton_frac"] = sizes.get(1, 0) / total if total else 0.0
    metrics["gigpo/anchor_size_mean"] = (sum(k * v for k, v in sizes.items()) / total
                                         if total else 0.0)
    return metrics
