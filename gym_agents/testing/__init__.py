"""Test helpers shipped with the package: the env checker."""

from gym_agents.testing.env_checker import EnvCheckError, check_env

__all__ = ["EnvCheckError", "check_env"]
