"""`ScienceWorldEnv`: ScienceWorld's 30 task types, played by its own simulator.

The `scienceworld` package ships the simulator (a Scala jar, run by the
machine's Java through py4j) and its task list. Each task type has numbered
variations, split train/dev/test by ScienceWorld itself; `reset(seed=k)`
plays the k-th variation of the env's split. The score (0-100) becomes a
dense reward in [0, 1] (score gained / 100), `info["success"]` is a score of
100, and the oracle is the simulator's gold action sequence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from gym_agents.core import Action, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env
from gym_agents.errors import (
    ConfigError,
    EnvInfraError,
    GymAgentsError,
    OracleUnavailable,
    require,
)

SPLITS = ("train", "dev", "test")
TOOL_NAME = "command"
# What the simulator says to input it cannot parse; such a step is an invalid action.
UNKNOWN_ACTION = "No known action matches that input."
# The simulator's own step cap; ours is the TimeLimit wrapper, so this only guards runaways.
SIMULATOR_STEP_LIMIT = 100_000


@contextlib.contextmanager
def _engine_errors(what: str) -> Iterator[None]:
    """A JVM or py4j failure is the machinery's fault, not the agent's."""
    try:
        yield
    except GymAgentsError:
        raise
    except Exception as exc:
        raise EnvInfraError(f"the ScienceWorld simulator failed ({what}): {exc!r}") from exc


class ScienceWorldEnv(Env):
    """Play one ScienceWorld task type; `reset(seed=k)` picks variation k of the split.

    Args:
        task: a ScienceWorld task name, e.g. "boil" (see `scienceworld.ScienceWorldEnv
            .get_task_names()`).
        split: train, dev or test (ScienceWorld's own variation split).
        simplifications: ScienceWorld's simplification string, e.g. "easy" or
            "teleportAction,openDoors" (default: none, the benchmark setting).
    """

    action_kinds = frozenset({"text", "tool"})

    def __init__(self, task: str, split: str = "train", simplifications: str = "") -> None:
        if split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
        module = require("scienceworld", "scienceworld", "ScienceWorld environments")
        self.task, self.split, self.simplifications = task, split, simplifications
        self._module = module
        self._sim: Any = None
        self._variations: list[int] | None = None
        self._seed: int | None = None
        self._variation: int | None = None
        self._score = 0
        self._done = True
        self._started = False
        self._valid: list[str] = []
        self._gold: list[str] = []
        self._gold_pos = 0
        self._on_gold = True

    # -- Env API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        if seed is None:
            seed = 0 if self._seed is None else self._seed + 1
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative int; got {seed!r}")
        sim = self._get_sim()
        variations = self._split_variations()
        if seed >= len(variations):
            raise ConfigError(f"seed must be below {len(variations)}, the number of "
                              f"{self.split} variations of {self.task}")
        variation = variations[seed]
        with _engine_errors(f"loading {self.task} variation {variation}"):
            # Always with the gold path: making it draws from the simulator's random
            # state, so a task loaded without it can differ (the genetics tasks do).
            sim.load(self.task, variation, self.simplifications, generateGoldPath=True)
            self._gold = list(sim.get_gold_action_sequence())
            text, info = sim.reset()
        self._seed, self._variation = seed, variation
        self._gold_pos, self._on_gold, self._started = 0, True, True
        self._score, self._done = int(info["score"]), False
        self._valid = list(info["valid"])
        info = {"task_id": self.task_id, "variation": variation, "seed": seed,
                "task_description": info["taskDesc"], "score": self._score}
        return self._observation(f"{info['task_description']}\n\n{text}"), info

    def step(self, action: Action) -> StepResult:
        if not self._started:
            raise GymAgentsError("ScienceWorldEnv.step() called before reset(); call reset()")
        if self._done:
            return self._invalid("The task is over; call reset() to play again.",
                                 terminated=True)
        command, problem = _parse(action)
        if problem is not None:
            return self._invalid(problem)
        command = " ".join(command.split())
        with _engine_errors(f"step {command!r} in {self.task_id}"):
            text, _, completed, info = self._sim.step(command)
        if text.strip().startswith(UNKNOWN_ACTION):  # the parser refused it: nothing changed
            return self._invalid(f"{command!r} is not an action ScienceWorld knows.")
        self._follow_gold(command)
        old, self._score = self._score, int(info["score"])
        self._valid = list(info["valid"])
        self._done = bool(completed)
        result_info = self._info(invalid=False)
        result_info["reward_components"] = {"score_delta": self._score - old}
        return StepResult(self._observation(text), (self._score - old) / 100, self._done, False,
                          result_info)

    def valid_actions(self) -> list[str]:
        return list(self._valid)

    def oracle_action(self) -> str:
        """The next action of the simulator's gold path for this variation."""
        if not self._started or self._done:
            raise OracleUnavailable("no task in progress; call reset() first")
        if not self._on_gold:
            raise OracleUnavailable(
                "the gold path only applies while every action so far came from it; "
                "this episode left it (call reset() to follow it from the start)")
        if self._gold_pos >= len(self._gold):
            raise OracleUnavailable("the gold path has no action left")
        return self._gold[self._gold_pos]

    def close(self) -> None:
        if self._sim is not None:
            with contextlib.suppress(Exception):  # the JVM may already be gone
                self._sim.close()
        self._sim, self._started = None, False

    @property
    def task_id(self) -> str:
        return f"{self.task}/{self.split}-{self._seed}" if self._seed is not None else ""

    # -- simulator -------------------------------------------------------------------

    def _get_sim(self) -> Any:
        if self._sim is None:
            with _engine_errors("starting the JVM (is java on PATH?)"):
                self._sim = self._module.ScienceWorldEnv("", envStepLimit=SIMULATOR_STEP_LIMIT)
                names = self._sim.get_task_names()
            if self.task not in names:
                self.close()
                raise ConfigError(f"task must be one of ScienceWorld's {len(names)} tasks "
                                  f"({', '.join(names)}); got {self.task!r}")
        return self._sim

    def _split_variations(self) -> list[int]:
        if self._variations is None:
            with _engine_errors(f"listing {self.task} variations"):
                self._sim.load(self.task, 0, self.simplifications)
                getter = {"train": self._sim.get_variations_train,
                          "dev": self._sim.get_variations_dev,
                          "test": self._sim.get_variations_test}[self.split]
                self._variations = sorted(getter())
        return self._variations

    def _follow_gold(self, command: str) -> None:
        if self._on_gold and self._gold_pos < len(self._gold) and \
                command == self._gold[self._gold_pos]:
            self._gold_pos += 1
        else:
            self._on_gold = False

    # -- results -----------------------------------------------------------------------

    def _observation(self, text: str) -> Observation:
        # The valid combinations run to hundreds: listed in metadata, not as a schema enum.
        tool = ToolSpec(TOOL_NAME, "Send one action to the ScienceWorld simulator, e.g. "
                        "'look around', 'open door to kitchen', 'focus on thermometer'.",
                        {"type": "object",
                         "properties": {"command": {"type": "string",
                                                    "description": "The action text."}},
                         "required": ["command"]})
        return Observation(text=text.strip(), tools=(tool,),
                           metadata={"admissible_commands": list(self._valid)})

    def _invalid(self, message: str, *, terminated: bool = False) -> StepResult:
        return StepResult(self._observation(message), 0.0, terminated, False,
                          self._info(invalid=True))

    def _info(self, *, invalid: bool) -> dict[str, Any]:
        return {"task_id": self.task_id, "variation": self._variation, "invalid_action": invalid,
                "score": self._score, "success": self._score >= 100}


def _parse(action: Action) -> tuple[str, str | None]:
    if isinstance(action, str):
        return action, None if action.strip() else "The action is empty."
    if not isinstance(action, ToolCall):
        return "", f"Actions must be text or a tool call, got {type(action).__name__}."
    if action.name != TOOL_NAME:
        return "", f"Unknown tool {action.name!r}; the only tool is {TOOL_NAME!r}."
    command = action.arguments.get("command") if isinstance(action.arguments, dict) else None
    if not isinstance(command, str) or not command.strip():
        return "", f"Tool {TOOL_NAME!r} needs a non-empty string argument 'command'."
    return command, None
