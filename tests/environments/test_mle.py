"""MLE family without a sandbox: metrics, medals, submission checks, the shipped suite, build."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from gym_agents.cli.main import main as cli_main
from gym_agents.environments.mle import metrics
from gym_agents.environments.mle.builder import build_task
from gym_agents.environments.mle.catalogue import CATALOGUE, by_name
from gym_agents.environments.mle.grading import grade
from gym_agents.environments.mle.references import run_here
from gym_agents.environments.mle.suite import load_suite

TASKS = {t.name: t for t in load_suite("micro")}


def test_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 200)
    pred = np.where(rng.uniform(size=200) < 0.7, truth, rng.integers(0, 3, 200))
    assert metrics.accuracy(truth, pred) == pytest.approx(skm.accuracy_score(truth, pred))
    assert metrics.macro_f1(truth, pred) == pytest.approx(
        skm.f1_score(truth, pred, average="macro"))
    proba = rng.dirichlet(np.ones(3), 200)
    assert metrics.log_loss(truth, proba) == pytest.approx(skm.log_loss(truth, proba))
    binary, score = truth == 1, np.round(rng.uniform(size=200), 1)  # ties on purpose
    assert metrics.roc_auc(binary, score) == pytest.approx(skm.roc_auc_score(binary, score))
    y, yhat = rng.normal(size=200), rng.normal(size=200)
    assert metrics.rmse(y, yhat) == pytest.approx(np.sqrt(skm.mean_squared_error(y, yhat)))
    assert metrics.mae(y, yhat) == pytest.approx(skm.mean_absolute_error(y, yhat))
    assert metrics.r2(y, yhat) == pytest.approx(skm.r2_score(y, yhat))
    multi_truth, multi_pred = rng.integers(0, 2, (200, 4)), rng.integers(0, 2, (200, 4))
    assert metrics.macro_f1(multi_truth, multi_pred) == pytest.approx(
        skm.f1_score(multi_truth, multi_pred, average="macro"))


def test_medals_and_normalized_score_follow_the_metric_direction():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    medals = metrics.thresholds("accuracy", scores)
    assert (medals["gold"], medals["silver"], medals["bronze"]) == (0.9, 0.8, 0.6)
    assert metrics.medal("accuracy", 0.85, medals) == "silver"
    assert metrics.medal("accuracy", 0.55, medals) is None
    errors = metrics.thresholds("rmse", [10.0, 1.0, 2.0, 3.0, 4.0])
    assert errors["gold"] == 1.0 and errors["bronze"] == 2.0
    assert metrics.normalized_score("rmse", 5.5, baseline=10.0, gold=1.0) == pytest.approx(0.5)
    assert metrics.normalized_score("rmse", 0.5, baseline=10.0, gold=1.0) == 1.0
    assert metrics.normalized_score("rmse", 20.0, baseline=10.0, gold=1.0) == 0.0
    assert metrics.normalized_score("r2", float("nan"), baseline=0.0, gold=1.0) == 0.0


def test_shipped_suite_covers_the_kinds_and_metrics():
    assert len(TASKS) >= 20
    kinds = {t.meta["kind"] for t in TASKS.values()}
    assert kinds == {"binary", "multiclass", "regression", "multilabel"}
    assert {t.metric for t in TASKS.values()} == set(metrics.METRICS)
    for task in TASKS.values():
        uploaded = sorted(p.name for p in task.environment_dir.iterdir())
        assert uploaded == ["sample_submission.csv", "test.csv", "train.csv"], task.name
        train = pd.read_csv(task.environment_dir / "train.csv")
        test = pd.read_csv(task.environment_dir / "test.csv")
        assert 50 <= len(train) <= 200, task.name
        assert not set(task.targets) & set(test.columns), task.name
        labels = task.hidden_labels()
        assert list(labels["id"]) == task.test_ids


@pytest.mark.parametrize("name", sorted(TASKS))
def test_sample_submission_is_valid_and_gets_no_medal(name):
    task = TASKS[name]
    result = grade(task, (task.environment_dir / "sample_submission.csv").read_bytes())
    assert result.valid, result.error
    assert result.medal is None and result.normalized == 0.0
    assert result.score == pytest.approx(task.grading["baseline"])


def test_perfect_predictions_score_at_least_gold():
    for task in TASKS.values():
        labels = task.hidden_labels()
        if task.output == "proba":
            for c in task.classes:
                labels[c] = (labels[task.targets[0]].astype(str) == c).astype(float)
            labels = labels.drop(columns=task.targets)
        elif task.output == "score":
            labels[task.targets[0]] = (labels[task.targets[0]].astype(str)
                                       == task.positive).astype(float)
        result = grade(task, labels.to_csv(index=False).encode())
        assert result.valid and result.medal == "gold" and result.normalized == 1.0, task.name


def _sample(task) -> pd.DataFrame:
    return pd.read_csv(task.environment_dir / "sample_submission.csv", dtype=str)


def _error(task, frame: pd.DataFrame) -> str:
    result = grade(task, frame.to_csv(index=False).encode())
    assert not result.valid and result.normalized == 0.0
    return result.error


def test_malformed_submissions_get_exact_messages():
    task = TASKS["digits-recognition"]  # label output, classes d0..d9
    sample = _sample(task)
    first, last = sample["id"].iloc[0], sample["id"].iloc[-1]
    assert grade(task, b"").error == "submission.csv is empty."
    assert _error(task, sample.iloc[:-1]) == (
        f"expected one row per id of test.csv (400 rows), got 399: 1 test id(s) missing "
        f"(e.g. ['{last}']).")
    extra = pd.concat([sample, sample.iloc[[0]].assign(id="99999")])
    assert _error(task, extra) == (
        "expected one row per id of test.csv (400 rows), got 401: 1 id(s) not in test.csv "
        "(e.g. ['99999']).")
    assert _error(task, pd.concat([sample, sample.iloc[[0]]])) == (
        f"1 id(s) appear more than once: ['{first}'].")
    wrong_id = sample.assign(id=sample["id"].replace({first: "abc"}))
    assert "1 test id(s) missing" in _error(task, wrong_id)
    assert _error(task, sample.rename(columns={"digit": "label"})) == (
        "the header must be id,digit: missing column(s) ['digit']; unexpected column(s) "
        "['label'].")
    assert _error(task, sample.assign(digit=sample["digit"].mask(sample.index == 3))) == (
        f"column 'digit' has 1 missing or NaN value(s) (first at id {sample['id'][3]}).")
    assert _error(task, sample.assign(digit="7")) == (
        f"column 'digit' must hold one of {task.classes}; id {first} has '7'.")
    regression = TASKS["diabetes-progression"]
    values = _sample(regression)
    assert _error(regression, values.assign(progression="high")) == (
        f"column 'progression' must hold finite numbers; id {values['id'][0]} has 'high'.")
    assert "must hold finite numbers" in _error(regression, values.assign(progression="inf"))
    proba = TASKS["wine-cultivar"]
    probabilities = _sample(proba)
    assert _error(proba, probabilities.assign(c1="1.5")) == (
        f"column 'c1' holds probabilities, from 0 to 1; id {probabilities['id'][0]} has '1.5'.")
    tags = TASKS["synth-document-tags"]
    assert "must be 0 or 1" in _error(tags, _sample(tags).assign(arts="2"))
    assert "not a readable CSV" in grade(task, b'id,digit\n1,"d2\n').error


@pytest.mark.parametrize("name", ["wine-cultivar", "synth-document-tags", "sunspots-forecast"])
def test_reference_solution_reproduces_its_leaderboard_score(name, tmp_path):
    task = TASKS[name]
    shutil.copytree(task.environment_dir, tmp_path / "work")
    submission = run_here(task.solution, tmp_path / "work")
    result = grade(task, submission.read_bytes())
    assert result.valid and result.medal == "gold"
    assert result.score == pytest.approx(task.config["solution"]["score"], rel=1e-6)


def test_build_is_deterministic_and_drops_saturated_leaderboards(tmp_path, capsys):
    spec = by_name()["penguins-sex"]
    assert cli_main(["mle", "build", "--out", str(tmp_path / "a"), "--only", spec.name]) == 0
    assert "1 tasks" in capsys.readouterr().out
    again = build_task(spec, tmp_path / "b", seed=0)
    assert again.kept and again.leaderboard == [
        (e["reference"], e["score"]) for e in load_suite(tmp_path / "a")[0].config["leaderboard"]]
    for name in ("environment/train.csv", "tests/labels.csv", "task.toml", "solution/solve.py"):
        assert (tmp_path / "a" / spec.name / name).read_bytes() == (
            tmp_path / "b" / spec.name / name).read_bytes()
    saturated = build_task(by_name()["breast-cancer-diagnosis"], tmp_path / "c", seed=0)
    assert not saturated.kept and "saturated" in saturated.why
    assert not (tmp_path / "c" / "breast-cancer-diagnosis").exists()


def test_catalogue_names_are_unique():
    assert len(by_name()) == len(CATALOGUE)
