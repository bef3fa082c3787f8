"""`vllm` rollout engine: vLLM's offline engine on a GPU, weights synced after each update.

Prompts go in as token ids (`TokensPrompt`), so vLLM sees exactly the ids the
scaffold built; each request asks for the logprob of its sampled tokens.
`sync_weights` streams the trainer's state dict into vLLM's model through
`load_weights` (merging LoRA adapters first), and bumps `weight_version`.
Untested on this project's CPU machines: tests marked `gpu` cover it where a
GPU is present.
"""

from __future__ import annotations

import os
from typing import Any

from gym_agents.errors import ConfigError, require
from gym_agents.llm.base import SamplingParams
from gym_agents.llm.hf import tokenizer_codec
from gym_agents.trainers.engines.base import BatchingEngine


class VLLMEngine(BatchingEngine):
    def __init__(self, path: str, tokenizer: Any, *, dtype: str = "bfloat16",
                 gpu_memory_utilization: float = 0.4, max_model_len: int = 4096,
                 seed: int = 0, spec: str = "vllm:policy") -> None:
        super().__init__()
        self.torch = require("torch", "train", "the vllm rollout engine")
        if not self.torch.cuda.is_available():
            raise ConfigError("rollout.engine=vllm needs a CUDA GPU; on a CPU use "
                              "rollout.engine=hf")
        # In-process engine core: weights are handed over as tensors, not pickled to a worker.
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        vllm = require("vllm", "vllm", "the vllm rollout engine")
        self.vllm, self.tokenizer, self.spec = vllm, tokenizer, spec
        self.llm = vllm.LLM(model=path, tokenizer=path, dtype=dtype, seed=seed,
                            gpu_memory_utilization=gpu_memory_utilization,
                            max_model_len=max_model_len, enable_prefix_caching=True)
        eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        self.eos_ids = eos
        self.codec = tokenizer_codec(tokenizer, eos)

    def generate_batch(self, prompts: list[list[int]],
                       samplings: list[SamplingParams]) -> list[tuple[list[int], list[float]]]:
        from vllm.inputs import TokensPrompt

        params = [self.vllm.SamplingParams(
            temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens,
            stop=list(s.stop) or None, seed=s.seed, logprobs=0, stop_token_ids=self.eos_ids,
            include_stop_str_in_output=True) for s in samplings]
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=p) for p in prompts],
                                    params, use_tqdm=False)
        results = []
        for out in outputs:
            sample = out.outputs[0]
            ids = list(sample.token_ids)
            logprobs = [float(step[token].logprob) for step, token in
                        zip(sample.logprobs or [], ids, strict=False)]
            results.append((ids, logprobs))
        return results

    def sync_weights(self, model: Any) -> None:
        if hasattr(model, "merge_and_unload"):  # peft: vLLM gets the merged weights
            state = _merged_state_dict(model)
        else:
            state = model.state_dict()
        weights = [(name, tensor) for name, tensor in state.items()]

        def load(vllm_model):
            vllm_model.load_weights(weights)

        if hasattr(self.llm, "apply_model"):  # vLLM >= 0.8
            self.llm.apply_model(load)
        else:  # older engines keep the model on the driver worker
            load(self.llm.llm_engine.model_executor.driver_worker.model_runner.model)
        self.llm.reset_prefix_cache()
        self.weight_version += 1


def _merged_state_dict(peft_model: Any) -> dict[str, Any]:
    """The base model's state dict with the LoRA deltas merged in (adapters left intact)."""
    peft_model.merge_adapter()
    try:
        base = peft_model.get_base_model()
        return {k.replace("base_layer.", ""): v.detach().clone()
                for k, v in base.state_dict().items() if "lora_" not in k}
    finally:
        peft_model.unmerge_adapter()
