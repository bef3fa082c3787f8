"""Registered TextWorld ids (filled in by the TextWorld family work)."""


def register_textworld_envs() -> None:
    pass
