"""Grade a submission.csv against a task's hidden labels (on the host, never in a sandbox).

`grade(task, csv_bytes)` checks the file's header, ids and values and says
exactly what is wrong (reward 0), or computes the metric, the normalized
score (0 at the sample submission, 1 at the gold threshold) and the medal.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np

from gym_agents.environments.mle import metrics
from gym_agents.environments.mle.suite import Task

SHOWN = 5  # ids quoted in a message at most


class InvalidSubmission(ValueError):
    """The message says exactly what is wrong with the file."""


@dataclass
class Grade:
    valid: bool
    error: str = ""
    metric: str = ""
    score: float | None = None
    normalized: float = 0.0
    medal: str | None = None
    beats_baseline: bool = False
    thresholds: dict[str, float] = field(default_factory=dict)

    def to_info(self) -> dict:
        return {"valid": self.valid, "error": self.error, "metric": self.metric,
                "score": self.score, "normalized_score": self.normalized, "medal": self.medal,
                "beats_baseline": self.beats_baseline, "thresholds": self.thresholds}

    def summary(self) -> str:
        if not self.valid:
            return f"Invalid submission: {self.error} Reward 0."
        medal = f"a {self.medal} medal" if self.medal else "no medal"
        return (f"{self.metric} = {self.score:.5g} ({medal}; gold needs "
                f"{self.thresholds['gold']:.5g}, bronze {self.thresholds['bronze']:.5g}). "
                f"Normalized score {self.normalized:.3f}.")


def grade(task: Task, data: bytes) -> Grade:
    try:
        pred = read_submission(task, data)
    except InvalidSubmission as exc:
        return Grade(False, str(exc), task.metric)
    truth = task.hidden_labels()
    value = score_arrays(task, truth, pred)
    medals = {k: task.grading[k] for k in ("gold", "silver", "bronze", "median")}
    baseline = task.grading["baseline"]
    return Grade(True, "", task.metric, value,
                 metrics.normalized_score(task.metric, value, baseline, medals["gold"]),
                 metrics.medal(task.metric, value, medals),
                 metrics.goodness(task.metric, value) > metrics.goodness(task.metric, baseline),
                 medals)


def score_arrays(task: Task, truth, pred) -> float:
    """The metric of `pred` (rows in the order of `truth`, both DataFrames) on `truth`."""
    if task.output == "proba":
        index = {c: i for i, c in enumerate(task.classes)}
        labels = np.array([index[str(v)] for v in truth[task.targets[0]]])
        return metrics.METRICS[task.metric](labels, pred[task.classes].to_numpy(float))
    if task.output == "labels":
        return metrics.METRICS[task.metric](truth[task.targets].to_numpy(int),
                                            pred[task.targets].to_numpy(int))
    column = task.targets[0]
    if task.output == "score":
        positive = (truth[column].astype(str) == task.positive).to_numpy()
        return metrics.METRICS[task.metric](positive, pred[column].to_numpy(float))
    return metrics.METRICS[task.metric](truth[column].to_numpy(), pred[column].to_numpy())


def read_submission(task: Task, data: bytes):
    """The submission as a DataFrame in the test set's id order, or `InvalidSubmission`."""
    import pandas as pd

    if not data.strip():
        raise InvalidSubmission("submission.csv is empty.")
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises several parser errors
        raise InvalidSubmission(f"submission.csv is not a readable CSV file: {exc}") from exc
    _check_header(task, list(frame.columns))
    frame = frame.set_index("id")
    _check_ids(task, frame)
    frame = frame.loc[task.test_ids]
    for column in task.output_columns:
        frame[column] = _check_values(task, column, frame[column])
    if task.output == "proba":
        sums = frame[task.classes].sum(axis=1)
        if (sums <= 0).any():
            raise InvalidSubmission(f"probabilities of id {sums[sums <= 0].index[0]} sum to 0.")
    return frame.reset_index()


def _check_header(task: Task, header: list[str]) -> None:
    expected = ["id", *task.output_columns]
    if header == expected:
        return
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {missing}")
    if extra:
        problems.append(f"unexpected column(s) {extra}")
    if duplicated:
        problems.append(f"duplicated column(s) {duplicated}")
    if not problems:
        problems.append(f"columns in the wrong order {header}")
    raise InvalidSubmission(f"the header must be {','.join(expected)}: {'; '.join(problems)}.")


def _check_ids(task: Task, frame) -> None:
    ids = list(frame.index)
    expected = set(task.test_ids)
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise InvalidSubmission(f"{len(duplicated)} id(s) appear more than once: "
                                f"{duplicated[:SHOWN]}.")
    missing = [i for i in task.test_ids if i not in set(ids)]
    extra = [i for i in ids if i not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} test id(s) missing (e.g. {missing[:SHOWN]})")
        if extra:
            parts.append(f"{len(extra)} id(s) not in test.csv (e.g. {extra[:SHOWN]})")
        raise InvalidSubmission(f"expected one row per id of test.csv ({len(expected)} rows), "
                                f"got {len(ids)}: {'; '.join(parts)}.")


def _check_values(task: Task, column: str, values):
    blank = values[values.str.strip().isin(["", "nan", "NaN", "NA", "null", "None"])]
    if len(blank):
        raise InvalidSubmission(f"column {column!r} has {len(blank)} missing or NaN value(s) "
                                f"(first at id {blank.index[0]}).")
    if task.output == "label":
        unknown = values[~values.isin(task.classes)]
        if len(unknown):
            raise InvalidSubmission(f"column {column!r} must hold one of {task.classes}; id "
                                    f"{unknown.index[0]} has {unknown.iloc[0]!r}.")
        return values
    numbers = _numbers(column, values)
    if task.output == "labels" and not numbers.isin([0.0, 1.0]).all():
        bad = numbers[~numbers.isin([0.0, 1.0])]
        raise InvalidSubmission(f"column {column!r} must be 0 or 1; id {bad.index[0]} has "
                                f"{values[bad.index[0]]!r}.")
    if task.output == "proba" and not numbers.between(0.0, 1.0).all():
        bad = numbers[~numbers.between(0.0, 1.0)]
        raise InvalidSubmission(f"column {column!r} holds probabilities, from 0 to 1; id "
                                f"{bad.index[0]} has {values[bad.index[0]]!r}.")
    return numbers


def _numbers(column: str, values):
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers[numbers.isna() | ~numbers.map(lambda v: math.isfinite(v) if v == v else False)]
    if len(bad):
        raise InvalidSubmission(f"column {column!r} must hold finite numbers; id "
                                f"{bad.index[0]} has {values[bad.index[0]]!r}.")
    return numbers.astype(float)
