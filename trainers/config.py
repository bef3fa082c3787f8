"""Typed training configs: dataclasses, loaded from YAML, overridden by dotted keys.

    config = load_config("configs/grpo_toy.yaml", ["trainer.lr=1e-4", "rollout.group_size=4"])

Every field has a default and a help string (`gym-agents train --print-config`
shows them). Values are checked against their field's type and choices, and
an error names the field (`trainer.lr: expected a number, got 'fast'`).
Each algorithm keeps its own section (`grpo`, `rloo`, `ppo`, `gigpo`, `sft`),
defined next to its code; `algorithm` picks which one runs.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gym_agents.errors import ConfigError, require
from gym_agents.trainers.gigpo import GiGPOConfig
from gym_agents.trainers.grpo import GRPOConfig
from gym_agents.trainers.knobs import knob
from gym_agents.trainers.ppo import PPOConfig
from gym_agents.trainers.rloo import RLOOConfig
from gym_agents.trainers.sft import SFTConfig


@dataclass
class EnvSection:
    id: str = knob("toy/Relay-v0", "registered env id to train on")
    kwargs: dict = knob({}, "keyword arguments for gym_agents.make")
    split: str | None = knob("train", "task split passed to envs that take `split` (null: none)")
    max_turns: int = knob(50, "turn limit of one episode (a safety net over the env's own)")


@dataclass
class AgentSection:
    scaffold: str = knob("direct", "LLM scaffold that turns observations into prompts "
                                   "(direct, react, tool_calling)")
    kwargs: dict = knob({}, "scaffold options (context, window, max_context_tokens, "
                            "system_prompt, max_invalid, ...)")


@dataclass
class LoRASection:
    enabled: bool = knob(False, "train LoRA adapters (peft) instead of every weight")
    r: int = knob(16, "LoRA rank")
    alpha: int = knob(32, "LoRA alpha (scale = alpha / r)")
    dropout: float = knob(0.0, "LoRA dropout")
    target_modules: str = knob("all-linear", "modules that get adapters (peft syntax)")


@dataclass
class ModelSection:
    path: str = knob("", "a folder saved with save_pretrained, or a hub id (from_pretrained)")
    dtype: str = knob("float32", "parameter dtype", ("float32", "bfloat16", "float16"))
    device: str = knob("auto", "trainer device: auto (cuda when present), cpu, cuda, cuda:N")
    lora: LoRASection = field(default_factory=LoRASection)


@dataclass
class RolloutSection:
    engine: str = knob("hf", "inference engine for rollouts", ("hf", "vllm"))
    tasks_per_step: int = knob(2, "distinct tasks (env seeds) per training step")
    group_size: int = knob(8, "rollouts per task (G): the group of GRPO/RLOO/GiGPO")
    temperature: float = knob(1.0, "sampling temperature of rollouts")
    top_p: float = knob(1.0, "nucleus sampling of rollouts")
    max_tokens: int = knob(64, "most tokens the policy samples per turn")
    max_retries: int = knob(2, "retries of an episode that ends in infra_error")
    vllm_gpu_memory_utilization: float = knob(0.4, "vllm: fraction of GPU memory it may use")
    vllm_max_model_len: int = knob(4096, "vllm: longest prompt + completion")


@dataclass
class TrainerSection:
    steps: int = knob(100, "training steps (one batch of rollouts each)")
    lr: float = knob(1e-6, "learning rate (AdamW); tiny models want ~3e-4")
    weight_decay: float = knob(0.0, "AdamW weight decay")
    betas: list = knob([0.9, 0.999], "AdamW betas")
    warmup_steps: int = knob(0, "linear learning-rate warm-up steps")
    schedule: str = knob("constant", "learning-rate schedule after warm-up",
                         ("constant", "cosine", "linear"))
    max_grad_norm: float = knob(1.0, "gradient clipping norm (0: off)")
    epochs: int = knob(1, "passes over each batch of rollouts")
    minibatches: int = knob(1, "optimizer steps per epoch (the batch split in this many)")
    micro_batch_rows: int = knob(16, "rows per forward/backward (gradient accumulation)")
    clip_low: float = knob(0.2, "PPO clip epsilon below 1 (ratio >= 1 - clip_low)")
    clip_high: float = knob(0.28, "PPO clip epsilon above 1 (clip-higher)")
    kl_coef: float = knob(0.0, "k3 KL penalty to the initial policy (0: off, no reference)")
    tis_cap: float = knob(2.0, "truncated importance sampling cap C (0: off)")
    zero_advantages: bool = knob(False, "control runs: force every advantage to 0")
    seed: int = knob(0, "seed of tasks, sampling and initialisation")


@dataclass
class EvalSection:
    every: int = knob(0, "evaluate on held-out seeds every N steps (0: never)")
    episodes: int = knob(16, "held-out episodes per evaluation")
    split: str | None = knob("test", "split of the held-out seeds")
    seed: int = knob(10_000, "first held-out seed")
    temperature: float = knob(0.0, "sampling temperature at evaluation (0: greedy)")


@dataclass
class CheckpointSection:
    every: int = knob(50, "save a checkpoint every N steps (and on SIGTERM, and at the end)")
    keep: int = knob(2, "checkpoints kept on disk (the newest)")


@dataclass
class LoggingSection:
    tensorboard: bool = knob(True, "write TensorBoard events when tensorboard is installed")
    wandb: bool = knob(True, "log to W&B when WANDB_PROJECT or WANDB_API_KEY is set")
    save_rollouts: bool = knob(True, "append every training episode to rollouts.jsonl")
    progress: bool = knob(True, "show a progress bar")


ALGORITHMS = ("grpo", "rloo", "ppo", "gigpo", "sft")


@dataclass
class TrainConfig:
    algorithm: str = knob("grpo", "which algorithm runs", ALGORITHMS)
    env: EnvSection = field(default_factory=EnvSection)
    agent: AgentSection = field(default_factory=AgentSection)
    model: ModelSection = field(default_factory=ModelSection)
    rollout: RolloutSection = field(default_factory=RolloutSection)
    trainer: TrainerSection = field(default_factory=TrainerSection)
    eval: EvalSection = field(default_factory=EvalSection)
    checkpoint: CheckpointSection = field(default_factory=CheckpointSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    grpo: GRPOConfig = field(default_factory=GRPOConfig)
    rloo: RLOOConfig = field(default_factory=RLOOConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    gigpo: GiGPOConfig = field(default_factory=GiGPOConfig)
    sft: SFTConfig = field(default_factory=SFTConfig)

    def validate(self) -> None:
        positive = {"rollout.tasks_per_step": self.rollout.tasks_per_step,
                    "rollout.group_size": self.rollout.group_size,
                    "rollout.max_tokens": self.rollout.max_tokens,
                    "trainer.steps": self.trainer.steps, "trainer.epochs": self.trainer.epochs,
                    "trainer.minibatches": self.trainer.minibatches,
                    "trainer.micro_batch_rows": self.trainer.micro_batch_rows,
                    "env.max_turns": self.env.max_turns}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name}: must be >= 1, got {value}")
        if not self.model.path:
            raise ConfigError("model.path: required (a save_pretrained folder or hub id; "
                              "build a tiny one with `gym-agents model make-tiny DIR`)")
        if self.trainer.lr <= 0:
            raise ConfigError(f"trainer.lr: must be > 0, got {self.trainer.lr}")
        if self.rollout.temperature <= 0:
            raise ConfigError("rollout.temperature: must be > 0 for RL (logprobs of greedy "
                              f"decoding are not a policy), got {self.rollout.temperature}")
        if self.algorithm in ("grpo", "rloo", "gigpo") and self.rollout.group_size < 2:
            raise ConfigError(f"rollout.group_size: {self.algorithm} compares rollouts of a "
                              f"task, so it needs >= 2, got {self.rollout.group_size}")
        if self.algorithm == "sft" and not self.sft.data:
            raise ConfigError("sft.data: required for algorithm sft (episodes.jsonl files)")


# -- loading, overriding, validating ------------------------------------------------------


def load_config(path: str | Path | None = None, overrides: list[str] | tuple = ()) -> TrainConfig:
    """YAML file (optional) + `a.b=value` overrides -> a validated TrainConfig."""
    data: dict[str, Any] = {}
    if path is not None:
        yaml = require("yaml", "train", "reading training configs")
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"no config file at {path}")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections")
    for item in overrides:
        key, value = parse_override(item)
        set_dotted(data, key, value)
    config = build(TrainConfig, data, "")
    config.validate()
    return config


def parse_override(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"bad override {item!r}: write section.field=value, "
                          "e.g. trainer.lr=1e-4")
    yaml = require("yaml", "train", "reading training configs")
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def set_dotted(data: dict, key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = data
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{key}: {part} is a value, not a section")
        node = child
    node[last] = value


def build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {prefix}{near[0]}?)" if near else ""
            raise ConfigError(f"{prefix}{key}: unknown field{hint}; "
                              f"known: {', '.join(known)}")
    kwargs = {}
    for name, f in known.items():
        if name not in data:
            continue
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            kwargs[name] = build(kind, data[name] or {}, f"{prefix}{name}.")
        else:
            kwargs[name] = check_value(f"{prefix}{name}", data[name], kind,
                                       f.metadata.get("choices"))
    return cls(**kwargs)


def check_value(name: str, value: Any, kind: Any, choices: tuple | None) -> Any:
    allowed = typing.get_args(kind) if typing.get_origin(kind) in (typing.Union,
                                                                   types.UnionType) else (kind,)
    if value is None:
        if type(None) in allowed:
            return None
        raise ConfigError(f"{name}: may not be null")
    for option in allowed:
        if option is type(None):
            continue
        if typing.get_origin(option) is Literal:
            continue
        converted = _convert(value, option)
        if converted is not _NO:
            if choices and converted not in choices:
                raise ConfigError(f"{name}: {converted!r} is not one of {', '.join(choices)}")
            return converted
    expected = " or ".join(getattr(a, "__name__", str(a)) for a in allowed)
    raise ConfigError(f"{name}: expected {expected}, got {value!r}")


_NO = object()


def _convert(value: Any, kind: Any) -> Any:
    if kind is bool:
        return value if isinstance(value, bool) else _NO
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _NO
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML reads "1e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                return _NO
        return _NO
    if kind is str:
        return value if isinstance(value, str) else _NO
    if kind is dict:
        return dict(value) if isinstance(value, dict) else _NO
    if kind is list:
        return list(value) if isinstance(value, (list, tuple)) else _NO
    return value


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def describe(config: Any = None, prefix: str = "") -> list[tuple[str, Any, str]]:
    """(dotted name, value, help) of every knob, for --print-config."""
    config = config if config is not None else TrainConfig()
    rows = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            rows.extend(describe(value, f"{prefix}{f.name}."))
        else:
            help_text = f.metadata.get("help", "")
            if f.metadata.get("choices"):
                help_text += f" [{'|'.join(map(str, f.metadata['choices']))}]"
            rows.append((f"{prefix}{f.name}", value, help_text))
    return rows
