"""Registered TextWorld ids: `textworld/{challenge}-{level}-v0`, and `{challenge}-v0` (= easy)."""

import gym_agents

ENTRY_POINT = "gym_agents.environments.textworld.env:TextWorldEnv"

# Generous against the longest walkthroughs we see (cooking hard: ~35 steps).
MAX_EPISODE_STEPS = {"easy": 50, "medium": 80, "hard": 100}

DESCRIPTIONS = {
    "simple": "tw-simple: find the food in the house and put it on the stove",
    "cooking": "tw-cooking (FTWP): follow the cookbook, prepare and eat the meal",
    "coin_collector": "tw-coin_collector: walk the rooms to the coin",
    "treasure_hunter": "tw-treasure_hunter: find and take the named object",
}
LEVELS = ("easy", "medium", "hard")


def register_textworld_envs() -> None:
    for challenge, description in DESCRIPTIONS.items():
        for level in LEVELS:
            _register(f"textworld/{challenge}-{level}-v0", challenge, level,
                      f"{description} ({level})")
        _register(f"textworld/{challenge}-v0", challenge, "easy", f"{description} (easy)")


def _register(env_id: str, challenge: str, level: str, description: str) -> None:
    gym_agents.register(env_id, ENTRY_POINT, max_episode_steps=MAX_EPISODE_STEPS[level],
                        kwargs={"challenge": challenge, "level": level},
                        description=description, extra="textworld")
