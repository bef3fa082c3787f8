"""Errors of the sandbox layer."""

from __future__ import annotations

from gym_agents.errors import EnvInfraError, GymAgentsError


class SandboxError(EnvInfraError):
    """The sandbox could not be started, died, or stopped answering (not the agent's fault)."""


class UnsafeArchiveError(GymAgentsError, ValueError):
    """An archive from a sandbox tried to write outside its destination."""
