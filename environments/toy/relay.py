"""Relay: repeat the symbol you were shown one turn earlier.

The smallest env that needs memory across turns: the answer is never in the
current observation, so an agent that looks only at the latest message
scores at chance, and a context manager that drops history breaks it.
"""

from __future__ import annotations

import random

from gym_agents.core import Action, Observation, StepResult
from gym_agents.env import Env, check_action_kind
from gym_agents.errors import ConfigError, OracleUnavailable

SYMBOLS = ("red", "green", "blue", "yellow", "purple", "orange", "black", "white")
# Single characters: one token each in any byte-level tokenizer (learning tests).
DIGITS = tuple("0123456789")
SYMBOL_SETS = {"colors": SYMBOLS, "digits": DIGITS}


class RelayEnv(Env):
    """Each turn shows a symbol; reply with the symbol shown on the turn before.

    The first reply is not graded. Reward is 1/length per correct reply, so a
    perfect episode returns 1.0; success means every graded reply was right.
    With `reward="success"` the only reward is 1 at the end of a perfect
    episode (sparse: what the trainers' learning tests use).
    """

    action_kinds = frozenset({"text"})

    def __init__(self, length: int = 6, num_symbols: int = 4, reward: str = "dense",
                 symbols: str = "colors", feedback: bool = True) -> None:
        if not 2 <= length <= 100:
            raise ConfigError(f"length must be in [2, 100], got {length}")
        if symbols not in SYMBOL_SETS:
            raise ConfigError(f"symbols must be one of {', '.join(SYMBOL_SETS)}, got {symbols!r}")
        pool = SYMBOL_SETS[symbols]
        if not 2 <= num_symbols <= len(pool):
            raise ConfigError(f"num_symbols must be in [2, {len(pool)}], got {num_symbols}")
        if reward not in ("dense", "success"):
            raise ConfigError(f"reward must be 'dense' or 'success', got {reward!r}")
        self.reward_mode = reward
        # Without feedback every turn reads just "Symbol: X": the answer sits at the
        # same distance back each turn (what a tiny model learns fastest).
        self.feedback = feedback
        self.length = length
        self.symbols = pool[:num_symbols]
        self._sequence: list[str] = []
        self._turn = 0
        self._correct = 0

    def reset(self, *, seed=None, options=None):
        rng = random.Random(seed)
        # length + 1 symbols: one shown per turn, the last is never asked for.
        self._sequence = [rng.choice(self.symbols) for _ in range(self.length + 1)]
        self._turn, self._correct = 0, 0
        text = (
            f"Relay. Each turn I show you a symbol. Reply with the symbol I showed you on the "
            f"turn before (your first reply is not graded). Symbols: {', '.join(self.symbols)}."
            f"\n\nSymbol: {self._sequence[0]}"
        )
        info = {"task_id": f"relay-{seed}", "turns": self.length}
        return self._observation(text), info

    def step(self, action: Action) -> StepResult:
        if not self._sequence:
            raise RuntimeError("call reset() before step()")
        problem = check_action_kind(self, action)
        reply = action.strip().lower() if isinstance(action, str) else ""
        if problem is None and reply not in self.symbols:
            problem = f"{action!r} is not a symbol. Reply with one of: {', '.join(self.symbols)}."
        if problem is not None:
            obs = self._observation(f"{problem}\n\nSymbol: {self._sequence[self._turn]}")
            return StepResult(obs, 0.0, False, False, {"invalid_action": True, "success": False})

        reward = 0.0
        if self._turn > 0:
            expected = self._sequence[self._turn - 1]
            if reply == expected:
                self._correct += 1
                reward = 1.0 / self.length
            verdict = "Correct." if reply == expected else f"Wrong: it was {expected}."
        else:
            verdict = "Noted."
        self._turn += 1
        done = self._turn > self.length
        success = done and self._correct == self.length
        if self.reward_mode == "success":
            reward = 1.0 if success else 0.0
        if done:
            text = f"{verdict} Relay over: {self._correct}/{self.length} correct."
        elif self.feedback:
            text = f"{verdict}\n\nSymbol: {self._sequence[self._turn]}"
        else:
            text = f"Symbol: {self._sequence[self._turn]}"
        info = {"success": success, "correct": self._correct}
        return StepResult(self._observation(text), reward, done, False, info)

    def valid_actions(self) -> list[str]:
        return list(self.symbols)

    def oracle_action(self) -> str:
        if not self._sequence or self._turn > self.length:
            raise OracleUnavailable("the relay is not running: call reset()")
        return self._sequence[self._turn - 1] if self._turn > 0 else self._sequence[0]

    def _observation(self, text: str) -> Observation:
        return Observation(text, metadata={"admissible_commands": list(self.symbols)})

    async def reset_async(self, *, seed=None, options=None):
        return self.reset(seed=seed, options=options)  # pure Python and instant: no thread

    async def step_async(self, action: Action) -> StepResult:
        return self.step(action)
