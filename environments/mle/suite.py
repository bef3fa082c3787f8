"""MLE task folders (Harbor-style) and suites of them.

    tasks/mle/<suite>/<task>/
      instruction.md        the problem, the files, the submission format, the metric
      task.toml             kind, metric, output columns, medal thresholds, leaderboard
      environment/          train.csv, test.csv (no labels), sample_submission.csv: uploaded
      tests/labels.csv      the hidden labels: read on the host by the grader, never uploaded
      tests/grade.py        grade a submission.csv by hand: python tests/grade.py FILE
      solution/solve.py     the reference solution (the oracle)
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from gym_agents.errors import ConfigError

TASKS_ROOT = Path(__file__).resolve().parents[2] / "tasks" / "mle"
IMAGE = "mle"


@dataclass(frozen=True)
class Task:
    folder: Path

    @cached_property
    def config(self) -> dict:
        return tomllib.loads((self.folder / "task.toml").read_text())

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def meta(self) -> dict:
        return self.config["metadata"]

    @property
    def metric(self) -> str:
        return self.meta["metric"]

    @property
    def output(self) -> str:
        return self.meta["output"]

    @property
    def targets(self) -> list[str]:
        return list(self.meta["targets"])

    @property
    def classes(self) -> list[str]:
        return list(self.meta.get("classes", []))

    @property
    def positive(self) -> str:
        return self.meta.get("positive", "")

    @property
    def grading(self) -> dict:
        return self.config["grading"]

    @property
    def output_columns(self) -> list[str]:
        return self.classes if self.output == "proba" else self.targets

    @property
    def environment_dir(self) -> Path:
        return self.folder / "environment"

    @property
    def instruction(self) -> str:
        return (self.folder / "instruction.md").read_text()

    @property
    def solution(self) -> str:
        return (self.folder / "solution" / "solve.py").read_text()

    @cached_property
    def test_ids(self) -> list[str]:
        with (self.environment_dir / "test.csv").open(newline="") as f:
            return [row["id"] for row in csv.DictReader(f)]

    def hidden_labels(self):
        """The test labels as a DataFrame in test.csv's id order (ids as strings)."""
        import pandas as pd

        labels = pd.read_csv(self.folder / "tests" / "labels.csv", dtype={"id": str})
        return labels.set_index("id").loc[self.test_ids].reset_index()


def suite_dir(suite: str | Path) -> Path:
    """A suite folder from a path or the name of a shipped suite."""
    path = Path(suite)
    if path.is_dir():
        return path
    shipped = TASKS_ROOT / str(suite)
    if shipped.is_dir():
        return shipped
    names = sorted(p.parent.parent.name for p in TASKS_ROOT.glob("*/*/task.toml"))
    raise ConfigError(f"no MLE suite {suite!r}: give a folder or one of {sorted(set(names))} "
                      "(make one with `gym-agents mle build`)")


def load_suite(suite: str | Path) -> list[Task]:
    folder = suite_dir(suite)
    tasks = [Task(p.parent) for p in sorted(folder.glob("*/task.toml"))]
    if not tasks:
        raise ConfigError(f"{folder} holds no task folders (each has a task.toml)")
    return tasks


def ensure_image(log=print) -> str:
    """Build gym-agents/mle (and what it is built FROM) unless it exists; return its tag."""
    from gym_agents.sandboxes import images

    return images.build(IMAGE, log=log)
