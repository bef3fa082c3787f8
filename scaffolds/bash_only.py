"""Bash-only SWE agent in the style of mini-swe-agent: one shell command per turn, as text.

The model answers with a short THOUGHT and exactly one ```bash fenced block.
The command runs through the env's `bash` tool; to finish, the model runs
`echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT` (alone), which becomes `submit`.
No file viewer, no editor: `cat`, `sed -n`, `grep` and `sed -i` / heredocs do it.
A reply with no bash block, or several, is an invalid turn that restates the format.
"""

from __future__ import annotations

import re
from typing import Any

from gym_agents.core import Action, Observation, ToolCall
from gym_agents.env import Env
from gym_agents.errors import ConfigError
from gym_agents.llm import Completion
from gym_agents.scaffolds.base import LLMAgent

SUBMIT_COMMAND = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"
_BLOCK = re.compile(r"```(?:bash|sh)[ \t]*\n(.*?)```", re.S)
FORMAT = ("Reply with a THOUGHT (a few sentences) and then exactly one bash block:\n\n"
          "THOUGHT: ...\n\n```bash\n<one command>\n```\n\n"
          f"When you are done, run `{SUBMIT_COMMAND}` alone in the block.")
SYSTEM = f"""\
You are a software engineer fixing a bug in a Python repository, using only a bash shell.
Each turn runs one command in a fresh shell in the repository root (no state is kept between
turns except files). Read code with cat, grep, sed -n; edit with sed -i or a heredoc
(cat <<'EOF' > file). Run the failing tests with python -m pytest. Do not edit the tests.

{FORMAT}"""


def parse_bash(text: str) -> tuple[str | None, str | None]:
    """(the command, None) or (None, what was wrong with the reply)."""
    blocks = _BLOCK.findall(text)
    if len(blocks) != 1:
        found = "no bash block" if not blocks else f"{len(blocks)} bash blocks"
        return None, f"Your reply had {found}; exactly one is needed.\n\n{FORMAT}"
    command = blocks[0].strip()
    if not command:
        return None, f"The bash block was empty.\n\n{FORMAT}"
    return command, None


class BashOnlyAgent(LLMAgent):
    """THOUGHT + one ```bash block per turn; needs an env with `bash` and `submit` tools."""

    name = "bash_only"

    def default_system_prompt(self, env: Env, obs: Observation) -> str:
        names = {t.name for t in obs.tools}
        if not {"bash", "submit"} <= names:
            raise ConfigError(f"the bash_only agent needs an env with bash and submit tools "
                              f"(an swe/* env); this one offers {sorted(names) or 'none'}")
        return SYSTEM

    def observation_messages(self, obs: Observation, first: bool) -> list[dict[str, Any]]:
        text = obs.text if first else f"<output>\n{obs.text}\n</output>"
        return [{"role": "user", "content": text}]

    def parse(self, completion: Completion) -> tuple[Action | None, str | None]:
        command, problem = parse_bash(completion.text)
        if command is None:
            return None, problem
        if command == SUBMIT_COMMAND:
            return ToolCall("submit", {}), None
        return ToolCall("bash", {"command": command}), None

    def expert_message(self, action: Action) -> dict[str, Any]:
        if not isinstance(action, ToolCall) or action.name not in ("bash", "submit"):
            raise ConfigError(f"the bash_only scaffold cannot write {action!r} as a reply")
        command = SUBMIT_COMMAND if action.name == "submit" else action.arguments["command"]
        return {"role": "assistant", "content": f"THOUGHT: next step.\n\n```bash\n{command}\n```"}
