"""The trained model: loading (full or LoRA), a value head, and scoring rows.

`Policy.score(rows)` runs one forward over right-padded rows and returns, per
token position, the logprob the policy gives the token there (under logits /
temperature, as the engine sampled), the entropy of that distribution, and
with a value head the value read at every position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, require
from gym_agents.trainers.records import Row


def load_model(path: str, dtype: str, device: str):
    """(model, tokenizer) through `from_pretrained`: local folders and hub ids alike."""
    torch = require("torch", "train", "training")
    transformers = require("transformers", "train", "training")
    transformers.utils.logging.disable_progress_bar()
    if "/" not in path.strip("./") and not Path(path).exists():
        raise ConfigError(f"model.path: no model at {path!r} (a save_pretrained folder or "
                          "a hub id; build a tiny one with `gym-agents model make-tiny DIR`)")
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    if not tokenizer.chat_template:
        raise ConfigError(f"model.path: the tokenizer at {path} has no chat template")
    model = transformers.AutoModelForCausalLM.from_pretrained(
        path, dtype=getattr(torch, dtype)).to(device)
    return model, tokenizer


def resolve_device(device: str) -> str:
    torch = require("torch", "train", "training")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"model.device: {device} asked for but no CUDA GPU is visible")
    return device


def add_lora(model, r: int, alpha: int, dropout: float, target_modules: str):
    peft = require("peft", "train", "LoRA training")
    targets: Any = target_modules if target_modules == "all-linear" \
        else [m.strip() for m in target_modules.split(",")]
    config = peft.LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                             target_modules=targets, task_type="CAUSAL_LM")
    return peft.get_peft_model(model, config)


class ValueHead:
    """A linear head on the final hidden state (built lazily: torch is imported late)."""

    @staticmethod
    def build(hidden_size: int, device, dtype):
        torch = require("torch", "train", "training")
        head = torch.nn.Linear(hidden_size, 1).to(device=device, dtype=dtype)
        torch.nn.init.zeros_(head.weight)
        torch.nn.init.zeros_(head.bias)
        return head


class Policy:
    def __init__(self, model, tokenizer, value_head=None, *, detach_value_features=False,
                 temperature: float = 1.0) -> None:
        self.torch = require("torch", "train", "training")
        self.model, self.tokenizer, self.value_head = model, tokenizer, value_head
        self.detach_value_features = detach_value_features
        self.temperature = temperature
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @property
    def device(self):
        return next(self.model.parameters()).device

    def batch(self, rows: list[Row]):
        """Right-padded tensors: ids, attention, loss mask, advantages, rollout logprobs."""
        torch = self.torch
        width = max(len(r) for r in rows)

        def pad(values, fill, dtype):
            out = torch.full((len(rows), width), fill, dtype=dtype)
            for i, v in enumerate(values):
                out[i, :len(v)] = torch.tensor(v, dtype=dtype)
            return out.to(self.device)

        return {"ids": pad([r.token_ids for r in rows], self.pad_id, torch.long),
                "attention": pad([[1] * len(r) for r in rows], 0, torch.long),
                "mask": pad([r.loss_mask for r in rows], 0, torch.float32),
                "advantages": pad([r.advantages or [0.0] * len(r) for r in rows], 0.0,
                                  torch.float32),
                "rollout_logprobs": pad([r.rollout_logprobs for r in rows], 0.0, torch.float32)}

    def score(self, batch: dict, *, with_entropy: bool = True, with_values: bool = False,
              model=None) -> dict:
        """Logprob (and entropy) of each action token given the tokens before it.

        Returned tensors are [rows, width], aligned with `batch["ids"]`, and hold
        0 off the action tokens: the output head and softmax run only where the
        loss mask is 1 (a few tokens a turn), not over whole prompts. With a
        value head, `values` holds V at every position.
        """
        torch = self.torch
        causal_lm = _unwrap(model or self.model)
        hidden = causal_lm.get_decoder()(input_ids=batch["ids"],
                                         attention_mask=batch["attention"],
                                         use_cache=False).last_hidden_state
        rows, cols = batch["mask"][:, 1:].nonzero(as_tuple=True)  # predicts token cols + 1
        head = causal_lm.get_output_embeddings()
        logits = head(hidden[rows, cols]).float() / self.temperature
        logp_all = torch.log_softmax(logits, -1)
        targets = batch["ids"][rows, cols + 1]
        shape = batch["ids"].shape
        logprobs = torch.zeros(shape, dtype=logp_all.dtype, device=hidden.device)
        logprobs = logprobs.index_put((rows, cols + 1),
                                      logp_all.gather(-1, targets[:, None]).squeeze(-1))
        result = {"logprobs": logprobs}
        if with_entropy:
            entropy = -(logp_all.exp() * logp_all).sum(-1)
            result["entropy"] = torch.zeros(shape, dtype=entropy.dtype, device=hidden.device) \
                .index_put((rows, cols + 1), entropy)
        if with_values and self.value_head is not None:
            features = hidden.detach() if self.detach_value_features else hidden
            result["values"] = self.value_head(features.to(self.value_head.weight.dtype))[..., 0]
        return result

    def parameters(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        return params + (list(self.value_head.parameters()) if self.value_head else [])


def _unwrap(model):
    """The transformers CausalLM under a peft wrapper (its LoRA layers stay active)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model
