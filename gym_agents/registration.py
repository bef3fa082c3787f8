"""The environment registry, Gymnasium style.

Ids are `family/Name-vN`; entry points are lazy `"pkg.mod:Cls"` strings so
registering an env imports nothing heavy. Our own families and third-party
packages register the same way: a function in the `gym_agents.envs`
entry-point group that calls `register`.
"""

from __future__ import annotations

import difflib
import importlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from gym_agents.env import Env
from gym_agents.errors import RegistrationError, UnknownEnvError

ENTRY_POINT_GROUP = "gym_agents.envs"
# Loaded first, without needing installed metadata (e.g. a source checkout).
BUILTIN_PLUGINS = ("gym_agents.environments:register_envs",)

ID_PATTERN = re.compile(r"^(?P<family>[a-z0-9_]+)/(?P<name>[A-Za-z0-9_.\-]+)-v(?P<version>\d+)$")


@dataclass(frozen=True)
class EnvSpec:
    """How to build one registered env."""

    id: str
    entry_point: str | Callable[..., Env]
    max_episode_steps: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    # The optional extra the env needs, shown by `gym-agents list`.
    extra: str | None = None

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    def make(self, **kwargs: Any) -> Env:
        return make(self.id, **kwargs)


registry: dict[str, EnvSpec] = {}
_plugins_loaded = False


def register(
    id: str,
    entry_point: str | Callable[..., Env],
    *,
    max_episode_steps: int | None = None,
    kwargs: dict[str, Any] | None = None,
    description: str = "",
    extra: str | None = None,
) -> EnvSpec:
    """Register an env under `family/Name-vN`."""
    if not ID_PATTERN.match(id):
        raise RegistrationError(
            f"env id {id!r} must look like 'family/Name-vN' (e.g. 'textworld/cooking-v0')"
        )
    if isinstance(entry_point, str) and ":" not in entry_point:
        raise RegistrationError(f"entry_point {entry_point!r} must be 'package.module:ClassName'")
    spec = EnvSpec(id, entry_point, max_episode_steps, dict(kwargs or {}), description, extra)
    old = registry.get(id)
    if old is not None and old != spec:
        warnings.warn(f"overriding the registration of {id}", stacklevel=2)
    registry[id] = spec
    return spec


def load_plugins() -> None:
    """Run every registration function once: ours, then the entry-point group's."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    targets: list[tuple[str, Callable[[], Any] | None]] = [(p, None) for p in BUILTIN_PLUGINS]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.value not in BUILTIN_PLUGINS:
            targets.append((ep.value, ep.load))
    for name, loader in targets:
        try:
            fn = loader() if loader is not None else load_entry_point(name)
            fn()
        except Exception as exc:  # a broken plugin must not take the registry down
            warnings.warn(f"could not load env plugin {name}: {exc}", stacklevel=2)


def load_entry_point(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def spec(env_id: str) -> EnvSpec:
    """The spec of a registered env, or an error that lists the closest ids."""
    load_plugins()
    found = registry.get(env_id)
    if found is None:
        close = difflib.get_close_matches(env_id, registry.keys(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownEnvError(
            f"No env registered as {env_id!r}.{hint} Run `gym-agents list` to see every id."
        )
    return found


def make(env_id: str, *, max_episode_steps: int | None = None, **kwargs: Any) -> Env:
    """Build a registered env, wrapped in `TimeLimit` when it has a step limit."""
    from gym_agents.wrappers import TimeLimit

    env_spec = spec(env_id)
    factory = env_spec.entry_point
    if isinstance(factory, str):
        factory = load_entry_point(factory)
    env = factory(**{**env_spec.kwargs, **kwargs})
    if not isinstance(env, Env):
        raise RegistrationError(f"{env_spec.entry_point} built {type(env).__name__}, not an Env")
    env.spec = env_spec
    limit = max_episode_steps if max_episode_steps is not None else env_spec.max_episode_steps
    if limit is not None:
        env = TimeLimit(env, limit)
    return env


def make_vec(env_id: str, num_envs: int, **kwargs: Any):
    """Build `num_envs` copies of an env as an `EnvPool` that steps them concurrently."""
    from gym_agents.vector import EnvPool

    return EnvPool([make(env_id, **kwargs) for _ in range(num_envs)])


def pprint_registry(*, family: str | None = None, file=None) -> None:
    """Print every registered id, grouped by family."""
    load_plugins()
    families: dict[str, list[EnvSpec]] = {}
    for s in sorted(registry.values(), key=lambda s: s.id):
        if family is None or s.family == family:
            families.setdefault(s.family, []).append(s)
    for fam, specs in families.items():
        print(f"===== {fam} =====", file=file)
        for s in specs:
            print(f"  {s.id:<40} {s.description}", file=file)
