"""Small pure-Python envs for tests and learning demos."""


def register_toy_envs() -> None:
    pass
