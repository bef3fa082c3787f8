"""Sandboxes that run untrusted code: docker, bwrap and local backends.

    from gym_agents import sandboxes
    limits = sandboxes.Limits(memory="512m", pids=128)        # no network unless asked
    with sandboxes.open("docker", image="gym-agents/base", limits=limits) as sb:
        r = sb.exec("python3 -c 'print(6 * 7)'", timeout=10)   # r.stdout == '42\\n'

An env that runs agent code keeps a `SandboxPool` and takes one sandbox per
episode (`pool.acquire()` in `reset`, `pool.release(sb)` in `close` or the next
`reset`). A dead or unanswering sandbox raises `SandboxError`, an
`EnvInfraError`: rollouts mark that episode `infra_error` and retry it.

Importing this package loads no backend: the docker SDK is imported when a
docker sandbox is opened.
"""

if __name__ != "gym_agents.sandboxes":
    # Imported under its bare folder name (e.g. from a checkout on sys.path):
    # that would load a second copy and register everything twice.
    raise ImportError(f"import this package as 'gym_agents.sandboxes', not as {__name__!r}")

import importlib as _importlib
from typing import Any as _Any

from gym_agents.errors import ConfigError as _ConfigError
from gym_agents.sandboxes.base import ExecResult, Limits, Sandbox, close_all
from gym_agents.sandboxes.errors import SandboxError, UnsafeArchiveError
from gym_agents.sandboxes.pool import SandboxPool

# backend name -> "module:Class"; imported on first use.
BACKENDS = {
    "docker": "gym_agents.sandboxes.docker_engine:DockerSandbox",
    "bwrap": "gym_agents.sandboxes.bwrap:BwrapSandbox",
    "local": "gym_agents.sandboxes.local:LocalSandbox",
}


def backend_class(name: str) -> type[Sandbox]:
    if name not in BACKENDS:
        raise _ConfigError(f"unknown sandbox backend {name!r}; choose one of {sorted(BACKENDS)}")
    module, _, cls = BACKENDS[name].partition(":")
    return getattr(_importlib.import_module(module), cls)


def open(backend: str, *, image: str | None = None, limits: Limits | None = None,
         **options: _Any) -> Sandbox:
    """Start a sandbox. `options` go to the backend (docker: `runtime`, `user`, `workdir`)."""
    return backend_class(backend)(image=image, limits=limits, **options)


__all__ = [
    "BACKENDS",
    "ExecResult",
    "Limits",
    "Sandbox",
    "SandboxError",
    "SandboxPool",
    "UnsafeArchiveError",
    "backend_class",
    "close_all",
    "open",
]
