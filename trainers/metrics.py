"""Where a run's metrics go: `metrics.jsonl` always, TensorBoard and W&B when available.

One JSON object a line, `{"step": N, "time": ..., "reward/mean": ...}`, appended
and flushed per step, so a killed run keeps every finished step; on resume the
lines after the checkpoint's step are dropped (the resumed run writes them again).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from gym_agents.episode import json_safe

METRICS_FILE = "metrics.jsonl"


def truncate_jsonl(path: Path, keep) -> None:
    """Keep the lines whose parsed object satisfies `keep` (and drop unreadable ones)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if keep(json.loads(line)):
                kept.append(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(line + "\n" for line in kept))
    tmp.replace(path)


class MetricsLogger:
    def __init__(self, out: Path, config: dict[str, Any], *, tensorboard: bool, wandb: bool,
                 resume_step: int | None) -> None:
        self.path = out / METRICS_FILE
        if resume_step is not None:
            truncate_jsonl(self.path, lambda m: m.get("step", 0) <= resume_step)
        elif self.path.exists():
            self.path.unlink()
        self.file = self.path.open("a")
        self.tb = self._tensorboard(out) if tensorboard else None
        self.wandb = self._wandb(out, config) if wandb else None

    @staticmethod
    def _tensorboard(out: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is optional: JSONL has everything
            return None
        return SummaryWriter(str(out / "tensorboard"))

    @staticmethod
    def _wandb(out: Path, config: dict[str, Any]):
        if not (os.environ.get("WANDB_PROJECT") or os.environ.get("WANDB_API_KEY")):
            return None
        try:
            import wandb
        except ImportError:
            return None
        return wandb.init(config=config, dir=str(out), resume="allow")

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        record = json_safe({"step": step, "time": time.time(), **metrics})
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        numeric = {k: v for k, v in record.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "step"}
        if self.tb is not None:
            for key, value in numeric.items():
                self.tb.add_scalar(key, value, step)
            self.tb.flush()
        if self.wandb is not None:
            self.wandb.log(numeric, step=step)

    def close(self) -> None:
        self.file.close()
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()
