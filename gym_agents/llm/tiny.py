"""Tiny random-init chat models, built locally: nothing is ever downloaded.

`make_tiny(dir)` trains a byte-level BPE tokenizer with `tokenizers` on text
that is already on this machine (this package's own sources and docs, and
TextWorld's grammar files when installed), gives it the project's ChatML
template with tool support, builds a random-init Qwen2 decoder of a few
million parameters, and saves both with `save_pretrained`. They load through
the same `from_pretrained` path as hub models (`hf:DIR`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from gym_agents.errors import ConfigError, require
from gym_agents.llm.codec import CHATML_TEMPLATE, ENDOFTEXT, IM_END, SPECIAL_TOKENS


@dataclass(frozen=True)
class TinySize:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int


SIZES = {
    # ~0.45M parameters, a byte-level vocabulary with few merges: for learning tests,
    # where an untrained long tail of tokens would soak up the sampling mass.
    "micro": TinySize(320, 128, 384, 2, 4, 2),
    # ~0.9M parameters: for tests.
    "tiny": TinySize(4096, 128, 384, 2, 4, 2),
    # ~5M parameters: for benchmarks and demos.
    "small": TinySize(8192, 256, 768, 4, 8, 4),
}

CORPUS_BYTES = 1_500_000
# Text the chat format and scaffolds rely on, so it tokenizes compactly.
SEED_TEXT = [
    "Thought: I should look around first.\nAction: look",
    'Action: guess {"number": 50}',
    '<tool_call>\n{"name": "command", "arguments": {"command": "go north"}}\n</tool_call>',
    "Observation: You are in a kitchen. Valid actions: open fridge, go east, take apple",
]


def corpus(limit: int = CORPUS_BYTES) -> list[str]:
    """Local text to train the tokenizer on, in a fixed order."""
    roots = [Path(__file__).resolve().parents[1]]  # the gym_agents package
    try:
        import importlib.util

        tw = importlib.util.find_spec("textworld")
        if tw is not None and tw.origin:
            roots.append(Path(tw.origin).parent / "generator" / "data")
    except (ImportError, ValueError):
        pass
    texts, size = list(SEED_TEXT), 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".md", ".twg", ".txt") or "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="ignore")
            texts.append(text)
            size += len(text)
            if size >= limit:
                return texts
    return texts


def make_tiny(out: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Build a tiny model and tokenizer into `out`; return the folder."""
    if size not in SIZES:
        raise ConfigError(f"unknown tiny model size {size!r}; choose one of: {', '.join(SIZES)}")
    torch = require("torch", "train", "building a tiny model")
    transformers = require("transformers", "train", "building a tiny model")
    tokenizers = require("tokenizers", "train", "building a tiny model")
    transformers.utils.logging.disable_progress_bar()
    dims = SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    tokenizer = _train_tokenizer(tokenizers, transformers, dims.vocab_size)
    ids = {tok: tokenizer.convert_tokens_to_ids(tok) for tok in SPECIAL_TOKENS}
    config = transformers.Qwen2Config(
        **{k: v for k, v in asdict(dims).items() if k != "vocab_size"},
        vocab_size=len(tokenizer), max_position_embeddings=8192, tie_word_embeddings=True,
        bos_token_id=ids[ENDOFTEXT], eos_token_id=ids[IM_END], pad_token_id=ids[ENDOFTEXT])
    torch.manual_seed(seed)
    model = transformers.Qwen2ForCausalLM(config)
    model.generation_config = transformers.GenerationConfig(
        eos_token_id=ids[IM_END], pad_token_id=ids[ENDOFTEXT], bos_token_id=ids[ENDOFTEXT])
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    (out / "gym_agents_tiny.json").write_text(json.dumps(
        {"size": size, "seed": seed, "parameters": params, **asdict(dims)}, indent=2))
    return out


def _train_tokenizer(tokenizers, transformers, vocab_size: int):
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus(), trainer)
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=IM_END, pad_token=ENDOFTEXT, bos_token=None,
        unk_token=None, chat_template=CHATML_TEMPLATE, model_max_length=8192,
        clean_up_tokenization_spaces=False)
