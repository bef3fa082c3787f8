"""The one error hierarchy of gym-agents.

Everything we raise on purpose derives from `GymAgentsError`, so callers can
catch the library's failures without catching their own bugs. `EnvInfraError`
is kept apart from anything an agent did: rollouts mark such episodes
`infra_error`, retry them, and trainers leave them out of the loss.
"""

from __future__ import annotations


class GymAgentsError(Exception):
    """Root of every error gym-agents raises on purpose."""


class UnknownEnvError(GymAgentsError, KeyError):
    """An env id that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class RegistrationError(GymAgentsError):
    """A registration that conflicts with or breaks the registry."""


class DependencyNotInstalled(GymAgentsError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        what = f" for {purpose}" if purpose else ""
        super().__init__(
            f"{package} is needed{what} but is not installed. "
            f"Install it with: pip install 'gym-agents[{extra}]'"
        )
        self.package = package
        self.extra = extra


class EnvInfraError(GymAgentsError):
    """The machinery under an env failed (sandbox died, engine crashed, timeout).

    Not the agent's fault: the episode is marked `infra_error` and retried.
    """


class OracleUnavailable(GymAgentsError):
    """The env cannot say what its oracle would do in the current state."""


class ConfigError(GymAgentsError, ValueError):
    """A configuration value is invalid; the message names the field."""


class StoreError(GymAgentsError):
    """An episode store cannot be read or written."""


def require(module: str, extra: str, purpose: str = ""):
    """Import an optional dependency or raise `DependencyNotInstalled` naming its extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        # Only a missing top-level package means "not installed"; a broken
        # install of a present package should surface as itself.
        if exc.name is not None and exc.name.split(".")[0] != module.split(".")[0]:
            raise
        raise DependencyNotInstalled(module.split(".")[0], extra, purpose) from exc
