"""Agents that need no LLM: `oracle`, `random` and `human`.

An agent is anything with `reset(env, obs, info)` and an async
`act(obs, info) -> Decision`. LLM scaffolds (`react`, `tool_calling` in
`gym_agents.scaffolds`) implement the same protocol and fill the decision's
token fields; these three leave them empty.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any, Protocol

from gym_agents.core import Action, Observation, ToolCall, ToolSpec
from gym_agents.env import Env
from gym_agents.errors import ConfigError, GymAgentsError


@dataclass
class Decision:
    """An action plus, for LLM agents, exactly what the model saw and sampled."""

    action: Action
    messages: list[dict[str, Any]] | None = None
    completion: str | None = None
    prompt_token_ids: list[int] | None = None
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    # Merged into the turn's info (e.g. {"llm": {"prompt_tokens": ..., "seconds": ...}}).
    info: dict[str, Any] | None = None
    # The model's output could not be parsed into an action: the rollout does
    # not step the env and shows the agent this message (the expected format)
    # as the turn's observation, with info["invalid_action"] = True.
    invalid: str | None = None


class Agent(Protocol):
    name: str

    def reset(self, env: Env, obs: Observation, info: dict[str, Any], *, seed: int | None,
              sample_index: int = 0) -> None: ...

    async def act(self, obs: Observation, info: dict[str, Any]) -> Decision: ...


class AgentQuit(GymAgentsError):
    """The agent asked to stop the episode (e.g. a human typed /quit)."""


class _BaseAgent:
    name = "base"

    def __init__(self, delay: float = 0.0) -> None:
        # `delay` stands in for model latency in benchmarks and tests.
        if delay < 0:
            raise ConfigError(f"delay must be >= 0 seconds, got {delay}")
        self.delay = float(delay)
        self.env: Env | None = None

    def reset(self, env: Env, obs: Observation, info: dict[str, Any], *, seed: int | None,
              sample_index: int = 0) -> None:
        self.env = env

    async def _wait(self) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)


class OracleAgent(_BaseAgent):
    """Plays the task's own solution (walkthrough, gold patch, expert)."""

    name = "oracle"

    async def act(self, obs: Observation, info: dict[str, Any]) -> Decision:
        await self._wait()
        return Decision(self.env.oracle_action())


class RandomAgent(_BaseAgent):
    """Uniform over the env's valid actions; samples tool arguments from their schema."""

    name = "random"

    def __init__(self, delay: float = 0.0, seed: int | None = None) -> None:
        super().__init__(delay)
        self.base_seed = seed
        self.rng = random.Random(seed)

    def reset(self, env, obs, info, *, seed, sample_index=0):
        super().reset(env, obs, info, seed=seed)
        # Per-episode stream, so results do not depend on scheduling order.
        self.rng = random.Random(f"{self.base_seed}/{seed}/{sample_index}")

    async def act(self, obs: Observation, info: dict[str, Any]) -> Decision:
        await self._wait()
        choices = self.env.valid_actions()
        if choices:
            return Decision(self.rng.choice(list(choices)))
        if obs.tools:
            tool = self.rng.choice(obs.tools)
            return Decision(ToolCall(tool.name, sample_arguments(tool, self.rng)))
        commands = obs.metadata.get("admissible_commands")
        if commands:
            return Decision(self.rng.choice(commands))
        raise ConfigError("the random agent needs an env that lists its valid actions or tools")


def sample_arguments(tool: ToolSpec, rng: random.Random) -> dict[str, Any]:
    """Random arguments that satisfy the simple JSON schemas envs use."""
    props = tool.parameters.get("properties", {})
    return {name: _sample_value(schema, rng) for name, schema in props.items()}


def _sample_value(schema: dict[str, Any], rng: random.Random) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return rng.randint(schema.get("minimum", 0), schema.get("maximum", 100))
    if kind == "number":
        return rng.uniform(schema.get("minimum", 0.0), schema.get("maximum", 1.0))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [_sample_value(schema.get("items", {}), rng) for _ in range(rng.randint(0, 3))]
    if kind == "object":
        return {k: _sample_value(v, rng) for k, v in schema.get("properties", {}).items()}
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 8)))


class HumanAgent(_BaseAgent):
    """You, at the terminal: type a command, or `name {json}` for a tool call."""

    name = "human"

    def __init__(self, delay: float = 0.0, input_fn=input) -> None:
        super().__init__(delay)
        self.input_fn = input_fn

    async def act(self, obs: Observation, info: dict[str, Any]) -> Decision:
        while True:
            line = await asyncio.to_thread(self.input_fn, "> ")
            line = line.strip()
            if line in ("/quit", "/exit"):
                raise AgentQuit("you quit the episode")
            if line == "/hint":
                try:
                    print(f"hint: {self.env.oracle_action()}")
                except GymAgentsError as exc:
                    print(f"no hint: {exc}")
                continue
            if line in ("", "/help"):
                print("Type a command and press Enter. For a tool call: name {\"arg\": value}. "
                      "/hint shows the oracle's next action, /quit ends the episode.")
                continue
            return Decision(parse_human_action(line, self.env.action_kinds))


def parse_human_action(line: str, kinds: frozenset[str]) -> Action:
    """Text for text envs; `name {json}` (or bare `name`) for tool-calling envs."""
    if "tool" not in kinds:
        return line
    name, _, rest = line.partition(" ")
    if rest.strip():
        try:
            arguments = json.loads(rest)
        except json.JSONDecodeError:
            return line if "text" in kinds else ToolCall(name, {"_unparsed": rest})
        if isinstance(arguments, dict):
            return ToolCall(name, arguments)
    return line if "text" in kinds else ToolCall(name, {})


# A class, or a lazy "module:Class" path for agents with heavier imports.
AGENTS: dict[str, type | str] = {
    "oracle": OracleAgent, "random": RandomAgent, "human": HumanAgent,
    "react": "gym_agents.scaffolds.react:ReActAgent",
    "tool_calling": "gym_agents.scaffolds.tool_calling:ToolCallingAgent",
    "bash_only": "gym_agents.scaffolds.bash_only:BashOnlyAgent",
    "direct": "gym_agents.scaffolds.direct:DirectAgent",
}


def agent_class(name: str) -> type:
    entry = AGENTS.get(name)
    if entry is None:
        raise ConfigError(f"unknown agent {name!r}; choose one of: {', '.join(sorted(AGENTS))}")
    if isinstance(entry, str):
        from gym_agents.registration import load_entry_point

        entry = load_entry_point(entry)
    return entry


def needs_llm(name: str) -> bool:
    """Whether the agent drives a model (takes `llm=` and `sampling=`)."""
    return bool(getattr(agent_class(name), "needs_llm", False))


def make_agent(name: str, **kwargs: Any) -> Agent:
    """Build an agent by name; kwargs are its constructor's (e.g. delay=0.1, llm="hf:DIR")."""
    cls = agent_class(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"bad arguments for agent {name!r}: {exc}") from exc
