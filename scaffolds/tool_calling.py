"""Tool calling: the model calls one of the env's tools per turn (OpenAI function calling).

The env's tools at reset are shown for the whole episode (the prompt prefix
never changes); each result comes back as a `tool` message. A reply without a
tool call becomes an invalid turn that tells the model to call one; extra
calls in one reply are answered "not run".
"""

from __future__ import annotations

from typing import Any

from gym_agents.core import Action, Observation, ToolCall
from gym_agents.env import Env
from gym_agents.errors import ConfigError
from gym_agents.llm import Completion
from gym_agents.llm.base import tool_call_to_openai, tools_to_openai
from gym_agents.scaffolds.base import LLMAgent


class ToolCallingAgent(LLMAgent):
    """One tool call per turn, with the env's own tools."""

    name = "tool_calling"

    def default_system_prompt(self, env: Env, obs: Observation) -> str:
        return ("You are an agent acting in an environment. Each turn, call exactly one of "
                "the tools you are given; its result is what happened.")

    def episode_tools(self, env: Env, obs: Observation) -> list[dict[str, Any]] | None:
        if "tool" not in env.action_kinds or not obs.tools:
            raise ConfigError(f"the tool_calling agent needs an env with tools; {env!r} takes "
                              "text only: use --agent react")
        return tools_to_openai(obs.tools)

    def observation_messages(self, obs: Observation, first: bool) -> list[dict[str, Any]]:
        return [{"role": "user", "content": obs.text + self.valid_actions_text(obs)}]

    def answer_messages(self, obs: Observation, completion: Completion) -> list[dict[str, Any]]:
        if not completion.tool_calls:
            return self.observation_messages(obs, False)
        first, *rest = completion.tool_calls
        text = obs.text + self.valid_actions_text(obs)
        return [{"role": "tool", "tool_call_id": first.id, "content": text},
                *({"role": "tool", "tool_call_id": c.id,
                   "content": "Not run: call one tool per turn."} for c in rest)]

    def parse(self, completion: Completion) -> tuple[Action | None, str | None]:
        if completion.tool_calls:
            return completion.tool_calls[0], None
        names = ", ".join(t["function"]["name"] for t in self.tools or ())
        problem = ("Your reply called no tool, so nothing happened. "
                   f"Call exactly one of these tools: {names}.")
        if "<tool_call>" in completion.text:
            problem += (' A call is <tool_call>{"name": ..., "arguments": {...}}</tool_call> '
                        "with valid JSON.")
        return None, problem

    def expert_message(self, action: Action) -> dict[str, Any]:
        if not isinstance(action, ToolCall):
            raise ConfigError(f"the tool_calling scaffold replays tool calls, got {action!r}")
        return {"role": "assistant", "content": "", "tool_calls": [tool_call_to_openai(action)]}
