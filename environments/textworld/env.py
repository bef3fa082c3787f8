"""`TextWorldEnv`: a generated TextWorld game played by TextWorld's own engine.

The engine is `textworld.start` (Jericho + TextWorld's Inform7 wrapper), the
same env `textworld.gym` wraps per game, without its batch layer. Jericho
loads a private copy of libfrotz per env, so envs can step in threads (the
base class's async twins use `asyncio.to_thread`).
"""

from __future__ import annotations

import contextlib
import re
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from gym_agents.core import Action, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env
from gym_agents.environments.textworld import generate
from gym_agents.errors import (
    ConfigError,
    EnvInfraError,
    GymAgentsError,
    OracleUnavailable,
    require,
)

REWARD_MODES = ("dense", "sparse")

# Jericho warns on every load that it cannot track score in games it does
# not know; TextWorld tracks the score itself, so the warning is only noise.
warnings.filterwarnings("ignore", message=r"Game '.*' is not fully supported")
TOOL_NAME = "command"

# TextWorld's `Game.load` parses with a shared tatsu parser that is not
# thread-safe: concurrent loads fail at random ("pop from empty list").
# Steps are safe, so only loading is serialised.
_LOAD_LOCK = threading.Lock()


def normalize_command(command: str) -> str:
    """Agents vary case and spacing; the game's parser does not care, nor do we."""
    return re.sub(r"\s+", " ", command).strip().lower()


# Jericho returns the interpreter's prompt and status line ("> ... -= Kitchen =-3/12")
# after the text; it is noise to an agent (score and moves are in `info`).
_PROMPT_LINE = re.compile(r"\n>[^\n]*$")


def engine_infos() -> Any:
    """What the env asks the engine for; only these, since each extra one costs game turns."""
    textworld = require("textworld", "textworld", "TextWorld environments")
    return textworld.EnvInfos(admissible_commands=True, won=True, lost=True,
                              score=True, max_score=True, extras=["walkthrough"])


def clean_feedback(text: str) -> str:
    return _PROMPT_LINE.sub("", text).strip()


@contextlib.contextmanager
def _engine_errors(game_file: str | None) -> Iterator[None]:
    """A crash inside Jericho/TextWorld is the machinery's fault, not the agent's."""
    try:
        yield
    except Exception as exc:
        raise EnvInfraError(f"the TextWorld engine failed on {game_file}: {exc!r}") from exc


def _command_schema(commands: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string",
                              "description": "A command valid in the current state."}
    if commands:  # JSON Schema wants a non-empty enum; a finished game has no commands
        schema["enum"] = commands
    return schema


class TextWorldEnv(Env):
    """Play `tw-<challenge>` games at one level; `reset(seed=...)` picks the game.

    Args:
        challenge: simple, cooking, coin_collector or treasure_hunter.
        level: easy, medium or hard (see `generate.LEVEL_SETTINGS`).
        split: train or test; the two draw from disjoint generator seeds.
        rewards: "dense" (score gained / max score each step) or "sparse"
            (1.0 on the winning step).
        cache_dir: where games are kept; default `$GYM_AGENTS_CACHE/textworld`.

    `reset(seed=None)` plays the game after the last one (seed 0 first);
    `options` is accepted for the Gymnasium signature and not used.
    """

    action_kinds = frozenset({"text", "tool"})

    def __init__(self, challenge: str, level: str = "easy", split: str = "train",
                 rewards: str = "dense", cache_dir: str | None = None) -> None:
        generate.check_game_key(challenge, level, split, 0)
        if rewards not in REWARD_MODES:
            raise ConfigError(f"rewards must be 'dense' or 'sparse'; got {rewards!r}")
        self._textworld = require("textworld", "textworld", "TextWorld environments")
        self.challenge, self.level, self.split = challenge, level, split
        self.rewards, self.cache_dir = rewards, cache_dir
        self._engine: Any = None
        self._game_file: str | None = None
        self._seed: int | None = None
        self._state: Any = None
        self._admissible: dict[str, str] = {}
        self._walkthrough: list[str] = []
        self._walk_pos = 0
        self._on_walkthrough = False

    # -- Env API ---------------------------------------------------------------

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        # No seed: the next game after the last one, so plain reset() loops
        # still see new games, reproducibly.
        if seed is None:
            seed = 0 if self._seed is None else self._seed + 1
        game_file = str(generate.ensure_game(self.challenge, self.level, self.split, seed,
                                             self.cache_dir))
        with _engine_errors(game_file):
            self._load(game_file)
            state = self._engine.reset()
        self._seed = seed
        self._set_state(state)
        self._walkthrough = list(self._state.get("extra.walkthrough") or [])
        self._walk_pos, self._on_walkthrough = 0, bool(self._walkthrough)
        info = {"task_id": self.task_id, "game_file": game_file, "seed": seed,
                "max_score": self._state.max_score, "score": self._state.score}
        return self._observation(self._state.feedback), info

    def step(self, action: Action) -> StepResult:
        if self._state is None:
            raise GymAgentsError("TextWorldEnv.step() called before reset(); call reset() first")
        if self._state.won or self._state.lost:
            return self._invalid("The game is over; call reset() to play again.", terminated=True)
        command, problem = self._parse(action)
        if problem is not None:
            return self._invalid(problem)
        matched = self._admissible.get(normalize_command(command))
        if matched is None:
            return self._invalid(f"{command.strip()!r} is not a valid command here.")
        self._follow_walkthrough(matched)
        old_score = self._state.score
        with _engine_errors(self._game_file):
            state = self._engine.step(matched)[0]
        self._set_state(state)
        return self._result(self._state.score - old_score)

    def valid_actions(self) -> list[str]:
        return list(self._admissible.values())

    def oracle_action(self) -> str:
        if not self._on_walkthrough:
            raise OracleUnavailable(
                "the walkthrough only applies while every command so far came from it; "
                "this episode left it (call reset() to follow it from the start)"
            )
        pos = self._next_walkthrough_pos()
        if pos is None:
            raise OracleUnavailable("the walkthrough has no command left for this state")
        return self._admissible[normalize_command(self._walkthrough[pos])]

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self._engine, self._game_file, self._state = None, None, None

    @property
    def task_id(self) -> str:
        return f"{self.challenge}-{self.level}/{self.split}-{self._seed}"

    # -- engine ----------------------------------------------------------------

    def _load(self, game_file: str) -> None:
        with _LOAD_LOCK:
            if self._engine is None:
                self._engine = self._textworld.start(game_file, engine_infos())
            elif game_file != self._game_file:
                self._engine.load(game_file)
        self._game_file = game_file

    def _set_state(self, state: Any) -> None:
        self._state = state
        # A finished game still lists commands, but none of them may be played.
        over = state.won or state.lost
        commands = () if over else state.admissible_commands or ()
        self._admissible = {normalize_command(c): c for c in commands}

    # -- actions ---------------------------------------------------------------

    @staticmethod
    def _parse(action: Action) -> tuple[str, str | None]:
        """The command an action carries, or a message saying what is wrong with it."""
        if isinstance(action, str):
            return action, None if action.strip() else "The command is empty."
        if not isinstance(action, ToolCall):
            kind = type(action).__name__
            return "", f"Actions must be a text command or a tool call, got {kind}."
        if action.name != TOOL_NAME:
            return "", f"Unknown tool {action.name!r}; the only tool is {TOOL_NAME!r}."
        command = action.arguments.get("command") if isinstance(action.arguments, dict) else None
        if not isinstance(command, str) or not command.strip():
            return "", f"Tool {TOOL_NAME!r} needs a non-empty string argument 'command'."
        return command, None

    def _next_walkthrough_pos(self) -> int | None:
        # TextWorld's walkthroughs can repeat a no-op (e.g. "open patio door"
        # when it is already open); such a step is not admissible, and
        # skipping it leaves the game where the walkthrough expects it.
        pos = self._walk_pos
        while pos < len(self._walkthrough):
            if normalize_command(self._walkthrough[pos]) in self._admissible:
                return pos
            pos += 1
        return None

    def _follow_walkthrough(self, command: str) -> None:
        if not self._on_walkthrough:
            return
        pos = self._next_walkthrough_pos()
        if pos is None or normalize_command(self._walkthrough[pos]) != normalize_command(command):
            self._on_walkthrough = False
        else:
            self._walk_pos = pos + 1

    # -- results ---------------------------------------------------------------

    def _observation(self, text: str) -> Observation:
        commands = list(self._admissible.values())
        tool = ToolSpec(
            TOOL_NAME,
            "Send one command to the text game.",
            {"type": "object",
             "properties": {"command": _command_schema(commands)},
             "required": ["command"]},
        )
        return Observation(text=clean_feedback(text), tools=(tool,),
                           metadata={"admissible_commands": commands})

    def _result(self, score_delta: int) -> StepResult:
        state = self._state
        if self.rewards == "dense":
            reward = score_delta / state.max_score if state.max_score else 0.0
        else:
            reward = 1.0 if state.won else 0.0
        info = self._info(invalid=False)
        info["reward_components"] = {"score_delta": score_delta}
        return StepResult(self._observation(state.feedback), float(reward),
                          bool(state.won or state.lost), False, info)

    def _invalid(self, message: str, *, terminated: bool = False) -> StepResult:
        if self._admissible:
            message += "\nValid commands: " + ", ".join(self._admissible.values())
        return StepResult(self._observation(message), 0.0, terminated, False,
                          self._info(invalid=True))

    def _info(self, *, invalid: bool) -> dict[str, Any]:
        state = self._state
        return {"task_id": self.task_id, "invalid_action": invalid, "success": bool(state.won),
                "won": bool(state.won), "lost": bool(state.lost),
                "score": state.score, "max_score": state.max_score}
