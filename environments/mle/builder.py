"""`gym-agents mle build`: make task folders from the catalogue, with leaderboards and medals.

For each task: load the dataset, draw the micro train split and the hidden
test split with the task's seed, write the Harbor-style folder, run every
reference solution of the pool on it, rank them into a leaderboard, derive
the medal thresholds, and keep the task only if the leaderboard is spread
enough for medals to mean something (not saturated).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gym_agents.environments.mle import metrics, references
from gym_agents.environments.mle.catalogue import CATALOGUE, TaskSpec
from gym_agents.environments.mle.grading import grade
from gym_agents.environments.mle.suite import Task

# A leaderboard is saturated when gold is within this share of the (gold - sample) span of
# the median: most references then get a medal whatever they do.
MIN_SPREAD = 0.05
GRADER = '''\
"""Grade a submission for this task on its hidden labels: python tests/grade.py FILE.csv"""
import json
import sys
from pathlib import Path

from gym_agents.environments.mle.grading import grade
from gym_agents.environments.mle.suite import Task

task = Task(Path(__file__).resolve().parents[1])
print(json.dumps(grade(task, Path(sys.argv[1]).read_bytes()).to_info(), indent=2))
'''


@dataclass
class Built:
    name: str
    kept: bool
    why: str
    leaderboard: list[tuple[str, float]]
    medals: dict[str, float]


def split(spec: TaskSpec, seed: int = 0, *, full: bool = False):
    """(train, test without labels, hidden labels); `full` trains on every non-test row."""
    frame = spec.loader().reset_index(drop=True)
    rng = np.random.default_rng(seed + zlib.crc32(spec.name.encode()))
    if spec.split == "temporal":
        test_rows = np.arange(len(frame) - spec.n_test, len(frame))
        before = np.arange(0, len(frame) - spec.n_test)
        train_rows = before if full else before[-spec.n_train:]
    else:
        order = rng.permutation(len(frame))
        test_rows = order[:spec.n_test]
        train_rows = order[spec.n_test:] if full else order[spec.n_test:spec.n_test + spec.n_train]
        train_rows = rng.permutation(train_rows)
    train = frame.iloc[train_rows].reset_index(drop=True)
    test = frame.iloc[test_rows].reset_index(drop=True)
    train.insert(0, "id", np.arange(len(train)))
    test.insert(0, "id", np.arange(len(train), len(train) + len(test)))
    labels = test[["id", *spec.targets]]
    return train, test.drop(columns=spec.targets), labels


def classes_of(spec: TaskSpec, train, labels) -> list[str]:
    if spec.kind in ("regression", "multilabel"):
        return []
    seen = {str(v) for v in train[spec.targets[0]]} | {str(v) for v in labels[spec.targets[0]]}
    return sorted(seen)


def sample_submission(spec: TaskSpec, train, test, classes: list[str]):
    """The constant baseline: majority class, class priors, or the training mean."""
    import pandas as pd

    sub = pd.DataFrame({"id": test["id"]})
    target = train[spec.targets[0]]
    if spec.output == "label":
        sub[spec.targets[0]] = target.astype(str).mode().iloc[0]
    elif spec.output == "score":
        sub[spec.targets[0]] = round(float((target.astype(str) == spec.positive).mean()), 6)
    elif spec.output == "proba":
        priors = target.astype(str).value_counts(normalize=True)
        for c in classes:
            sub[c] = round(float(priors.get(c, 0.0)), 6)
    elif spec.output == "labels":
        for column in spec.targets:
            sub[column] = int(train[column].mean() >= 0.5)
    else:
        sub[spec.targets[0]] = round(float(target.mean()), 6)
    return sub


def build_task(spec: TaskSpec, out: Path, *, seed: int = 0, keep_saturated: bool = False,
               ) -> Built:
    folder = out / spec.name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "environment").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "solution").mkdir()
    train, test, labels = split(spec, seed)
    classes = classes_of(spec, train, labels)
    missing = [c for c in classes if c not in {str(v) for v in train[spec.targets[0]]}]
    if missing:
        shutil.rmtree(folder)
        return Built(spec.name, False, f"classes {missing} are not in the train split", [], {})
    train.to_csv(folder / "environment" / "train.csv", index=False)
    test.to_csv(folder / "environment" / "test.csv", index=False)
    sample = sample_submission(spec, train, test, classes)
    sample.to_csv(folder / "environment" / "sample_submission.csv", index=False)
    labels.to_csv(folder / "tests" / "labels.csv", index=False)
    (folder / "tests" / "grade.py").write_text(GRADER)
    meta = {"name": spec.name, "title": spec.title, "source": spec.source, "kind": spec.kind,
            "metric": spec.metric, "greater_is_better": metrics.GREATER_IS_BETTER[spec.metric],
            "output": spec.output, "targets": spec.targets, "classes": classes,
            "positive": spec.positive, "split": spec.split, "seed": seed,
            "n_train": len(train), "n_test": len(test)}
    # Grade the sample submission first: its score is the normalization's zero.
    (folder / "task.toml").write_text(_toml({"metadata": meta, "grading": {
        "baseline": 0.0, "gold": 0.0, "silver": 0.0, "bronze": 0.0, "median": 0.0}}))
    task = Task(folder)
    baseline = grade(task, (folder / "environment" / "sample_submission.csv").read_bytes())
    features = [c for c in test.columns if c != "id"]
    board: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="gym-agents-mle-") as tmp:
        for reference in references.pool(spec):
            work = Path(tmp) / reference.label
            shutil.copytree(folder / "environment", work)
            source = references.script(spec, reference, features)
            submission = references.run_here(source, work)
            result = grade(task, submission.read_bytes())
            if not result.valid:
                raise RuntimeError(f"{spec.name}: reference {reference.label} wrote an invalid "
                                   f"submission: {result.error}")
            board.append((reference.label, result.score, source))
    board.sort(key=lambda entry: metrics.goodness(spec.metric, entry[1]), reverse=True)
    medals = metrics.thresholds(spec.metric, [score for _, score, _ in board])
    grading = {"baseline": baseline.score, **medals}
    span = metrics.goodness(spec.metric, medals["gold"]) - metrics.goodness(
        spec.metric, baseline.score)
    spread = (metrics.goodness(spec.metric, medals["gold"])
              - metrics.goodness(spec.metric, medals["median"])) / span if span > 0 else 0.0
    why = ""
    if metrics.goodness(spec.metric, medals["bronze"]) <= metrics.goodness(
            spec.metric, baseline.score):
        why = "the sample submission would get a medal: too few references beat it"
    elif spread < MIN_SPREAD:
        why = (f"saturated: the median reference is within {spread:.1%} of gold "
               f"(of the span from the sample submission), below {MIN_SPREAD:.0%}")
    best_label, best_score, best_source = board[0]
    (folder / "solution" / "solve.py").write_text(best_source)
    config = {"metadata": meta, "grading": grading,
              "solution": {"reference": best_label, "score": best_score},
              "verifier": {"timeout_sec": 60.0}, "agent": {"timeout_sec": 3600.0},
              "environment": {"image": "gym-agents/mle", "network": False, "memory": "1g"}}
    text = _toml(config) + "".join(
        f'\n[[leaderboard]]\nreference = {json.dumps(label)}\nscore = {_number(score)}\n'
        for label, score, _ in board)
    (folder / "task.toml").write_text(text)
    (folder / "instruction.md").write_text(instruction(spec, train, test, classes))
    leaderboard = [(label, score) for label, score, _ in board]
    if why and not keep_saturated:
        shutil.rmtree(folder)
        return Built(spec.name, False, why, leaderboard, grading)
    return Built(spec.name, True, "", leaderboard, grading)


def build_suite(out: Path, *, names: list[str] | None = None, seed: int = 0,
                keep_saturated: bool = False,
                on_done: Callable[[Built], None] = lambda b: None) -> list[Built]:
    specs = [s for s in CATALOGUE if not names or s.name in names]
    out.mkdir(parents=True, exist_ok=True)
    built = []
    for spec in specs:
        result = build_task(spec, out, seed=seed, keep_saturated=keep_saturated)
        on_done(result)
        built.append(result)
    return built


METRIC_TEXT = {
    "accuracy": "accuracy (share of rows with the right class; higher is better)",
    "macro_f1": "macro-averaged F1 over the classes (higher is better)",
    "roc_auc": "ROC-AUC of your scores (higher is better)",
    "log_loss": "multiclass log-loss of your probabilities (lower is better)",
    "rmse": "root mean squared error (lower is better)",
    "mae": "mean absolute error (lower is better)",
    "r2": "coefficient of determination R² (higher is better)",
}


def instruction(spec: TaskSpec, train, test, classes: list[str]) -> str:
    features = [c for c in test.columns if c != "id"]
    if spec.output == "label":
        answer = f"`{spec.targets[0]}`: the predicted class, one of {', '.join(classes)}"
    elif spec.output == "score":
        answer = (f"`{spec.targets[0]}`: a score for `{spec.positive}` (e.g. its probability; "
                  "only the ranking matters)")
    elif spec.output == "proba":
        answer = (f"one column per class ({', '.join(classes)}): the probability of each; "
                  "rows are renormalized to sum to 1")
    elif spec.output == "labels":
        answer = f"one 0/1 column per tag ({', '.join(spec.targets)})"
    else:
        answer = f"`{spec.targets[0]}`: the predicted number"
    header = ",".join(["id", *(classes if spec.output == "proba" else spec.targets)])
    return f"""# {spec.title}

{spec.description}

Data: {spec.source}, a micro sample ({len(train)} training rows, {len(test)} test rows).

## Files (in /work)
- `train.csv`: `id`, the features and the target column(s) {', '.join(f'`{t}`' for t in
    spec.targets)}.
- `test.csv`: `id` and the features, without the target.
- `sample_submission.csv`: a valid submission with a constant prediction.

Features: {', '.join(f'`{c}`' for c in features)}.

## Submission
Write `/work/submission.csv` with the header `{header}` and one row per id of `test.csv`: {answer}.
Then call `submit`.

## Metric
{METRIC_TEXT[spec.metric]}, on hidden test labels. Medals (gold, silver, bronze) come from a
leaderboard of reference solutions.
"""


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot store {value} in task.toml")
    return repr(float(value))


def _toml(tables: dict[str, dict]) -> str:
    """TOML for flat tables of strings, numbers, booleans and lists of strings."""
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int):
                text = str(value)
            elif isinstance(value, float):
                text = _number(value)
            else:  # JSON strings and lists of strings are valid TOML
                text = json.dumps(value)
            lines.append(f"{key} = {text}")
        lines.append("")
    return "\n".join(lines)
