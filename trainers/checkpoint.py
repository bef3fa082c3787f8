"""Checkpoints: everything a run needs to continue bit-for-bit.

`checkpoints/step_000040/state.pt` holds the trainable weights (all of them,
or the LoRA adapters), the value head, the optimizer and scheduler states,
the step, and the RNG states. Task and sampling seeds derive from
(seed, step), so the step is the data position. A checkpoint is written to a
temporary folder and renamed into place: a kill mid-save leaves the previous
one intact.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, require

CHECKPOINTS = "checkpoints"


def trainable_state(model) -> dict[str, Any]:
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    state = model.state_dict()
    if len(names) == len(list(model.parameters())):
        return state
    return {k: v for k, v in state.items() if k in names or "lora_" in k}


def save_checkpoint(out: Path, step: int, *, model, value_head, optimizer, scheduler,
                    keep: int, extra: dict[str, Any] | None = None) -> Path:
    torch = require("torch", "train", "checkpoints")
    root = out / CHECKPOINTS
    final = root / f"step_{step:06d}"
    tmp = root / f".step_{step:06d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {
        "step": step,
        "model": trainable_state(model),
        "value_head": value_head.state_dict() if value_head is not None else None,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {"python": random.getstate(), "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None},
        "extra": extra or {},
    }
    torch.save(state, tmp / "state.pt")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in sorted(root.glob("step_*"))[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(out: Path) -> Path | None:
    found = sorted((out / CHECKPOINTS).glob("step_*"))
    return found[-1] if found else None


def load_checkpoint(path: Path, *, model, value_head, optimizer, scheduler) -> dict[str, Any]:
    torch = require("torch", "train", "checkpoints")
    try:
        state = torch.load(path / "state.pt", weights_only=False, map_location="cpu")
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"cannot read checkpoint {path}: {exc}") from exc
    _missing, unexpected = model.load_state_dict(state["model"], strict=False)
    if unexpected:
        raise ConfigError(f"checkpoint {path} does not match model.path: unexpected "
                          f"weights {unexpected[:3]}...")
    if value_head is not None and state["value_head"] is not None:
        value_head.load_state_dict(state["value_head"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    random.setstate(state["rng"]["python"])
    torch.set_rng_state(state["rng"]["torch"])
    if state["rng"]["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    return state
