"""The vllm rollout engine on a GPU: token-id prompts, sampled logprobs, weight sync."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (vLLM)"),
]


def test_weight_sync_changes_the_engine_logprobs(tiny_model_dir):
    pytest.importorskip("vllm", reason="vllm is not installed (pip install 'gym-agents[vllm]')")
    transformers = pytest.importorskip("transformers")
    from gym_agents.llm.base import SamplingParams
    from gym_agents.trainers.engines.vllm import VLLMEngine

    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir).cuda()
    engine = VLLMEngine(str(tiny_model_dir), tokenizer, dtype="float32",
                        gpu_memory_utilization=0.2, max_model_len=1024)
    prompt = engine.codec.encode([{"role": "user", "content": "Symbol: red"}])
    greedy = SamplingParams(temperature=0, max_tokens=8, seed=0)
    before = engine.generate_batch([prompt], [greedy])[0]
    assert len(before[0]) == len(before[1]) > 0
    with torch.no_grad():  # an "update": move every weight
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    engine.sync_weights(model)
    after = engine.generate_batch([prompt], [greedy])[0]
    assert engine.weight_version == 1
    assert after[1][0] != pytest.approx(before[1][0], abs=1e-4)
