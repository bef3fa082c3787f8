"""`check_env`: does an env keep the gym-agents contract?

Run over every registered env in the test suite. It checks types, seeding,
that bad actions come back as observations (never exceptions), the async
twins, JSON round-trips, and that the oracle, where there is one, wins.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from gym_agents.core import Image, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env
from gym_agents.episode import json_safe
from gym_agents.errors import GymAgentsError, OracleUnavailable


class EnvCheckError(GymAgentsError):
    """An env breaks the contract; the message says how."""


def _fail(message: str) -> None:
    raise EnvCheckError(message)


def check_observation(obs: Any, where: str) -> None:
    if not isinstance(obs, Observation):
        _fail(f"{where}: observation must be an Observation, got {type(obs).__name__}")
    if not isinstance(obs.text, str):
        _fail(f"{where}: Observation.text must be str")
    for image in obs.images:
        if not isinstance(image, Image) or not image.png.startswith(b"\x89PNG"):
            _fail(f"{where}: Observation.images must hold PNG Images")
    for tool in obs.tools:
        if not isinstance(tool, ToolSpec) or tool.parameters.get("type") != "object":
            _fail(f"{where}: each tool must be a ToolSpec with an object parameters schema")
    try:
        json.dumps(obs.to_dict())
    except (TypeError, ValueError) as exc:
        _fail(f"{where}: observation does not serialise to JSON: {exc}")
    if Observation.from_dict(json.loads(json.dumps(obs.to_dict()))) != obs:
        _fail(f"{where}: observation does not round-trip through to_dict/from_dict")


def check_step(result: Any, where: str) -> StepResult:
    if not isinstance(result, tuple) or len(result) != 5:
        _fail(f"{where}: step must return (obs, reward, terminated, truncated, info)")
    obs, reward, terminated, truncated, info = result
    check_observation(obs, where)
    if not isinstance(reward, (int, float)) or isinstance(reward, bool):
        _fail(f"{where}: reward must be a number, got {type(reward).__name__}")
    if not isinstance(terminated, bool) or not isinstance(truncated, bool):
        _fail(f"{where}: terminated and truncated must be bools")
    if not isinstance(info, dict):
        _fail(f"{where}: info must be a dict")
    json.dumps(json_safe(info))
    return StepResult(*result)


def _bad_action(env: Env):
    """An action the env must reject with an observation."""
    if "text" in env.action_kinds:
        return "xyzzy-not-a-valid-action-42"
    return ToolCall("no_such_tool_xyzzy", {"x": 1})


def check_env(
    env: Env, *, seed: int = 0, oracle: bool = True, max_oracle_steps: int = 500
) -> None:
    """Raise `EnvCheckError` naming the first broken rule; return None if all hold."""
    if not env.action_kinds or not set(env.action_kinds) <= {"text", "tool"}:
        _fail("action_kinds must be a non-empty subset of {'text', 'tool'}")

    obs, info = env.reset(seed=seed)
    check_observation(obs, "reset")
    if not isinstance(info, dict):
        _fail("reset: info must be a dict")
    obs_again, _ = env.reset(seed=seed)
    if obs_again.text != obs.text:
        _fail("reset: the same seed gave a different first observation (seeding is broken)")

    result = check_step(env.step(_bad_action(env)), "invalid action")
    if result.info.get("invalid_action") is not True:
        _fail("an invalid action must set info['invalid_action'] = True")
    # An env that takes one kind of action must reject the other.
    other_kind = {frozenset({"tool"}): "look", frozenset({"text"}): ToolCall("look", {})}
    wrong_kind = other_kind.get(frozenset(env.action_kinds))
    if wrong_kind is not None:
        result = check_step(env.step(wrong_kind), "wrong kind of action")
        if result.info.get("invalid_action") is not True:
            _fail("an action of a kind the env does not take must be an invalid action")

    asyncio.run(_check_async(env, seed))

    if oracle:
        _check_oracle(env, seed, max_oracle_steps)
    env.close()


async def _check_async(env: Env, seed: int) -> None:
    obs, _ = await env.reset_async(seed=seed)
    check_observation(obs, "reset_async")
    check_step(await env.step_async(_bad_action(env)), "step_async")


def _check_oracle(env: Env, seed: int, max_steps: int) -> None:
    env.reset(seed=seed)
    try:
        action = env.oracle_action()
    except OracleUnavailable:
        return  # an env without an oracle; task suites are checked for one separately
    for step in range(max_steps):
        result = check_step(env.step(action), f"oracle step {step}")
        if result.info.get("invalid_action"):
            _fail(f"the oracle's action {action!r} was rejected as invalid: {result[0].text!r}")
        if result.terminated or result.truncated:
            if not result.info.get("success"):
                _fail(f"the oracle did not succeed (seed {seed}): {result[0].text!r}")
            return
        action = env.oracle_action()
    _fail(f"the oracle did not finish within {max_steps} steps")
