"""Trajectory records: an `Episode` is a list of `Turn`s plus where it came from.

A turn keeps exactly what the model saw and produced (messages, completion
text, prompt and sampled token ids, logprobs) so trainers can use it
token-exact, plus the parsed action, the observation it led to, the reward
and timings. Episodes record env id, task, seed, agent, model, package
version and a `status`: `ok`, `infra_error` or `truncated`.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from gym_agents.core import Action, Observation, action_from_json, action_to_json

STATUSES = ("ok", "infra_error", "truncated")


@dataclass
class Turn:
    index: int
    action: Action
    observation: Observation
    reward: float
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    # What the model saw and produced; empty for agents without an LLM.
    messages: list[dict[str, Any]] | None = None
    completion: str | None = None
    prompt_token_ids: list[int] | None = None
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    # Seconds spent choosing the action and stepping the env.
    agent_seconds: float = 0.0
    env_seconds: float = 0.0
    # SUPO: the summarization segment this turn belongs to.
    segment: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["action"] = action_to_json(self.action)
        data["observation"] = self.observation.to_dict()
        data["info"] = json_safe(self.info)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        data = dict(data)
        data["action"] = action_from_json(data["action"])
        data["observation"] = Observation.from_dict(data["observation"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Episode:
    env_id: str
    seed: int | None
    task_id: str | None = None
    sample_index: int = 0
    agent: str = ""
    model: str | None = None
    status: str = "ok"
    success: bool = False
    total_reward: float = 0.0
    initial_observation: Observation | None = None
    turns: list[Turn] = field(default_factory=list)
    error: str | None = None
    # Attempts before this one that ended in an infra error.
    retries: int = 0
    episode_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: float = field(default_factory=time.time)
    duration: float = 0.0
    package_version: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def num_turns(self) -> int:
        return len(self.turns)

    @property
    def key(self) -> tuple[str, str | None, int | None, int]:
        """Identifies the episode a run asked for; resume skips stored keys."""
        return episode_key(self.env_id, self.config.get("task"), self.seed, self.sample_index)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self) | {"num_turns": self.num_turns}
        data["initial_observation"] = (
            self.initial_observation.to_dict() if self.initial_observation else None
        )
        data["turns"] = [t.to_dict() for t in self.turns]
        return json_safe(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        data = dict(data)
        if data.get("initial_observation") is not None:
            data["initial_observation"] = Observation.from_dict(data["initial_observation"])
        data["turns"] = [Turn.from_dict(t) for t in data.get("turns", [])]
        if data.get("status") not in STATUSES:
            raise ValueError(f"unknown episode status {data.get('status')!r}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def episode_key(env_id: str, task: str | None, seed: int | None, sample_index: int):
    return (env_id, task, seed, sample_index)


def json_safe(value: Any) -> Any:
    """Turn env info (which may hold numpy scalars, sets, NaN) into plain JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    if hasattr(value, "to_dict"):
        return json_safe(value.to_dict())
    return repr(value)
