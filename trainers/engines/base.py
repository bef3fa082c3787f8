"""What every rollout engine shares: the LLM interface, with requests batched.

Scaffolds call `await engine.achat(...)` one episode at a time, like any LLM.
The engine gathers those calls and generates them as one batch. Two modes:

- free: a batch is whatever is waiting when the previous one finishes
  (evaluation, serving);
- lockstep: the rollout collector opens a *slot* per episode; a batch starts
  only when every open slot is waiting on the engine, and its rows are in
  slot order. Batches then depend on the episodes only, never on timing, so
  a seeded training run (and its resume) samples exactly the same tokens.

A subclass implements `generate_batch(prompts, samplings)` and `sync_weights`.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from dataclasses import dataclass, field
from typing import Any

from gym_agents.llm.base import Completion, SamplingParams, tools_to_openai
from gym_agents.llm.codec import ChatCodec
from gym_agents.llm.hf import completion_from_ids

# The slot of the episode this task runs (set by the rollout collector).
current_slot: contextvars.ContextVar[int | None] = contextvars.ContextVar("slot", default=None)


@dataclass(order=True)
class _Request:
    order: tuple
    prompt: list[int] = field(compare=False)
    sampling: SamplingParams = field(compare=False)
    future: asyncio.Future = field(compare=False)


class BatchingEngine:
    """Base of the rollout engines (`hf`, `vllm`): an LLM whose calls run in batches."""

    spec = "engine"
    codec: ChatCodec
    eos_ids: list[int]

    def __init__(self) -> None:
        self._pending: list[_Request] = []
        self._open_slots: set[int] = set()
        self._busy = False
        self._arrival = itertools.count()
        self.weight_version = 0
        self.stats = {"batches": 0, "rows": 0, "generated_tokens": 0}

    # -- to implement -------------------------------------------------------------------

    def generate_batch(self, prompts: list[list[int]],
                       samplings: list[SamplingParams]) -> list[tuple[list[int], list[float]]]:
        """Sample after each prompt; return (sampled ids, their logprobs) per prompt."""
        raise NotImplementedError

    def sync_weights(self, model: Any) -> None:
        """Make the engine sample from `model`'s current weights."""
        raise NotImplementedError

    # -- slots (lockstep mode) ----------------------------------------------------------

    def open_slot(self, slot: int) -> None:
        self._open_slots.add(slot)

    def close_slot(self, slot: int) -> None:
        self._open_slots.discard(slot)
        self._maybe_flush()

    # -- the LLM interface --------------------------------------------------------------

    def chat(self, messages, tools=None, sampling=None, *, prompt_token_ids=None) -> Completion:
        sampling = sampling or SamplingParams()
        prompt = self._prompt(messages, tools, prompt_token_ids)
        ids, logprobs = self.generate_batch([prompt], [sampling])[0]
        return self._complete(prompt, ids, logprobs, sampling)

    async def achat(self, messages, tools=None, sampling=None, *,
                    prompt_token_ids=None) -> Completion:
        sampling = sampling or SamplingParams()
        prompt = self._prompt(messages, tools, prompt_token_ids)
        slot = current_slot.get()
        order = (0, slot) if slot is not None else (1, next(self._arrival))
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(order, prompt, sampling, future))
        self._maybe_flush()
        ids, logprobs = await future
        return self._complete(prompt, ids, logprobs, sampling)

    def _prompt(self, messages, tools, prompt_token_ids) -> list[int]:
        if prompt_token_ids is not None:
            return list(prompt_token_ids)
        return self.codec.encode(messages, tools_to_openai(tools))

    def _complete(self, prompt, ids, logprobs, sampling) -> Completion:
        return completion_from_ids(self.codec, self.eos_ids, prompt, ids, logprobs, sampling,
                                   self.spec)

    def _maybe_flush(self) -> None:
        if self._busy or not self._pending:
            return
        waiting = {r.order[1] for r in self._pending if r.order[0] == 0}
        if self._open_slots - waiting:
            return  # lockstep: some episode is still stepping its env
        batch, self._pending = sorted(self._pending), []
        self._busy = True
        asyncio.get_running_loop().create_task(self._run(batch))

    async def _run(self, batch: list[_Request]) -> None:
        try:
            results = await asyncio.to_thread(
                self.generate_batch, [r.prompt for r in batch], [r.sampling for r in batch])
        except Exception as exc:  # every waiting episode gets it (an infra error there)
            for r in batch:
                if not r.future.done():
                    r.future.set_exception(exc)
        else:
            self.stats["batches"] += 1
            self.stats["rows"] += len(batch)
            for r, result in zip(batch, results, strict=True):
                self.stats["generated_tokens"] += len(result[0])
                if not r.future.done():
                    r.future.set_result(result)
        finally:
            self._busy = False
            self._maybe_flush()
