"""ReAct: the model writes a thought, then one action per turn, as text.

    Thought: the fridge is probably in the kitchen.
    Action: go east

Parsing is forgiving (any case, markdown emphasis, quotes, backticks or a
code fence, the action on the next line); the first `Action:` counts. For
envs that take tool calls the action is `NAME {JSON arguments}`. A reply
with no action becomes an invalid turn that shows the model the format.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gym_agents.agents import parse_human_action
from gym_agents.core import Action, Observation, ToolCall
from gym_agents.env import Env
from gym_agents.llm import Completion
from gym_agents.scaffolds.base import LLMAgent

_ACTION = re.compile(r"^[\s>*_#-]*action\s*\d*\s*[*_]*\s*:[*_]*[ \t]*(.*)$", re.I | re.M)
_OBSERVATION = re.compile(r"\s*\bobservation\s*\d*\s*:.*$", re.I | re.S)


def parse_react(text: str) -> str | None:
    """The action of a ReAct reply, or None when it has none."""
    match = _ACTION.search(text)
    if match is None:
        return None
    action = _clean(match.group(1))
    if not action:  # "Action:" alone, the command on a following line (maybe in a fence)
        for line in text[match.end():].splitlines():
            action = _clean(line)
            if action:
                break
    return action or None


def _clean(text: str) -> str:
    text = _OBSERVATION.sub("", text).strip()
    text = text.strip("`").strip()
    if text.startswith(("bash", "text")) and text.isalpha():  # a fence's language tag
        return ""
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'*_":
        text = text[1:-1].strip()
    return text


class ReActAgent(LLMAgent):
    """Thought + one action per turn, as text; works with every env."""

    name = "react"

    def default_system_prompt(self, env: Env, obs: Observation) -> str:
        if "text" in env.action_kinds:
            how = "Action: <one command>"
        else:
            tools = "\n".join(f"- {t.name}: {t.description} Arguments (JSON schema): "
                              f"{json.dumps(t.parameters)}" for t in obs.tools)
            how = ('Action: <tool name> <JSON arguments>, e.g. Action: '
                   f'{obs.tools[0].name if obs.tools else "tool"} {{...}}\n\nTools:\n{tools}')
        self.format_hint = f"Thought: <your reasoning, one or two sentences>\n{how.splitlines()[0]}"
        return ("You are an agent acting in an environment, one action per turn. Each turn, "
                "think briefly, then give exactly one action. Reply in this format:\n"
                f"Thought: <your reasoning, one or two sentences>\n{how}")

    def observation_messages(self, obs: Observation, first: bool) -> list[dict[str, Any]]:
        prefix = "" if first else "Observation: "
        return [{"role": "user", "content": prefix + obs.text + self.valid_actions_text(obs)}]

    def parse(self, completion: Completion) -> tuple[Action | None, str | None]:
        line = parse_react(completion.text)
        if line is None:
            return None, ("Your reply had no action, so nothing happened. "
                          f"Reply in this format:\n{self.format_hint}")
        return parse_human_action(line, self.env.action_kinds), None

    def expert_message(self, action: Action) -> dict[str, Any]:
        if isinstance(action, ToolCall):
            action = f"{action.name} {json.dumps(action.arguments)}"
        return {"role": "assistant", "content": f"Action: {action}"}
