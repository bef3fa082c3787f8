"""The `Env` base class and the `Wrapper` every cross-cutting behaviour uses.

Gymnasium semantics for text: `reset(*, seed, options) -> (obs, info)` and
`step(action) -> (obs, reward, terminated, truncated, info)`. The async twins
let one process drive many episodes concurrently; by default they run the
sync methods in a worker thread so a slow env never blocks the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from gym_agents.core import Action, Observation, StepResult, ToolCall
from gym_agents.errors import OracleUnavailable

if TYPE_CHECKING:
    from gym_agents.registration import EnvSpec


class Env:
    """A multi-turn environment for LLM agents.

    Subclasses implement `reset` and `step`; they may override the async
    twins when they have native async I/O, `valid_actions` when the set of
    legal actions is known, and `oracle_action` when the task has a solution.

    An invalid action is never an exception: `step` returns an observation
    that says what was wrong and sets `info["invalid_action"] = True`.
    """

    # Which kinds of action `step` takes: "text" (a str) and/or "tool" (a ToolCall).
    action_kinds: ClassVar[frozenset[str]] = frozenset({"text"})
    metadata: ClassVar[dict[str, Any]] = {}
    spec: EnvSpec | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        raise NotImplementedError

    def step(self, action: Action) -> StepResult:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the env holds (processes, files, sandboxes)."""

    async def reset_async(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        return await asyncio.to_thread(self.reset, seed=seed, options=options)

    async def step_async(self, action: Action) -> StepResult:
        return await asyncio.to_thread(self.step, action)

    def valid_actions(self) -> Sequence[Action] | None:
        """The legal actions in the current state, or None when unbounded."""
        return None

    def oracle_action(self) -> Action:
        """What the task's own solution does next (walkthrough, gold patch, expert)."""
        raise OracleUnavailable(f"{type(self).__name__} has no oracle")

    @property
    def unwrapped(self) -> Env:
        return self

    def __enter__(self) -> Env:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        name = self.spec.id if self.spec is not None else type(self).__name__
        return f"<{type(self).__name__} {name}>"


def check_action_kind(env: Env, action: Action) -> str | None:
    """Return a message for the agent if `env` does not take this kind of action."""
    kind = "tool" if isinstance(action, ToolCall) else "text" if isinstance(action, str) else None
    if kind is None:
        return (f"Actions must be text or a tool call, got {type(action).__name__}.")
    if kind not in env.action_kinds:
        wanted = " or ".join("a text command" if k == "text" else "a tool call"
                             for k in sorted(env.action_kinds))
        got = "a tool call" if kind == "tool" else "text"
        return f"This environment takes {wanted}, not {got}."
    return None


class Wrapper(Env):
    """Wraps an env to change one behaviour; everything else passes through.

    Subclasses override `on_reset` / `on_step` so the sync and async paths
    share one implementation.
    """

    def __init__(self, env: Env) -> None:
        self.env = env

    # Forward the env's declared identity.
    @property
    def action_kinds(self) -> frozenset[str]:  # type: ignore[override]
        return self.env.action_kinds

    @property
    def spec(self) -> EnvSpec | None:  # type: ignore[override]
        return self.env.spec

    @spec.setter
    def spec(self, value: EnvSpec | None) -> None:
        self.env.spec = value

    @property
    def unwrapped(self) -> Env:
        return self.env.unwrapped

    def on_reset(
        self, obs: Observation, info: dict[str, Any]
    ) -> tuple[Observation, dict[str, Any]]:
        return obs, info

    def on_step(self, result: StepResult) -> StepResult:
        return result

    def reset(self, *, seed=None, options=None):
        return self.on_reset(*self.env.reset(seed=seed, options=options))

    def step(self, action: Action) -> StepResult:
        return self.on_step(StepResult(*self.env.step(action)))

    async def reset_async(self, *, seed=None, options=None):
        return self.on_reset(*await self.env.reset_async(seed=seed, options=options))

    async def step_async(self, action: Action) -> StepResult:
        return self.on_step(StepResult(*await self.env.step_async(action)))

    def close(self) -> None:
        self.env.close()

    def valid_actions(self) -> Sequence[Action] | None:
        return self.env.valid_actions()

    def oracle_action(self) -> Action:
        return self.env.oracle_action()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{self.env!r}>"
