"""Reference solutions: one script template, a pool of models of varying quality.

Every reference is a complete, standalone script (`solution/solve.py` of a
task is one of them) that reads train.csv and test.csv from the working
folder and writes submission.csv. The leaderboard runs the very same text,
so the oracle and the medal thresholds cannot drift apart. The template works
with the scikit-learn and pandas of the sandbox image (Debian's) and newer.
"""

from __future__ import annotations

import contextlib
import os
import runpy
from dataclasses import dataclass
from pathlib import Path

from gym_agents.environments.mle.catalogue import TaskSpec

TEMPLATE = '''\
"""Reference solution for {task} ({label}).

Fit a scikit-learn model on train.csv, write submission.csv for test.csv.
"""
import numpy as np
import pandas as pd
{imports}

TARGETS = {targets!r}
OUTPUT = {output!r}  # label | score | proba | value | labels
POSITIVE = {positive!r}
TEXT = {text!r}
KEEP = {keep!r}  # feature columns this reference looks at (None: all)

train = pd.read_csv("train.csv")
test = pd.read_csv("test.csv")
features = [c for c in test.columns if c != "id" and (KEEP is None or c in KEEP)]
numeric = [c for c in features if c not in TEXT and pd.api.types.is_numeric_dtype(train[c])]
categorical = [c for c in features if c not in TEXT and c not in numeric]
parts = [("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
         ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore")), categorical)]
parts += [(f"text_{{c}}", TfidfVectorizer(), c) for c in TEXT]
prep = ColumnTransformer([p for p in parts if len(p[2])], sparse_threshold=0)
estimator = {model}
model = make_pipeline(prep, estimator)
y = train[TARGETS] if OUTPUT == "labels" else train[TARGETS[0]]
model.fit(train[features], y)

submission = pd.DataFrame({{"id": test["id"]}})
if OUTPUT in ("label", "value"):
    submission[TARGETS[0]] = model.predict(test[features])
elif OUTPUT == "labels":
    submission[TARGETS] = np.asarray(model.predict(test[features])).astype(int)
else:
    proba = model.predict_proba(test[features])
    classes = [str(c) for c in model.classes_]
    if OUTPUT == "score":
        submission[TARGETS[0]] = proba[:, classes.index(POSITIVE)]
    else:
        submission[classes] = proba
submission.to_csv("submission.csv", index=False)
'''


COMMON_IMPORTS = (
    "from sklearn.compose import ColumnTransformer",
    "from sklearn.feature_extraction.text import TfidfVectorizer",
    "from sklearn.impute import SimpleImputer",
    "from sklearn.pipeline import make_pipeline",
    "from sklearn.preprocessing import OneHotEncoder, StandardScaler",
)


@dataclass(frozen=True)
class Reference:
    label: str
    model: str  # a scikit-learn estimator expression
    imports: str
    keep: int | None = None  # look at only the first N feature columns


def _pool(kind: str) -> list[Reference]:
    if kind == "regression":
        return [
            Reference("dummy-mean", "DummyRegressor()", "from sklearn.dummy import DummyRegressor"),
            Reference("linear-2-features", "LinearRegression()",
                      "from sklearn.linear_model import LinearRegression", keep=2),
            Reference("tree-depth-2", "DecisionTreeRegressor(max_depth=2, random_state=0)",
                      "from sklearn.tree import DecisionTreeRegressor"),
            Reference("knn-1", "KNeighborsRegressor(n_neighbors=1)",
                      "from sklearn.neighbors import KNeighborsRegressor"),
            Reference("knn-10", "KNeighborsRegressor(n_neighbors=10)",
                      "from sklearn.neighbors import KNeighborsRegressor"),
            Reference("ridge", "Ridge(alpha=1.0)", "from sklearn.linear_model import Ridge"),
            Reference("tree", "DecisionTreeRegressor(min_samples_leaf=3, random_state=0)",
                      "from sklearn.tree import DecisionTreeRegressor"),
            Reference("forest-half-features",
                      "RandomForestRegressor(n_estimators=200, random_state=0)",
                      "from sklearn.ensemble import RandomForestRegressor", keep=-1),
            Reference("forest", "RandomForestRegressor(n_estimators=300, random_state=0)",
                      "from sklearn.ensemble import RandomForestRegressor"),
            Reference("extra-trees", "ExtraTreesRegressor(n_estimators=300, random_state=0)",
                      "from sklearn.ensemble import ExtraTreesRegressor"),
            Reference("boosting", "GradientBoostingRegressor(\n    n_estimators=200, "
                      "learning_rate=0.05, max_depth=3, subsample=0.8, random_state=0)",
                      "from sklearn.ensemble import GradientBoostingRegressor"),
            Reference("boosting-huber", "GradientBoostingRegressor(\n    loss='huber', "
                      "n_estimators=300, learning_rate=0.05, max_depth=2, random_state=0)",
                      "from sklearn.ensemble import GradientBoostingRegressor"),
        ]
    multi = kind == "multilabel"
    wrap = ("MultiOutputClassifier({})" if multi else "{}")
    extra = "\nfrom sklearn.multioutput import MultiOutputClassifier" if multi else ""
    return [
        Reference("dummy-prior", wrap.format("DummyClassifier(strategy='prior')"),
                  "from sklearn.dummy import DummyClassifier" + extra),
        Reference("logistic-2-features", wrap.format("LogisticRegression(max_iter=2000)"),
                  "from sklearn.linear_model import LogisticRegression" + extra, keep=2),
        Reference("tree-depth-2", wrap.format("DecisionTreeClassifier(max_depth=2, "
                                              "random_state=0)"),
                  "from sklearn.tree import DecisionTreeClassifier" + extra),
        Reference("knn-1", "KNeighborsClassifier(n_neighbors=1)",
                  "from sklearn.neighbors import KNeighborsClassifier"),
        Reference("knn-10", "KNeighborsClassifier(n_neighbors=10)",
                  "from sklearn.neighbors import KNeighborsClassifier"),
        Reference("naive-bayes", wrap.format("GaussianNB()"),
                  "from sklearn.naive_bayes import GaussianNB" + extra),
        Reference("logistic", wrap.format("LogisticRegression(C=1.0, max_iter=2000)"),
                  "from sklearn.linear_model import LogisticRegression" + extra),
        Reference("tree", wrap.format("DecisionTreeClassifier(min_samples_leaf=3, "
                                      "random_state=0)"),
                  "from sklearn.tree import DecisionTreeClassifier" + extra),
        Reference("forest-half-features", "RandomForestClassifier(n_estimators=200, "
                  "random_state=0)", "from sklearn.ensemble import RandomForestClassifier",
                  keep=-1),
        Reference("forest", "RandomForestClassifier(n_estimators=300, random_state=0)",
                  "from sklearn.ensemble import RandomForestClassifier"),
        Reference("extra-trees", "ExtraTreesClassifier(n_estimators=300, random_state=0)",
                  "from sklearn.ensemble import ExtraTreesClassifier"),
        Reference("boosting", wrap.format("GradientBoostingClassifier(\n    n_estimators=150, "
                                          "learning_rate=0.05, max_depth=2, random_state=0)"),
                  "from sklearn.ensemble import GradientBoostingClassifier" + extra),
    ]


def pool(spec: TaskSpec) -> list[Reference]:
    return _pool(spec.kind)


def script(spec: TaskSpec, reference: Reference, feature_columns: list[str]) -> str:
    keep = None
    if reference.keep is not None:
        n = len(feature_columns) // 2 if reference.keep < 0 else reference.keep
        keep = feature_columns[:max(1, n)]
    imports = "\n".join(sorted({*COMMON_IMPORTS, *reference.imports.splitlines()}))
    return TEMPLATE.format(label=reference.label, task=spec.name, imports=imports,
                           targets=spec.targets, output=spec.output, positive=spec.positive,
                           text=list(spec.text_columns), keep=keep, model=reference.model)


def run_here(source: str, folder: Path) -> Path:
    """Run a reference script in `folder` (holding train.csv and test.csv) in this process."""
    previous = Path.cwd()
    path = folder / "solve.py"
    path.write_text(source)
    try:
        os.chdir(folder)
        with contextlib.redirect_stdout(None):
            runpy.run_path(str(path), run_name="__main__")
    finally:
        os.chdir(previous)
    return folder / "submission.csv"
