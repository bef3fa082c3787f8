"""Direct: the whole reply is the action, no thought and no markup.

For small models and RL from scratch, where a format to learn before any
reward arrives would only slow learning down. Text envs take the reply as the
command; tool envs take `NAME {JSON arguments}`.
"""

from __future__ import annotations

from typing import Any

from gym_agents.agents import parse_human_action
from gym_agents.core import Action, Observation, ToolCall
from gym_agents.env import Env
from gym_agents.llm import Completion
from gym_agents.scaffolds.base import LLMAgent


class DirectAgent(LLMAgent):
    """The reply, stripped, is the action."""

    name = "direct"

    def default_system_prompt(self, env: Env, obs: Observation) -> str:
        return "You act in an environment. Reply with exactly one action and nothing else."

    def observation_messages(self, obs: Observation, first: bool) -> list[dict[str, Any]]:
        return [{"role": "user", "content": obs.text + self.valid_actions_text(obs)}]

    def parse(self, completion: Completion) -> tuple[Action | None, str | None]:
        reply = completion.text.strip()
        if not reply:
            return None, "Your reply was empty, so nothing happened. Reply with one action."
        return parse_human_action(reply, self.env.action_kinds), None

    def expert_message(self, action: Action) -> dict[str, Any]:
        if isinstance(action, ToolCall):
            import json

            return {"role": "assistant",
                    "content": f"{action.name} {json.dumps(action.arguments)}"}
        return {"role": "assistant", "content": str(action)}
