"""`hf` rollout engine: batched sampling with transformers on the trainer's own model.

The engine samples from the very module the trainer updates (CPU, or the
trainer's GPU), so a weight sync is free; `sync_weights` copies only when it
was given another module. Sampling is our own loop over the KV cache:
prompts left-padded, one forward per new token for the whole batch.
Each row draws its token with the Gumbel-max trick from a generator seeded
by that request's seed, so a row's sample does not depend on which other rows
share its batch. The logprob returned is that of the sampled token under
logits / temperature (before top-p), the distribution the trainer scores.
"""

from __future__ import annotations

import threading
from typing import Any

from gym_agents.errors import require
from gym_agents.llm.base import SamplingParams
from gym_agents.llm.hf import tokenizer_codec
from gym_agents.trainers.engines.base import BatchingEngine


class HFEngine(BatchingEngine):
    def __init__(self, model: Any, tokenizer: Any, *, spec: str = "hf:policy",
                 seed: int = 0) -> None:
        super().__init__()
        self.torch = require("torch", "train", "the hf rollout engine")
        self.model, self.tokenizer, self.spec = model, tokenizer, spec
        eos = model.generation_config.eos_token_id if model.generation_config else None
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in eos:
            eos.append(tokenizer.eos_token_id)
        self.eos_ids = eos
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0]
        self.codec = tokenizer_codec(tokenizer, eos)
        self._unseeded = self.torch.Generator().manual_seed(seed)
        self._lock = threading.Lock()

    def sync_weights(self, model: Any) -> None:
        if model is not self.model:
            self.model.load_state_dict(model.state_dict())
        self.weight_version += 1

    @property
    def device(self):
        return next(self.model.parameters()).device

    def generate_batch(self, prompts: list[list[int]],
                       samplings: list[SamplingParams]) -> list[tuple[list[int], list[float]]]:
        torch = self.torch
        with self._lock, torch.inference_mode():
            was_training = self.model.training
            self.model.eval()
            try:
                return self._generate(prompts, samplings)
            finally:
                self.model.train(was_training)

    def _generate(self, prompts, samplings):
        torch, device = self.torch, self.device
        batch, width = len(prompts), max(len(p) for p in prompts)
        ids = torch.full((batch, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((batch, width), dtype=torch.long)
        for i, prompt in enumerate(prompts):
            ids[i, width - len(prompt):] = torch.tensor(prompt)
            mask[i, width - len(prompt):] = 1
        ids, mask = ids.to(device), mask.to(device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        generators = [self._generator(s) for s in samplings]
        limits = [s.max_tokens for s in samplings]
        eos = set(self.eos_ids)
        out: list[list[int]] = [[] for _ in prompts]
        logps: list[list[float]] = [[] for _ in prompts]
        done = [False] * batch
        step = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                          use_cache=True)
        for t in range(max(limits)):
            logits = step.logits[:, -1, :].float()
            next_ids = []
            for i in range(batch):
                if done[i]:
                    next_ids.append(self.pad_id)
                    continue
                token, logp = sample_token(torch, logits[i], samplings[i], generators[i])
                out[i].append(token)
                logps[i].append(logp)
                done[i] = (token in eos or len(out[i]) >= limits[i]
                           or self._hit_stop(out[i], samplings[i]))
                next_ids.append(token)
            if all(done) or t + 1 == max(limits):
                break
            new = torch.tensor(next_ids, device=device)[:, None]
            mask = torch.cat([mask, torch.ones((batch, 1), dtype=mask.dtype, device=device)], 1)
            positions = positions[:, -1:] + 1
            step = self.model(input_ids=new, attention_mask=mask, position_ids=positions,
                              past_key_values=step.past_key_values, use_cache=True)
        return list(zip(out, logps, strict=True))

    def _generator(self, sampling: SamplingParams):
        seed = sampling.seed
        if seed is None:
            seed = int(self.torch.randint(0, 2**31 - 1, (1,), generator=self._unseeded))
        return self.torch.Generator().manual_seed(seed)

    def _hit_stop(self, ids: list[int], sampling: SamplingParams) -> bool:
        if not sampling.stop:
            return False
        text = self.codec.decode(ids[-16:])
        return any(stop in text for stop in sampling.stop)


def sample_token(torch, logits, sampling: SamplingParams, generator) -> tuple[int, float]:
    """One token from `logits` (1-D): greedy at temperature 0, else Gumbel-max with top-p."""
    if sampling.temperature == 0:
        logp = torch.log_softmax(logits, -1)
        token = int(logits.argmax())
        return token, float(logp[token])
    scaled = logits / sampling.temperature
    logp = torch.log_softmax(scaled, -1)
    candidates = scaled
    if sampling.top_p < 1.0:
        sorted_logp, order = logp.sort(descending=True)
        keep = sorted_logp.exp().cumsum(0) - sorted_logp.exp() < sampling.top_p
        candidates = torch.full_like(scaled, float("-inf"))
        candidates[order[keep]] = scaled[order[keep]]
    uniform = torch.rand(scaled.shape, generator=generator).clamp_(1e-20, 1.0)
    noise = -torch.log(-torch.log(uniform)).to(scaled.device)
    token = int((candidates + noise).argmax())
    return token, float(logp[token])
