"""Deterministic TextWorld games, made by TextWorld's own challenge generators.

A game is named by (challenge, level, split, seed) and generated once into
`cache_dir("textworld", f"{challenge}-{level}")/{split}-{seed}.z8` (+ `.json`),
through `textworld.challenges.CHALLENGES[...]` and `compile_game`: the code
path `tw-make` runs, in-process so no interpreter starts per game.

TextWorld is imported inside the functions that need it, so importing this
module (e.g. for the CLI's `--help`) stays cheap.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, EnvInfraError, require
from gym_agents.paths import cache_dir as _cache_root

CHALLENGES = ("simple", "cooking", "coin_collector", "treasure_hunter")
LEVELS = ("easy", "medium", "hard")
SPLITS = ("train", "test")

# Each split owns a block of generator seeds, so no train game is a test game.
SEEDS_PER_SPLIT = 1_000_000
_SPLIT_OFFSET = {"train": 0, "test": SEEDS_PER_SPLIT}

# Challenge settings per level, as `tw-make tw-<challenge> --help` names them.
# coin_collector: level L in 1..100 is a chain of L rooms; 101..200 adds one
#   distractor room per chain room, 201..300 two (quest length (L-1)%100+1).
# treasure_hunter: 1-10 five empty rooms, 11-20 ten rooms with closed doors
#   and containers, 21-30 twenty rooms with locked ones; quest grows inside each band.
LEVEL_SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "simple": {
        "easy": {"rewards": "dense", "goal": "detailed"},
        "medium": {"rewards": "balanced", "goal": "brief"},
        "hard": {"rewards": "sparse", "goal": "none"},
    },
    "cooking": {
        "easy": {"recipe": 1, "take": 0, "go": 1},
        "medium": {"recipe": 2, "take": 1, "go": 6, "open": True, "cut": True},
        "hard": {"recipe": 3, "take": 2, "go": 9, "open": True, "cook": True, "cut": True},
    },
    "coin_collector": {
        "easy": {"level": 5},     # 5 rooms in a chain
        "medium": {"level": 110},  # quest of 10 in 20 rooms (dead-end distractors)
        "hard": {"level": 215},    # quest of 15 in 45 rooms
    },
    "treasure_hunter": {
        "easy": {"level": 5},    # 5 open rooms, quest of 3
        "medium": {"level": 15},  # 10 rooms, closed doors and containers, quest of 6
        "hard": {"level": 23},    # 20 rooms, locked doors and containers, quest of 7
    },
}

# TextWorld draws from module-global RNG state (textworld.g_rng), so two
# games generated at once in one process would not be reproducible.
_GENERATOR_LOCK = threading.Lock()


def check_game_key(challenge: str, level: str, split: str, seed: int) -> None:
    """Raise `ConfigError` naming the bad field of a game's key."""
    if challenge not in CHALLENGES:
        raise ConfigError(f"challenge must be one of {', '.join(CHALLENGES)}; got {challenge!r}")
    if level not in LEVELS:
        raise ConfigError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    if split not in SPLITS:
        raise ConfigError(f"split must be 'train' or 'test'; got {split!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEEDS_PER_SPLIT:
        raise ConfigError(f"seed must be an int in [0, {SEEDS_PER_SPLIT}); got {seed!r}")


def generator_seed(split: str, seed: int) -> int:
    """The seed TextWorld's generator gets for our (split, seed)."""
    return _SPLIT_OFFSET[split] + seed


def challenge_settings(challenge: str, level: str, split: str) -> dict[str, Any]:
    """The full settings dict `CHALLENGES[name].make` expects."""
    settings = dict(LEVEL_SETTINGS[challenge][level])
    if challenge == "cooking":
        # Cooking has its own food split: test games use unseen foods/preparations.
        defaults = {"take": 0, "go": 1, "open": False, "cook": False, "cut": False,
                    "drop": False, "recipe_seed": 0}
        settings = {**defaults, **settings, "split": split}
    elif challenge == "simple":
        settings["test"] = split == "test"
    return settings


def game_folder(challenge: str, level: str, root: str | os.PathLike[str] | None = None) -> Path:
    base = Path(root) if root is not None else _cache_root("textworld")
    return base / f"{challenge}-{level}"


def game_path(challenge: str, level: str, split: str, seed: int,
              root: str | os.PathLike[str] | None = None) -> Path:
    return game_folder(challenge, level, root) / f"{split}-{seed}.z8"


def ensure_game(challenge: str, level: str, split: str, seed: int,
                root: str | os.PathLike[str] | None = None) -> Path:
    """Return the game file for this key, generating it first if missing.

    Safe across threads and processes: the first caller generates under a
    lock while the others wait, and the `.z8` appears (by rename) only after
    its `.json`, so an existing `.z8` is always a complete game.
    """
    check_game_key(challenge, level, split, seed)
    path = game_path(challenge, level, split, seed, root)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path.with_name(f".{path.stem}.lock")):
        if path.exists():  # another worker made it while we waited
            return path
        with _GENERATOR_LOCK:
            _generate_atomically(challenge, level, split, seed, path)
    return path


@contextlib.contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    # flock locks belong to the open file, so they also exclude other
    # threads of this process that open the same lock file.
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generate_atomically(challenge: str, level: str, split: str, seed: int, path: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path.parent))
    try:
        built = _generate(challenge, level, split, seed, tmp / path.name)
        os.replace(built.with_suffix(".json"), path.with_suffix(".json"))
        os.replace(built, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _generate(challenge: str, level: str, split: str, seed: int, target: Path) -> Path:
    textworld = require("textworld", "textworld", "generating TextWorld games")
    require("textworld.challenges", "textworld")
    options = textworld.GameOptions()
    options.seeds = generator_seed(split, seed)
    options.path = str(target)
    options.file_ext = ".z8"
    textworld.g_rng.set_seed(options.seeds)  # the global RNG some generators fall back on
    _, make_game, _ = textworld.challenges.CHALLENGES[f"tw-{challenge}"]
    settings = challenge_settings(challenge, level, split)
    try:
        with _silenced():
            game = make_game(settings=settings, options=options)
            built = textworld.generator.compile_game(game, options)
    except Exception as exc:
        raise EnvInfraError(
            f"TextWorld could not generate {challenge}-{level}/{split}-{seed} "
            f"(generator seed {options.seeds}, settings {settings}): {exc}"
        ) from exc
    return Path(built)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Swallow what the generator prints, so CLI progress bars and logs stay clean.

    Its warnings too: "Not enough variation for ..." only says it reused an adjective.
    """
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
