"""Metrics on hidden labels, the normalized score, and medals from a task's leaderboard.

Plain numpy, so grading needs no scikit-learn. Each metric takes the hidden
truth and the checked submission (arrays shaped as the task's output kind
says) and returns a float; `GREATER_IS_BETTER` says which way is good.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

EPS = 1e-15
# MLE-bench style: gold is the top 10% of the leaderboard, silver 20%, bronze 40%.
MEDAL_FRACTIONS = {"gold": 0.1, "silver": 0.2, "bronze": 0.4}


def accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(truth.astype(str) == pred.astype(str)))


def macro_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the classes in the truth; for a 2-D (multi-label) truth, over the labels."""
    if truth.ndim == 2:
        return float(np.mean([_f1(truth[:, j] == 1, pred[:, j] == 1)
                              for j in range(truth.shape[1])]))
    truth, pred = truth.astype(str), pred.astype(str)
    return float(np.mean([_f1(truth == c, pred == c) for c in np.unique(truth)]))


def _f1(truth: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum(truth & pred))
    denominator = float(np.sum(truth) + np.sum(pred))
    return 2 * tp / denominator if denominator else 1.0


def roc_auc(truth: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC-AUC via the rank-sum (Mann-Whitney) formula; ties count half."""
    positive = truth.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return 0.5
    ranks = _average_ranks(score.astype(float))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2  # 1-based average rank
            start = end
    return ranks


def log_loss(truth: np.ndarray, proba: np.ndarray) -> float:
    """Multiclass log-loss; `truth` holds column indices, rows of `proba` are renormalized."""
    proba = np.clip(proba.astype(float), EPS, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(proba[np.arange(len(truth)), truth.astype(int)])))


def rmse(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((truth.astype(float) - pred.astype(float)) ** 2)))


def mae(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.abs(truth.astype(float) - pred.astype(float))))


def r2(truth: np.ndarray, pred: np.ndarray) -> float:
    truth, pred = truth.astype(float), pred.astype(float)
    total = float(np.sum((truth - truth.mean()) ** 2))
    return 1.0 - float(np.sum((truth - pred) ** 2)) / total if total else 0.0


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": accuracy, "macro_f1": macro_f1, "roc_auc": roc_auc, "log_loss": log_loss,
    "rmse": rmse, "mae": mae, "r2": r2,
}
GREATER_IS_BETTER = {"accuracy": True, "macro_f1": True, "roc_auc": True, "log_loss": False,
                     "rmse": False, "mae": False, "r2": True}


def goodness(metric: str, value: float) -> float:
    """The value turned so that larger is always better."""
    return value if GREATER_IS_BETTER[metric] else -value


def thresholds(metric: str, scores: Sequence[float]) -> dict[str, float]:
    """Medal thresholds and the median from a leaderboard's scores (any order)."""
    ranked = sorted(scores, key=lambda s: goodness(metric, s), reverse=True)
    out = {medal: ranked[max(1, math.ceil(fraction * len(ranked))) - 1]
           for medal, fraction in MEDAL_FRACTIONS.items()}
    out["median"] = float(np.median(ranked))
    return out


def medal(metric: str, value: float, medals: dict[str, float]) -> str | None:
    for name in ("gold", "silver", "bronze"):
        if goodness(metric, value) >= goodness(metric, medals[name]):
            return name
    return None


def normalized_score(metric: str, value: float, baseline: float, gold: float) -> float:
    """0 at the sample submission's score, 1 at the gold threshold (and above), linear between."""
    span = goodness(metric, gold) - goodness(metric, baseline)
    if not math.isfinite(value) or span <= 0:
        return 0.0
    return float(min(1.0, max(0.0, (goodness(metric, value) - goodness(metric, baseline)) / span)))
