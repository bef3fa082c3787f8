"""`scripted`: deterministic replies from a list or a function, for tests and demos.

Replies are tokenized with the byte-level ChatML codec, so scripted episodes
carry prompt ids, sampled ids and logprobs (0.0: each reply is certain) just
like real ones, and scaffolds' token bookkeeping can be tested without torch.
A reply is text, a dict `{"content": ..., "tool_calls": [{"name", "arguments"}]}`,
or a `Completion`; a function gets `(messages, tools)` and returns one of those.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gym_agents.core import ToolCall
from gym_agents.errors import ConfigError
from gym_agents.llm.base import (
    Completion,
    SamplingParams,
    Usage,
    tool_call_from_openai,
    tool_call_to_openai,
    tools_to_openai,
)
from gym_agents.llm.codec import byte_codec, normalize_messages, render_chatml

Reply = str | dict[str, Any] | Completion
ReplyFn = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], Reply]


class ScriptedLLM:
    """Plays back `replies` in order (cycling), or asks `replies(messages, tools)`."""

    def __init__(self, replies: Sequence[Reply] | ReplyFn, *, cycle: bool = True,
                 spec: str = "scripted") -> None:
        if not callable(replies) and not replies:
            raise ConfigError("a scripted model needs at least one reply")
        self.replies = replies if callable(replies) else list(replies)
        self.cycle = cycle
        self.spec = spec
        self.codec = byte_codec()
        self.calls = 0
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str) -> ScriptedLLM:
        """One reply a line: JSON (a string or a reply dict) or plain text."""
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"scripted model file {path} does not exist: give a file with "
                              "one reply per line (plain text or JSON)")
        replies: list[Reply] = []
        for line in file.read_text().splitlines():
            if not line.strip():
                continue
            try:
                replies.append(json.loads(line))
            except json.JSONDecodeError:
                replies.append(line)
        return cls(replies, spec=f"scripted:{path}")

    def _next_reply(self, messages, tools) -> Reply:
        with self._lock:
            index = self.calls
            self.calls += 1
        if callable(self.replies):
            return self.replies(messages, tools)
        if index >= len(self.replies) and not self.cycle:
            raise ConfigError(f"scripted model ran out of replies after {len(self.replies)}")
        return self.replies[index % len(self.replies)]

    def chat(self, messages, tools=None, sampling: SamplingParams | None = None, *,
             prompt_token_ids=None) -> Completion:
        sampling = sampling or SamplingParams()
        tools = tools_to_openai(tools)
        reply = self._next_reply(normalize_messages(messages), tools)
        if isinstance(reply, Completion):
            return reply
        text, calls = _split_reply(reply)
        prompt = (list(prompt_token_ids) if prompt_token_ids is not None
                  else self.codec.encode(messages, tools))
        # Sample what the template renders for this reply, then the end of turn.
        rendered = render_chatml([{"role": "assistant", "content": text,
                                   "tool_calls": [tool_call_to_openai(c) for c in calls]}],
                                 add_generation_prompt=False)
        body = rendered[len("<|im_start|>assistant\n"):-len("<|im_end|>\n")]
        ids = self.codec.encode_text(body)  # type: ignore[attr-defined]
        finish = "tool_calls" if calls else "stop"
        if len(ids) >= sampling.max_tokens:
            ids, finish = ids[:sampling.max_tokens], "length"
            text, calls = self.codec.decode(ids), []
        else:
            ids.append(self.codec.encode_text("<|im_end|>")[0])  # type: ignore[attr-defined]
        for stop in sampling.stop:
            if stop in text:
                text = text[:text.index(stop)]
        return Completion(text=text, tool_calls=calls, prompt_token_ids=prompt, token_ids=ids,
                          logprobs=[0.0] * len(ids), finish_reason=finish,
                          usage=Usage(len(prompt), len(ids)), model=self.spec)

    async def achat(self, messages, tools=None, sampling=None, *, prompt_token_ids=None):
        return self.chat(messages, tools, sampling, prompt_token_ids=prompt_token_ids)


def _split_reply(reply: str | dict[str, Any]) -> tuple[str, list[ToolCall]]:
    if isinstance(reply, str):
        return reply, []
    if not isinstance(reply, dict):
        raise ConfigError(f"a scripted reply must be text, a dict or a Completion, got {reply!r}")
    calls = [c if isinstance(c, ToolCall) else tool_call_from_openai(c)
             for c in reply.get("tool_calls") or ()]
    return reply.get("content") or "", calls
