"""Small pure-Python envs for tests and learning demos."""

from gym_agents.registration import register


def register_toy_envs() -> None:
    register(
        "toy/Relay-v0",
        "gym_agents.environments.toy.relay:RelayEnv",
        max_episode_steps=50,
        description="Repeat the symbol shown one turn earlier (needs memory).",
    )
    register(
        "toy/GuessNumber-v0",
        "gym_agents.environments.toy.guess_number:GuessNumberEnv",
        max_episode_steps=20,
        description="Find a hidden integer with a JSON-schema `guess` tool.",
    )
