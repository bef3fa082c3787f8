"""Scripted 'models' that solve the toy envs, for scaffold tests."""

from __future__ import annotations

import itertools
import json
import re

from gym_agents.llm.scripted import ScriptedLLM


def relay_solver(prefix: str = "Thought: recall the previous symbol.\nAction: ") -> ScriptedLLM:
    """Replies with the symbol shown one turn earlier, read from the conversation."""
    def reply(messages, tools):
        shown = re.findall(r"Symbol: (\w+)", " ".join(
            m["content"] for m in messages if m["role"] in ("user", "tool")))
        return prefix + (shown[-2] if len(shown) > 1 else shown[-1])
    return ScriptedLLM(reply)


def binary_search(low: int = 1, high: int = 100, *, as_text: bool = False) -> ScriptedLLM:
    """Guesses by bisection, reading 'go higher/lower' from the latest result."""
    state = {"low": low, "high": high, "last": None}

    def reply(messages, tools):
        last = messages[-1]["content"]
        if state["last"] is not None:
            if "go higher" in last:
                state["low"] = state["last"] + 1
            elif "go lower" in last:
                state["high"] = state["last"] - 1
        guess = (state["low"] + state["high"]) // 2
        state["last"] = guess
        if as_text:
            return f'Thought: bisect.\nAction: guess {json.dumps({"number": guess})}'
        return {"content": "", "tool_calls": [{"name": "guess", "arguments": {"number": guess}}]}
    return ScriptedLLM(reply)


def assert_token_exact(episode) -> None:
    """Each prompt starts with the previous prompt plus what was sampled after it."""
    turns = [t for t in episode.turns]
    assert turns and all(t.prompt_token_ids and t.token_ids for t in turns)
    for a, b in itertools.pairwise(turns):
        assert len(a.token_ids) == len(a.logprobs)
        seen = a.prompt_token_ids + a.token_ids
        assert b.prompt_token_ids[:len(seen)] == seen, f"turn {b.index} drifted"
