"""Context managers: which parts of an episode's history the model sees next.

A conversation is a list of `Segment`s: the first holds the system prompt and
the task, each later one an assistant reply plus the env's answer to it. A
segment keeps its token ids (when the LLM can tokenize), so the prompt of any
choice of segments is the concatenation of their ids, exactly as sampled.

- `full`: everything; past `max_tokens` the episode ends as truncated.
- `sliding_window`: the task plus the last `turns` segments, fewer when they
  would not fit in `max_tokens` (prompt plus the completion's `max_tokens`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gym_agents.agents import AgentQuit
from gym_agents.errors import ConfigError


class ContextBudgetExceeded(AgentQuit):
    """The context cannot fit the model's token budget: the episode ends truncated."""


@dataclass
class Segment:
    messages: list[dict[str, Any]]
    token_ids: list[int] | None = None
    # Tokens in this segment, counted or estimated; set by the scaffold.
    num_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


CountFn = Callable[[Segment], int]


class ContextManager(Protocol):
    name: str

    def select(self, segments: list[Segment], reserve: int) -> list[Segment]:
        """The segments to show; `reserve` tokens must stay free for the completion."""
        ...


class FullHistory:
    name = "full"

    def __init__(self, max_tokens: int | None = None) -> None:
        if max_tokens is not None and max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {max_tokens}")
        self.max_tokens = max_tokens

    def select(self, segments: list[Segment], reserve: int) -> list[Segment]:
        used = sum(s.num_tokens for s in segments)
        if self.max_tokens is not None and used + reserve > self.max_tokens:
            raise ContextBudgetExceeded(
                f"the history needs {used} tokens + {reserve} for the reply, over the budget "
                f"of {self.max_tokens}; use context=sliding_window or a larger max_context_tokens")
        return list(segments)


class SlidingWindow:
    name = "sliding_window"

    def __init__(self, turns: int = 8, max_tokens: int | None = None) -> None:
        if turns < 1:
            raise ConfigError(f"window must be >= 1 turn, got {turns}")
        if max_tokens is not None and max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {max_tokens}")
        self.turns, self.max_tokens = turns, max_tokens

    def select(self, segments: list[Segment], reserve: int) -> list[Segment]:
        head, tail = segments[0], segments[1:][-self.turns:]
        if self.max_tokens is not None:
            budget = self.max_tokens - reserve - head.num_tokens
            while tail and sum(s.num_tokens for s in tail) > budget:
                tail = tail[1:]
            if (len(segments) > 1 and not tail) or budget < 0:
                raise ContextBudgetExceeded(
                    f"the task and the latest turn do not fit in {self.max_tokens} tokens "
                    f"with {reserve} kept for the reply; raise max_context_tokens")
        return [head, *tail]


def make_context(name: str | ContextManager, *, window: int = 8,
                 max_tokens: int | None = None) -> ContextManager:
    if not isinstance(name, str):
        return name
    if name == "full":
        return FullHistory(max_tokens)
    if name == "sliding_window":
        return SlidingWindow(window, max_tokens)
    raise ConfigError(f"unknown context manager {name!r}; choose full or sliding_window")
