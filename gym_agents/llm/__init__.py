"""LLM clients: `LLM.chat(messages, tools=None, sampling=...) -> Completion`.

Backends, chosen by a model spec string (the `--model` flag):

    hf:PATH                    transformers, CPU or GPU (`gym-agents model make-tiny DIR`)
    openai:MODEL[@BASE_URL]    any OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY)
    scripted:FILE              replies from a file, one a line, for tests and demos

Importing this package loads no backend; `load_llm` imports the one it needs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gym_agents.errors import ConfigError
from gym_agents.llm.base import (
    LLM,
    Completion,
    LLMError,
    LLMUnavailable,
    SamplingParams,
    Usage,
)

__all__ = ["LLM", "Completion", "LLMError", "LLMUnavailable", "ModelSpec", "SamplingParams",
           "Usage", "load_llm", "parse_model_spec", "register_shared", "shared_llm"]

BACKENDS = ("hf", "openai", "scripted")


@dataclass(frozen=True)
class ModelSpec:
    backend: str
    target: str  # a path (hf, scripted) or a model name (openai)
    base_url: str | None = None

    def __str__(self) -> str:
        return f"{self.backend}:{self.target}" + (f"@{self.base_url}" if self.base_url else "")


def parse_model_spec(spec: str) -> ModelSpec:
    backend, sep, rest = spec.partition(":")
    if not sep or backend not in BACKENDS or not rest:
        raise ConfigError(f"bad model spec {spec!r}: use hf:PATH, openai:MODEL[@BASE_URL] "
                          "or scripted:FILE")
    if backend == "openai":
        for scheme in ("@http://", "@https://"):
            if scheme in rest:
                model, _, url = rest.partition("@")
                return ModelSpec(backend, model, url)
    return ModelSpec(backend, rest)


def load_llm(spec: str | ModelSpec) -> LLM:
    """Build the LLM a spec names (loads weights for `hf`)."""
    parsed = spec if isinstance(spec, ModelSpec) else parse_model_spec(spec)
    if parsed.backend == "hf":
        from gym_agents.llm.hf import HFLLM

        return HFLLM(parsed.target, spec=str(parsed))
    if parsed.backend == "openai":
        from gym_agents.llm.openai_api import OpenAILLM

        return OpenAILLM(parsed.target, parsed.base_url, spec=str(parsed))
    from gym_agents.llm.scripted import ScriptedLLM

    return ScriptedLLM.from_file(parsed.target)


_shared: dict[str, LLM] = {}
_shared_lock = threading.Lock()


def shared_llm(spec: str) -> LLM:
    """One LLM per spec in this process, so concurrent agents share one set of weights."""
    with _shared_lock:
        if spec not in _shared:
            _shared[spec] = load_llm(spec)
        return _shared[spec]


def register_shared(spec: str, llm: LLM | None) -> None:
    """Make an in-process LLM (e.g. a trainer's policy engine) what `shared_llm(spec)` returns,
    so eval and agents reach it by spec; None removes it."""
    parse_model_spec(spec)
    with _shared_lock:
        if llm is None:
            _shared.pop(spec, None)
        else:
            _shared[spec] = llm
