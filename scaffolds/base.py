"""The loop every LLM scaffold shares: prompt the model, parse an action, keep the ids.

A scaffold (`react`, `tool_calling`) says how to show an observation and how
to read an action out of a completion; this base keeps the conversation as
`Segment`s, asks the context manager which to show, and when the LLM has a
tokenizer (`llm.codec`) builds the prompt ids itself: the task's ids, then per
turn the ids the model sampled and the ids of the env's answer. The model is
given those ids, so every turn's `prompt_token_ids` is made of earlier
prompts and samples exactly (token-in-token-out, no re-templating).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from gym_agents.agents import AgentQuit, Decision
from gym_agents.core import Action, Observation
from gym_agents.env import Env
from gym_agents.errors import ConfigError
from gym_agents.llm import LLM, Completion, SamplingParams, parse_model_spec, shared_llm
from gym_agents.scaffolds.context import ContextManager, Segment, make_context


class FormatError(AgentQuit):
    """The model failed to produce a parseable action too many times in a row."""


class LLMAgent:
    name = "llm"
    needs_llm = True

    def __init__(self, llm: LLM | str, *, sampling: SamplingParams | dict | None = None,
                 context: str | ContextManager = "full", window: int = 8,
                 max_context_tokens: int | None = None, system_prompt: str | None = None,
                 max_invalid: int = 3, show_valid_actions: bool = True) -> None:
        if isinstance(llm, str):
            parse_model_spec(llm)  # fail now on a bad spec; load on first use
        elif llm is None:
            raise ConfigError(f"the {self.name} agent needs a model: pass llm=... "
                              "(on the command line: --model hf:PATH or openai:MODEL@URL)")
        if max_invalid < 1:
            raise ConfigError(f"max_invalid must be >= 1, got {max_invalid}")
        self._llm = llm
        self.sampling = SamplingParams.from_dict(sampling)
        self.context = make_context(context, window=window, max_tokens=max_context_tokens)
        self.system_prompt = system_prompt
        self.max_invalid = max_invalid
        self.show_valid_actions = show_valid_actions
        self.env: Env | None = None
        self.segments: list[Segment] = []
        self.tools: list[dict[str, Any]] | None = None

    @property
    def llm(self) -> LLM:
        if isinstance(self._llm, str):
            self._llm = shared_llm(self._llm)
        return self._llm

    # -- what a scaffold defines ------------------------------------------------------

    def default_system_prompt(self, env: Env, obs: Observation) -> str:
        raise NotImplementedError

    def episode_tools(self, env: Env, obs: Observation) -> list[dict[str, Any]] | None:
        """Tools shown to the model, fixed for the episode so the prompt prefix never changes."""
        return None

    def observation_messages(self, obs: Observation, first: bool) -> list[dict[str, Any]]:
        raise NotImplementedError

    def parse(self, completion: Completion) -> tuple[Action | None, str | None]:
        """(action, None) or (None, a message telling the model the expected format)."""
        raise NotImplementedError

    def expert_message(self, action: Action) -> dict[str, Any]:
        """The assistant message a model that chose `action` would write (SFT targets)."""
        raise NotImplementedError(f"the {self.name} scaffold cannot write expert replies")

    # -- the agent protocol -----------------------------------------------------------

    def reset(self, env: Env, obs: Observation, info: dict[str, Any], *, seed: int | None,
              sample_index: int = 0) -> None:
        self.env = env
        self.tools = self.episode_tools(env, obs)
        default = self.default_system_prompt(env, obs)  # also sets up what parse() needs
        system = self.system_prompt or default
        messages = [{"role": "system", "content": system}, *self.observation_messages(obs, True)]
        self.segments = [self._segment(messages, self._encode(messages))]
        self.turn, self.invalid_streak = 0, 0
        self.episode_seed = (seed, sample_index)

    async def act(self, obs: Observation, info: dict[str, Any]) -> Decision:
        if self.invalid_streak >= self.max_invalid:
            raise FormatError(f"the model gave no parseable action {self.invalid_streak} times "
                              "in a row")
        if self.turn > 0:
            self._add_observation(obs)
        shown = self.context.select(self.segments, reserve=self.sampling.max_tokens)
        messages = [m for seg in shown for m in seg.messages]
        prompt_ids = None
        if self.llm.codec is not None and all(s.token_ids is not None for s in shown):
            prompt_ids = [t for seg in shown for t in seg.token_ids]
        sampling = self.sampling.with_seed(self._turn_seed())
        start = time.perf_counter()
        completion = await self.llm.achat(messages, self.tools, sampling,
                                          prompt_token_ids=prompt_ids)
        seconds = time.perf_counter() - start
        reply = self._segment([completion.message()], completion.token_ids)
        reply.extra["completion"] = completion
        self.segments.append(reply)
        self.turn += 1
        action, problem = self.parse(completion)
        self.invalid_streak = self.invalid_streak + 1 if problem else 0
        usage = completion.usage
        llm_info = {"prompt_tokens": usage.prompt_tokens or len(completion.prompt_token_ids or ()),
                    "completion_tokens": usage.completion_tokens or len(completion.token_ids or ()),
                    "seconds": round(seconds, 6), "finish_reason": completion.finish_reason,
                    "context_segments": len(shown)}
        return Decision(action=action if action is not None else "", messages=messages,
                        completion=completion.text, prompt_token_ids=completion.prompt_token_ids,
                        token_ids=completion.token_ids, logprobs=completion.logprobs,
                        info={"llm": llm_info}, invalid=problem)

    # -- bookkeeping ------------------------------------------------------------------

    def _add_observation(self, obs: Observation) -> None:
        """Append the env's answer to the last reply's segment, with its ids."""
        last = self.segments[-1]
        new = self.answer_messages(obs, last.extra["completion"])
        last.messages.extend(new)
        if self.llm.codec is not None and last.token_ids is not None:
            sampled = last.token_ids
            last.token_ids = sampled + self.llm.codec.continuation(sampled, new, self.tools)
        last.num_tokens = self._count(last)

    def answer_messages(self, obs: Observation, completion: Completion) -> list[dict[str, Any]]:
        """Messages that carry the env's answer to `completion` (tool results or a user turn)."""
        return self.observation_messages(obs, False)

    def _encode(self, messages: list[dict[str, Any]]) -> list[int] | None:
        codec = self.llm.codec
        return codec.encode(messages, self.tools) if codec is not None else None

    def _segment(self, messages, token_ids) -> Segment:
        seg = Segment(list(messages), list(token_ids) if token_ids is not None else None)
        seg.num_tokens = self._count(seg)
        return seg

    def _count(self, seg: Segment) -> int:
        if seg.token_ids is not None:
            return len(seg.token_ids)
        # No tokenizer (a remote server): about 4 characters a token, plus framing.
        return sum(len(str(m.get("content") or "")) // 4 + 8 for m in seg.messages)

    def _turn_seed(self) -> int | None:
        """A seed per (sampling seed, episode seed, sample, turn): reruns reproduce."""
        seed, sample = self.episode_seed
        if seed is None and self.sampling.seed is None:
            return None
        key = f"{self.sampling.seed}/{seed}/{sample}/{self.turn}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") & 0x7FFFFFFF

    def valid_actions_text(self, obs: Observation) -> str:
        commands = obs.metadata.get("admissible_commands") if self.show_valid_actions else None
        return f"\n\nValid actions: {', '.join(commands)}" if commands else ""
