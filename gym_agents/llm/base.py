"""What every LLM backend takes and returns.

`LLM.chat(messages, tools=None, sampling=...) -> Completion`, sync and async.
A completion keeps the exact token ids the model saw and sampled, and the
logprob of each sampled token, so trainers never re-tokenize (token-in-token-out).
Backends that own a tokenizer expose it as a `ChatCodec` (`llm.codec`): then a
scaffold can extend the prompt ids turn by turn and pass them back as
`prompt_token_ids`, and the model sees exactly those ids.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from gym_agents.core import ToolCall, ToolSpec
from gym_agents.errors import ConfigError, EnvInfraError, GymAgentsError

if TYPE_CHECKING:
    from gym_agents.llm.codec import ChatCodec


class LLMError(GymAgentsError):
    """The model or its server refused a request (bad request, context too long...)."""


class LLMUnavailable(EnvInfraError):
    """The model server stayed unreachable or overloaded after retries.

    An infra error: the episode is marked `infra_error` and retried; the run goes on.
    """


@dataclass(frozen=True)
class SamplingParams:
    """How to sample one completion."""

    temperature: float = 1.0
    """0 means greedy decoding."""
    top_p: float = 1.0
    """Nucleus sampling: keep the smallest set of tokens with this much probability."""
    max_tokens: int = 256
    """Most tokens to sample for one completion."""
    stop: tuple[str, ...] = ()
    """Strings that end the completion; the text is cut before them, the ids keep them."""
    seed: int | None = None
    """Seed of this one request; scaffolds derive one per episode and turn."""

    def __post_init__(self) -> None:
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        else:
            object.__setattr__(self, "stop", tuple(self.stop))

    @classmethod
    def from_dict(cls, data: SamplingParams | dict[str, Any] | None) -> SamplingParams:
        if isinstance(data, SamplingParams):
            return data
        data = dict(data or {})
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ConfigError(f"unknown sampling parameter(s) {sorted(unknown)}; "
                              f"known: {', '.join(cls.__dataclass_fields__)}")
        return cls(**data)

    def with_seed(self, seed: int | None) -> SamplingParams:
        return replace(self, seed=seed)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Completion:
    """One sampled reply, with exactly what the model saw and produced."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_token_ids: list[int] | None = None
    token_ids: list[int] | None = None
    # Logprob of each sampled token under the distribution it was sampled
    # from (logits / temperature; raw logits when greedy), before top-p.
    logprobs: list[float] | None = None
    finish_reason: str = "stop"  # "stop", "length" or "tool_calls"
    usage: Usage = field(default_factory=Usage)
    model: str = ""

    def message(self) -> dict[str, Any]:
        """The OpenAI assistant message for the chat history."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            msg["tool_calls"] = [tool_call_to_openai(c) for c in self.tool_calls]
        return msg


class LLM(Protocol):
    spec: str
    codec: ChatCodec | None  # None when the backend cannot tokenize (remote servers)

    def chat(self, messages: list[dict[str, Any]], tools: list[Any] | None = None,
             sampling: SamplingParams | None = None, *,
             prompt_token_ids: list[int] | None = None) -> Completion: ...

    async def achat(self, messages: list[dict[str, Any]], tools: list[Any] | None = None,
                    sampling: SamplingParams | None = None, *,
                    prompt_token_ids: list[int] | None = None) -> Completion: ...


def tools_to_openai(tools: list[Any] | tuple[Any, ...] | None) -> list[dict[str, Any]] | None:
    """ToolSpecs or OpenAI tool dicts -> OpenAI tool dicts (None when there are none)."""
    if not tools:
        return None
    return [t.to_openai() if isinstance(t, ToolSpec) else dict(t) for t in tools]


def tool_call_to_openai(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}


def tool_call_from_openai(data: dict[str, Any]) -> ToolCall:
    """An OpenAI tool call (arguments as a JSON string) -> ToolCall.

    Arguments that are not a JSON object are kept as `{"_unparsed": raw}`, so the
    env's schema check reports them to the agent instead of anything crashing.
    """
    fn = data.get("function", data)
    raw = fn.get("arguments") or "{}"
    if isinstance(raw, dict):
        arguments = raw
    else:
        try:
            arguments = json.loads(raw)
        except json.JSONDecodeError:
            arguments = None
        if not isinstance(arguments, dict):
            arguments = {"_unparsed": raw}
    kwargs = {"id": data["id"]} if data.get("id") else {}
    return ToolCall(fn.get("name") or "", arguments, **kwargs)
