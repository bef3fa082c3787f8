"""Guess the number: a tool-calling env with a JSON-schema tool.

The agent calls `guess(number)` and hears "higher" or "lower"; binary search
(the oracle) always wins within the turn budget, uniform guessing rarely does.
Arguments are validated against the tool's schema, and a bad call comes back
as an observation that quotes the schema error.
"""

from __future__ import annotations

import json
import math
import random

from gym_agents.core import Action, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env, check_action_kind
from gym_agents.errors import ConfigError, OracleUnavailable


class GuessNumberEnv(Env):
    """Find a hidden integer in [low, high] with `guess` tool calls."""

    action_kinds = frozenset({"tool"})

    def __init__(self, low: int = 1, high: int = 100) -> None:
        if high <= low:
            raise ConfigError(f"high must exceed low, got low={low}, high={high}")
        self.low, self.high = low, high
        # Enough guesses for binary search, so the task is always solvable.
        self.max_guesses = math.ceil(math.log2(high - low + 1)) + 1
        self.tool = ToolSpec(
            name="guess",
            description=f"Guess the hidden integer in [{low}, {high}].",
            parameters={
                "type": "object",
                "properties": {"number": {"type": "integer", "minimum": low, "maximum": high}},
                "required": ["number"],
                "additionalProperties": False,
            },
        )
        self._target: int | None = None
        self._bounds = (low, high)
        self._guesses = 0

    def reset(self, *, seed=None, options=None):
        self._target = random.Random(seed).randint(self.low, self.high)
        self._bounds = (self.low, self.high)
        self._guesses = 0
        text = (f"I am thinking of an integer between {self.low} and {self.high}. "
                f"You have {self.max_guesses} guesses; call `guess` with your number.")
        return self._observation(text), {"task_id": f"guess-{seed}"}

    def step(self, action: Action) -> StepResult:
        if self._target is None:
            raise RuntimeError("call reset() before step()")
        problem = check_action_kind(self, action) or self._argument_problem(action)
        if problem is not None:
            info = {"invalid_action": True, "success": False}
            return StepResult(self._observation(problem), 0.0, False, False, info)

        number = action.arguments["number"]
        self._guesses += 1
        low, high = self._bounds
        if number == self._target:
            return StepResult(self._observation(f"{number} is right!"), 1.0, True, False,
                              {"success": True, "guesses": self._guesses})
        if number < self._target:
            self._bounds, hint = (max(low, number + 1), high), "higher"
        else:
            self._bounds, hint = (low, min(high, number - 1)), "lower"
        left = self.max_guesses - self._guesses
        if left == 0:
            text = f"{number} is wrong and you are out of guesses; it was {self._target}."
            return StepResult(self._observation(text), 0.0, True, False, {"success": False})
        text = f"{number} is wrong: go {hint}. {left} guesses left."
        return StepResult(self._observation(text), 0.0, False, False, {"success": False})

    def _argument_problem(self, action: ToolCall) -> str | None:
        import jsonschema

        if action.name != self.tool.name:
            return f"Unknown tool {action.name!r}; the only tool is `guess`."
        try:
            jsonschema.validate(action.arguments, self.tool.parameters)
        except jsonschema.ValidationError as exc:
            return f"Invalid arguments {json.dumps(action.arguments)}: {exc.message}."
        return None

    def valid_actions(self) -> list[ToolCall]:
        return [ToolCall("guess", {"number": n}) for n in range(self.low, self.high + 1)]

    def oracle_action(self) -> ToolCall:
        if self._target is None:
            raise OracleUnavailable("call reset() first")
        low, high = self._bounds
        return ToolCall("guess", {"number": (low + high) // 2})

    def _observation(self, text: str) -> Observation:
        return Observation(text, tools=(self.tool,))

    async def reset_async(self, *, seed=None, options=None):
        return self.reset(seed=seed, options=options)

    async def step_async(self, action: Action) -> StepResult:
        return self.step(action)
