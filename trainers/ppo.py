"""Turn-level PPO: a value head read at each turn boundary, GAE over turns.

V(s_t) is read at the last prompt token of turn t (from a value head on the
policy's final hidden state; with `detach_value_features` the head sees
stop-gradient features, so the critic never moves the backbone). With turn
rewards r_t:

    δ_t = r_t + γ V(s_{t+1}) - V(s_t),    Â_t = Σ_l (γλ)^l δ_{t+l},    returns_t = Â_t + V(s_t)

computed over turns (V after the last turn is 0), broadcast to the action
tokens of turn t. The value loss is clipped around the values of the rollout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gym_agents.trainers.knobs import knob
from gym_agents.trainers.records import Rollout, mean, std


@dataclass
class PPOConfig:
    gamma: float = knob(1.0, "discount over turns (1.0 for ALFWorld-style tasks, or 0.99)")
    lam: float = knob(0.95, "GAE λ")
    value_coef: float = knob(0.5, "weight of the value loss")
    value_clip: float = knob(0.2, "clip of the value update around the rollout's values")
    value_lr_mult: float = knob(10.0, "learning rate of the value head = this x trainer.lr")
    value_warmup_steps: int = knob(0, "steps that train the value head only")
    detach_value_features: bool = knob(False, "the value head sees stop-gradient features "
                                              "(the critic does not move the backbone)")
    normalize_advantages: bool = knob(True, "whiten advantages over the batch's turns")


def gae(rewards: list[float], values: list[float], gamma: float, lam: float) -> list[float]:
    advantages, running = [0.0] * len(rewards), 0.0
    for t in reversed(range(len(rewards))):
        next_value = values[t + 1] if t + 1 < len(values) else 0.0
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
    return advantages


def ppo_advantages(rollouts: list[Rollout], values: dict[str, list[float]],
                   config: PPOConfig) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Set `turn_advantages`; return the value targets (returns) per rollout uid and metrics."""
    returns: dict[str, list[float]] = {}
    usable = [r for r in rollouts if r.ok]
    for rollout in usable:
        v = values[rollout.uid]
        adv = gae(rollout.turn_rewards, v, config.gamma, config.lam)
        rollout.turn_advantages = adv
        returns[rollout.uid] = [a + b for a, b in zip(adv, v, strict=True)]
    all_adv = [a for r in usable for a in r.turn_advantages]
    if config.normalize_advantages and len(all_adv) > 1:
        m, s = mean(all_adv), std(all_adv)
        for rollout in usable:
            rollout.turn_advantages = [(a - m) / (s + 1e-8) for a in rollout.turn_advantages]
    flat_v = [x for r in usable for x in values[r.uid]]
    flat_ret = [x for r in usable for x in returns[r.uid]]
    return returns, {"value/mean": mean(flat_v),
                     "value/explained_variance": explained_variance(flat_v, flat_ret)}


def explained_variance(predicted: list[float], target: list[float]) -> float:
    """1 - Var(target - predicted) / Var(target); 1 is perfect, <= 0 is no better than a mean."""
    var = std(target) ** 2
    if var == 0:
        return 0.0
    return 1.0 - std([t - p for p, t in zip(predicted, target, strict=True)]) ** 2 / var
