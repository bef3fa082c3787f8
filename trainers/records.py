"""Rollout records: an episode's turns as token-exact training rows.

A scaffold that tokenizes builds each turn's prompt as the previous prompt +
the ids sampled then + the ids of the env's answer, so a whole episode is one
sequence: the last prompt followed by the last sampled ids. `rows_from_episode`
walks the turns and checks that: while each prompt extends the sequence so
far, the turn goes on the same row (the new env/template ids with loss mask 0,
the sampled ids with mask 1); when it does not (a sliding window or a SUPO
summary restarted the context) a new row, a new segment, begins. Nothing is
decoded or re-templated: a row holds exactly the ids the policy saw and sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gym_agents.episode import Episode
from gym_agents.errors import GymAgentsError


class NotTokenExact(GymAgentsError):
    """An episode's turns lack the token ids training needs (a model without a tokenizer)."""


@dataclass
class Row:
    """One training sequence: a context (segment) of one rollout."""

    token_ids: list[int] = field(default_factory=list)
    loss_mask: list[int] = field(default_factory=list)  # 1 on sampled action tokens only
    rollout_logprobs: list[float] = field(default_factory=list)  # engine's, 0.0 where mask 0
    turn_index: list[int] = field(default_factory=list)  # turn of each sampled token, else -1
    # Turn -> position of the last prompt token before the turn's sample (where V(s_t) is read).
    value_positions: dict[int, int] = field(default_factory=dict)
    segment_id: int = 0
    rollout_uid: str = ""
    # Filled before the update: per-token advantage, and 0-mask for masked (overlong) rollouts.
    advantages: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.token_ids)

    @property
    def num_action_tokens(self) -> int:
        return sum(self.loss_mask)

    def extend(self, ids: list[int], sampled: bool, turn: int,
               logprobs: list[float] | None = None) -> None:
        self.token_ids.extend(ids)
        self.loss_mask.extend([1 if sampled else 0] * len(ids))
        if sampled:
            lps = list(logprobs) if logprobs is not None else [0.0] * len(ids)
            if len(lps) != len(ids):
                raise NotTokenExact(f"turn {turn}: {len(ids)} sampled ids but "
                                    f"{len(lps)} logprobs")
            self.rollout_logprobs.extend(lps)
            self.turn_index.extend([turn] * len(ids))
        else:
            self.rollout_logprobs.extend([0.0] * len(ids))
            self.turn_index.extend([-1] * len(ids))


@dataclass
class Rollout:
    """One episode of a group, with its rows and (once computed) per-turn advantages."""

    episode: Episode
    uid: str
    group_uid: str
    rows: list[Row] = field(default_factory=list)
    turn_advantages: list[float] = field(default_factory=list)
    # Overlong rollouts stay in the group statistics but train on nothing (SUPO).
    masked: bool = False

    @property
    def ok(self) -> bool:
        """Whether it may enter the loss and the group statistics."""
        return self.episode.status != "infra_error"

    @property
    def reward(self) -> float:
        return self.episode.total_reward

    @property
    def turn_rewards(self) -> list[float]:
        return [t.reward for t in self.episode.turns]

    @property
    def num_turns(self) -> int:
        return len(self.episode.turns)


def rows_from_episode(episode: Episode, rollout_uid: str = "") -> list[Row]:
    """The token-exact rows of an episode (see the module docstring)."""
    rows: list[Row] = []
    row: Row | None = None
    for turn in episode.turns:
        prompt, sampled = turn.prompt_token_ids, turn.token_ids
        if prompt is None or sampled is None:
            raise NotTokenExact(
                f"turn {turn.index} of episode {episode.episode_id} has no token ids: train "
                "with a model whose tokenizer the scaffold can use (an hf or vllm engine)")
        if row is not None and prompt[:len(row.token_ids)] == row.token_ids:
            row.extend(prompt[len(row.token_ids):], sampled=False, turn=turn.index)
        else:
            row = Row(segment_id=len(rows), rollout_uid=rollout_uid)
            rows.append(row)
            row.extend(list(prompt), sampled=False, turn=turn.index)
        row.value_positions[turn.index] = len(row.token_ids) - 1
        row.extend(list(sampled), sampled=True, turn=turn.index, logprobs=turn.logprobs)
    return rows


def broadcast_advantages(rollout: Rollout) -> None:
    """Per-turn advantages -> per-token advantages on every row of the rollout."""
    for row in rollout.rows:
        row.advantages = [rollout.turn_advantages[t] if t >= 0 else 0.0
                          for t in row.turn_index]
        if rollout.masked:
            row.loss_mask = [0] * len(row.loss_mask)


def by_group(rollouts: list[Rollout]) -> dict[str, list[Rollout]]:
    """Groups of the rollouts that count (infra errors never enter group statistics)."""
    groups: dict[str, list[Rollout]] = {}
    for rollout in rollouts:
        if rollout.ok:
            groups.setdefault(rollout.group_uid, []).append(rollout)
    return groups


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def std(values: list[float]) -> float:
    """Population standard deviation (ddof 0), as the GRPO papers write it."""
    if not values:
        return 0.0
    m = mean(values)
    return (sum((v - m) ** 2 for v in values) / len(values)) ** 0.5
