"""`AlfworldEnv`: ALFWorld games played by alfworld's own TextWorld PDDL engine.

The engine is what `AlfredTWEnv` builds for each game: textworld's `PddlEnv`
(fast-downward's library applies the actions) under alfworld's
`AlfredDemangler` (object names such as "apple 1") and `AlfredInfos`, without
textworld's batch layer. So the text, the admissible commands and the win
are ALFWorld's.

Games come from one of two places:

- generated (the default): `reset(seed=k)` plays game k of the split, made
  on first use by `generate.ensure_game` into `$GYM_AGENTS_CACHE/alfworld`;
- official data: with `ALFWORLD_DATA` set (or `data_dir=`), the solvable games
  under `json_2.1.1/<split>` are listed the way `AlfredTWEnv` lists them, and
  `reset(seed=k)` plays the k-th.

textworld's PDDL parser and fast-downward's translator keep module-level state,
so the engines of one process take turns (`generate.ENGINE_LOCK`): threads
are safe but do not run ALFWorld faster; use processes for that.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gym_agents.core import Action, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env
from gym_agents.environments.alfworld import generate
from gym_agents.errors import (
    ConfigError,
    EnvInfraError,
    GymAgentsError,
    OracleUnavailable,
    require,
)

TOOL_NAME = "command"
TASK_CHOICES = ("all", *generate.TASK_TYPES)


def normalize_command(command: str) -> str:
    return " ".join(command.split()).lower()


@contextlib.contextmanager
def _engine_errors(game: Path | None) -> Iterator[None]:
    """A crash inside textworld or fast-downward is the machinery's fault, not the agent's."""
    try:
        with generate.ENGINE_LOCK:
            yield
    except GymAgentsError:
        raise
    except Exception as exc:
        raise EnvInfraError(f"alfworld's engine failed on {game}: {exc!r}") from exc


def collect_games(folder: Path, task_types: tuple[str, ...]) -> list[Path]:
    """Solvable games under `folder`, filtered as `AlfredTWEnv.collect_game_files` does."""
    games = []
    for traj_file in sorted(folder.rglob("traj_data.json")):
        trial = traj_file.parent
        game_file = trial / "game.tw-pddl"
        if "movable" in str(trial) or "Sliced" in str(trial) or not game_file.exists():
            continue
        if json.loads(traj_file.read_text()).get("task_type") not in task_types:
            continue
        if json.loads(game_file.read_text()).get("solvable"):
            games.append(trial)
    return games


class AlfworldEnv(Env):
    """Play ALFWorld games of one task type (or "all"); `reset(seed=k)` picks the game.

    Args:
        task_type: one of `generate.TASK_TYPES`, or "all" (seeds cycle through the six).
        split: train, valid_seen or valid_unseen (unseen floor plans); "test"
            means valid_unseen, as `gym-agents eval` passes it.
        data_dir: a folder holding `json_2.1.1/` with official (or official-layout)
            games; default `$ALFWORLD_DATA` when set, else generated games.
        cache_dir: where generated games go; default `$GYM_AGENTS_CACHE/alfworld`.

    Reward is 1.0 on the winning step (ALFWorld's score), else 0.0.
    """

    action_kinds = frozenset({"text", "tool"})

    def __init__(self, task_type: str = "all", split: str = "train",
                 data_dir: str | None = None, cache_dir: str | None = None) -> None:
        if task_type not in TASK_CHOICES:
            raise ConfigError(f"task_type must be one of {', '.join(TASK_CHOICES)}; "
                              f"got {task_type!r}")
        self.task_type, self.split = task_type, generate.resolve_split(split)
        self._textworld = require("textworld", "alfworld", "ALFWorld environments")
        data_dir = data_dir or os.environ.get("ALFWORLD_DATA") or None
        self.data_dir = Path(data_dir) if data_dir else None
        self.cache_dir = cache_dir
        self._listed: list[Path] | None = None
        self._engine: Any = None
        self._trial: Path | None = None
        self._seed: int | None = None
        self._state: Any = None
        self._admissible: dict[str, str] = {}
        self._walkthrough: list[str] | None = []
        self._walk_pos = 0
        self._on_walkthrough = True

    # -- Env API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        if seed is None:  # the game after the last one, so plain reset() loops see new games
            seed = 0 if self._seed is None else self._seed + 1
        trial = self._trial_for(seed)
        with _engine_errors(trial):
            engine = self._get_engine()
            engine.load(str(trial / "game.tw-pddl"))
            state = engine.reset()
            walkthrough = json.loads((trial / "game.tw-pddl").read_text()).get("walkthrough")
        self._trial, self._seed = trial, seed
        self._set_state(state)
        self._walkthrough = list(walkthrough) if walkthrough else None
        self._walk_pos, self._on_walkthrough = 0, True
        info = {"task_id": self.task_id, "task_type": self.game_task_type,
                "game_file": str(trial / "game.tw-pddl"), "seed": seed}
        return self._observation(state.feedback), info

    def step(self, action: Action) -> StepResult:
        if self._state is None:
            raise GymAgentsError("AlfworldEnv.step() called before reset(); call reset() first")
        if self._state["won"]:
            return self._invalid("The task is done; call reset() to play again.",
                                 terminated=True)
        command, problem = _parse(action)
        if problem is not None:
            return self._invalid(problem)
        matched = self._admissible.get(normalize_command(command))
        if matched is None:
            return self._invalid(f"{command.strip()!r} is not a valid command here.")
        self._follow_walkthrough(matched)
        with _engine_errors(self._trial):
            state, _, _ = self._engine.step(matched)
        self._set_state(state)
        won = bool(state["won"])
        return StepResult(self._observation(state.feedback), 1.0 if won else 0.0, won, False,
                          self._info(invalid=False))

    def valid_actions(self) -> list[str]:
        return list(self._admissible.values())

    def oracle_action(self) -> str:
        """The next command of the game's walkthrough (the planner's, for generated games)."""
        if self._state is None or self._state["won"]:
            raise OracleUnavailable("no game in progress; call reset() first")
        if not self._on_walkthrough:
            raise OracleUnavailable(
                "the walkthrough only applies while every command so far came from it; "
                "this episode left it (call reset() to follow it from the start)")
        if self._walkthrough is None:  # official games may have none: plan from the start
            self._walkthrough = self._replan()
        if self._walk_pos >= len(self._walkthrough):
            raise OracleUnavailable("the walkthrough has no command left for this state")
        command = normalize_command(self._walkthrough[self._walk_pos])
        if command not in self._admissible:
            raise OracleUnavailable(f"the walkthrough's {command!r} is not admissible here")
        return self._admissible[command]

    def close(self) -> None:
        self._engine, self._state, self._trial = None, None, None
        self._listed = None

    @property
    def task_id(self) -> str:
        if self._trial is None:
            return ""
        return str(self._trial.relative_to(self._trial.parents[2]))  # split/task/trial

    @property
    def game_task_type(self) -> str:
        return self._trial.parent.name.split("-")[0] if self._trial is not None else ""

    # -- games -------------------------------------------------------------------------

    def _trial_for(self, seed: int) -> Path:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative int; got {seed!r}")
        if self.data_dir is None:
            task_type, index = generate.game_key(self.task_type, seed)
            generate.check_game_key(self.split, task_type, index)
            with _engine_errors(None):
                return generate.ensure_game(self.split, task_type, index, self.cache_dir,
                                            env=self._get_engine())
        if self._listed is None:
            folder = self.data_dir / generate.DATA_FOLDER / self.split
            types = generate.TASK_TYPES if self.task_type == "all" else (self.task_type,)
            self._listed = collect_games(folder, types)
            if not self._listed:
                raise ConfigError(f"no solvable {self.task_type} games under {folder}; "
                                  "unset ALFWORLD_DATA to play generated games")
        if seed >= len(self._listed):
            raise ConfigError(f"seed must be below {len(self._listed)}, the number of "
                              f"{self.task_type} games in {self.data_dir} ({self.split})")
        return self._listed[seed]

    def _get_engine(self) -> Any:
        if self._engine is None:
            infos = self._textworld.EnvInfos(admissible_commands=True, won=True,
                                             extras=["gamefile"])
            self._engine = generate.engine(infos)
        return self._engine

    def _set_state(self, state: Any) -> None:
        self._state = state
        commands = () if state["won"] else state["admissible_commands"] or ()
        self._admissible = {normalize_command(c): c for c in commands}

    def _follow_walkthrough(self, command: str) -> None:
        walk = self._walkthrough
        if self._on_walkthrough and walk and self._walk_pos < len(walk) and \
                normalize_command(walk[self._walk_pos]) == normalize_command(command):
            self._walk_pos += 1
        else:
            self._on_walkthrough = False

    def _replan(self) -> list[str]:
        """fast-downward's plan from the start (blind search: slow on big kitchens)."""
        pddl = self._engine.unwrapped
        with _engine_errors(self._trial):
            plan = pddl._pddl_state.replan(pddl._entity_infos)  # as textworld's PddlEnv calls it
        if not plan:
            raise OracleUnavailable(f"the planner finds no plan for {self.task_id}")
        return plan

    # -- results -----------------------------------------------------------------------

    def _observation(self, text: str) -> Observation:
        commands = list(self._admissible.values())
        schema: dict[str, Any] = {"type": "string",
                                  "description": "A command valid in the current state."}
        if commands:  # JSON Schema wants a non-empty enum; a finished game has no commands
            schema["enum"] = commands
        tool = ToolSpec(TOOL_NAME, "Send one command to the household.",
                        {"type": "object", "properties": {"command": schema},
                         "required": ["command"]})
        return Observation(text=text.strip(), tools=(tool,),
                           metadata={"admissible_commands": commands})

    def _invalid(self, message: str, *, terminated: bool = False) -> StepResult:
        if self._admissible:
            message += "\nValid commands: " + ", ".join(self._admissible.values())
        return StepResult(self._observation(message), 0.0, terminated, False,
                          self._info(invalid=True))

    def _info(self, *, invalid: bool) -> dict[str, Any]:
        won = bool(self._state["won"])
        return {"task_id": self.task_id, "task_type": self.game_task_type,
                "invalid_action": invalid, "success": won, "won": won}


def _parse(action: Action) -> tuple[str, str | None]:
    """The command an action carries, or a message saying what is wrong with it."""
    if isinstance(action, str):
        return action, None if action.strip() else "The command is empty."
    if not isinstance(action, ToolCall):
        return "", f"Actions must be a text command or a tool call, got {type(action).__name__}."
    if action.name != TOOL_NAME:
        return "", f"Unknown tool {action.name!r}; the only tool is {TOOL_NAME!r}."
    command = action.arguments.get("command") if isinstance(action.arguments, dict) else None
    if not isinstance(command, str) or not command.strip():
        return "", f"Tool {TOOL_NAME!r} needs a non-empty string argument 'command'."
    return command, None


def make_on_split(task_type: str, fixed_split: str, **kwargs: Any) -> AlfworldEnv:
    """An `AlfworldEnv` whose split is part of its id (no `split` argument, so
    `gym-agents eval --split` leaves it alone)."""
    return AlfworldEnv(task_type, fixed_split, **kwargs)
