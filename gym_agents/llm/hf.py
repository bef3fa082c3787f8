"""`hf`: a transformers causal LM on CPU or GPU, loaded with `from_pretrained`.

The prompt is the tokenizer's chat template (or ids a scaffold passes in);
sampling is `model.generate` with a fresh `GenerationConfig` built from our
`SamplingParams` only, so a hub model's own defaults (top_k, repetition
penalty) never change the distribution behind the logprobs we report. One
generation runs at a time per model (a lock): the seed is then the whole
story of a sample.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, require
from gym_agents.llm.base import Completion, SamplingParams, Usage, tools_to_openai
from gym_agents.llm.codec import ChatCodec, parse_tool_calls


class HFLLM:
    def __init__(self, path: str, *, device: str | None = None, dtype: str | None = None,
                 spec: str | None = None) -> None:
        self.torch = require("torch", "train", "the hf model backend")
        transformers = require("transformers", "train", "the hf model backend")
        transformers.utils.logging.disable_progress_bar()  # no bars in eval/serve output
        if not Path(path).exists():
            raise ConfigError(f"no model at {path}: give a folder saved with save_pretrained "
                              "(build a tiny one with `gym-agents model make-tiny DIR`)")
        self.path, self.spec = path, spec or f"hf:{path}"
        self.device = device or ("cuda" if self.torch.cuda.is_available() else "cpu")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        if not self.tokenizer.chat_template:
            raise ConfigError(f"the tokenizer in {path} has no chat template")
        self.model = transformers.AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype or "auto").to(self.device).eval()
        self._GenerationConfig = transformers.GenerationConfig
        eos = self.model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        if self.tokenizer.eos_token_id is not None and self.tokenizer.eos_token_id not in eos:
            eos.append(self.tokenizer.eos_token_id)
        self.eos_ids = eos
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None \
            else (eos[0] if eos else 0)
        self.codec = tokenizer_codec(self.tokenizer, eos)
        self._lock = threading.Lock()

    def generation_config(self, sampling: SamplingParams):
        """The exact `GenerationConfig` `chat` passes to `model.generate`."""
        greedy = sampling.temperature == 0
        kwargs: dict[str, Any] = dict(
            max_new_tokens=sampling.max_tokens, do_sample=not greedy, eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id, return_dict_in_generate=True, output_logits=True)
        if not greedy:
            kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        if sampling.stop:
            kwargs["stop_strings"] = list(sampling.stop)
        return self._GenerationConfig(**kwargs)

    def chat(self, messages, tools=None, sampling: SamplingParams | None = None, *,
             prompt_token_ids=None) -> Completion:
        sampling = sampling or SamplingParams()
        tools = tools_to_openai(tools)
        prompt = (list(prompt_token_ids) if prompt_token_ids is not None
                  else self.codec.encode(messages, tools))
        ids, logprobs = self.generate_ids(prompt, sampling)
        return self.complete(prompt, ids, logprobs, sampling)

    async def achat(self, messages, tools=None, sampling=None, *, prompt_token_ids=None):
        return await asyncio.to_thread(self.chat, messages, tools, sampling,
                                       prompt_token_ids=prompt_token_ids)

    def generate_ids(self, prompt: list[int], sampling: SamplingParams):
        """Sample after `prompt`; return the sampled ids and their logprobs."""
        torch = self.torch
        config = self.generation_config(sampling)
        inputs = torch.tensor([prompt], device=self.device)
        extra = {"tokenizer": self.tokenizer} if sampling.stop else {}
        with self._lock, torch.inference_mode():
            if sampling.seed is not None:
                torch.manual_seed(sampling.seed)
            out = self.model.generate(inputs, attention_mask=torch.ones_like(inputs),
                                      generation_config=config, **extra)
        new = out.sequences[0, len(prompt):]
        logits = torch.stack(out.logits, 0)[:, 0, :].float()
        if sampling.temperature > 0:
            logits = logits / sampling.temperature
        logprobs = torch.log_softmax(logits, -1).gather(-1, new[:, None]).squeeze(-1)
        return new.tolist(), logprobs.tolist()

    def complete(self, prompt: list[int], ids: list[int], logprobs: list[float],
                 sampling: SamplingParams) -> Completion:
        return completion_from_ids(self.codec, self.eos_ids, prompt, ids, logprobs, sampling,
                                   self.spec)


def tokenizer_codec(tokenizer, eos_ids: list[int]) -> ChatCodec:
    """A ChatCodec over a transformers tokenizer and its chat template."""

    def render(messages, tools, add_generation_prompt) -> list[int]:
        text = tokenizer.apply_chat_template(
            messages, tools=tools, add_generation_prompt=add_generation_prompt, tokenize=False)
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(ids: list[int]) -> str:
        return tokenizer.decode(ids, skip_special_tokens=True)

    return ChatCodec(render, eos_ids, decode)


def completion_from_ids(codec: ChatCodec, eos_ids, prompt: list[int], ids: list[int],
                        logprobs: list[float], sampling: SamplingParams,
                        model: str) -> Completion:
    """Decode sampled ids into text and tool calls; the ids stay as sampled."""
    text, finish = codec.decode(ids), "length"
    if ids and ids[-1] in eos_ids:
        finish = "stop"
    for stop in sampling.stop:  # the ids keep the stop string; the text does not
        if stop in text:
            text, finish = text[:text.index(stop)], "stop"
    text, calls = parse_tool_calls(text)
    if calls:
        finish = "tool_calls"
    return Completion(text=text, tool_calls=calls, prompt_token_ids=prompt, token_ids=ids,
                      logprobs=logprobs, finish_reason=finish,
                      usage=Usage(len(prompt), len(ids)), model=model)
