"""gym-agents: an agentic environment and multi-turn RL gym for LLM agents.

    import gym_agents
    env = gym_agents.make("textworld/cooking-v0")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("look")

Importing this package loads no heavy dependency (torch, textworld, docker,
playwright...); each family imports its own when an env is made.
"""

from gym_agents.core import Action, Image, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env, Wrapper
from gym_agents.errors import (
    DependencyNotInstalled,
    EnvInfraError,
    GymAgentsError,
    OracleUnavailable,
    UnknownEnvError,
)
from gym_agents.registration import make, make_vec, pprint_registry, register, registry, spec
from gym_agents.vector import EnvPool
from gym_agents.wrappers import RecordEpisodeStatistics, TimeLimit

__version__ = "0.1.0"

__all__ = [
    "Action",
    "DependencyNotInstalled",
    "Env",
    "EnvInfraError",
    "EnvPool",
    "GymAgentsError",
    "Image",
    "Observation",
    "OracleUnavailable",
    "RecordEpisodeStatistics",
    "StepResult",
    "TimeLimit",
    "ToolCall",
    "ToolSpec",
    "UnknownEnvError",
    "Wrapper",
    "__version__",
    "make",
    "make_vec",
    "pprint_registry",
    "register",
    "registry",
    "spec",
]
