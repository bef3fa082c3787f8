"""The tasks `gym-agents mle build` can make: real datasets that ship inside packages, and
procedurally generated ones with known structure.

Each loader returns the whole dataset as one DataFrame (features and target
columns, no id); the builder draws the micro train and hidden test splits
from it with the task's seed. Every loader works offline: the data is inside
scikit-learn, statsmodels and palmerpenguins, or generated here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gym_agents.errors import DependencyNotInstalled

Loader = Callable[[], pd.DataFrame]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    title: str
    description: str  # what a row is and what to predict, for instruction.md
    source: str
    kind: str  # binary | multiclass | regression | multilabel
    metric: str
    target: str | tuple[str, ...]
    loader: Loader
    n_train: int = 150
    n_test: int = 200
    split: str = "random"  # random | temporal (test rows come after every train row)
    positive: str = ""  # binary tasks scored on a probability: the class it is the probability of
    text_columns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def targets(self) -> list[str]:
        return list(self.target) if isinstance(self.target, tuple) else [self.target]

    @property
    def output(self) -> str:
        """How a submission answers: label | score | proba | value | labels."""
        if self.kind == "regression":
            return "value"
        if self.kind == "multilabel":
            return "labels"
        if self.metric == "log_loss":
            return "proba"
        return "score" if self.metric == "roc_auc" else "label"


def _need(module: str, extra: str = "mle"):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyNotInstalled(f"building MLE tasks needs {module}: "
                                     f"pip install 'gym-agents[{extra}]'") from exc


# -- scikit-learn's bundled datasets ------------------------------------------------------

def _sklearn(name: str, target: str, labels: list[str] | None = None) -> Loader:
    def load() -> pd.DataFrame:
        datasets = _need("sklearn.datasets")
        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.rename(columns={"target": target})
        frame.columns = [str(c).replace(" ", "_").replace("(", "").replace(")", "")
                         for c in frame.columns]
        if labels is not None:
            frame[target] = [labels[int(v)] for v in frame[target]]
        return frame
    return load


def _digits() -> pd.DataFrame:
    frame = _sklearn("digits", "digit")()
    frame["digit"] = frame["digit"].map(lambda d: f"d{int(d)}")
    return frame


# -- statsmodels.datasets ---------------------------------------------------------------

def _statsmodels(name: str) -> pd.DataFrame:
    return getattr(_need("statsmodels.datasets"), name).load_pandas().data.copy()


def _fair_binary() -> pd.DataFrame:
    frame = _statsmodels("fair")
    frame["had_affair"] = np.where(frame.pop("affairs") > 0, "yes", "no")
    return frame


def _anes_vote() -> pd.DataFrame:
    frame = _statsmodels("anes96").drop(columns=["logpopul"])
    frame["vote"] = np.where(frame["vote"] > 0, "dole", "clinton")
    frame["PID"] = frame["PID"].astype(int)
    return frame


def _anes_party() -> pd.DataFrame:
    names = ["strong_dem", "weak_dem", "lean_dem", "independent", "lean_rep", "weak_rep",
             "strong_rep"]
    frame = _statsmodels("anes96").drop(columns=["logpopul", "vote"])
    frame["party"] = [names[int(v)] for v in frame.pop("PID")]
    return frame


def _star98() -> pd.DataFrame:
    frame = _statsmodels("star98")
    frame["pass_rate"] = frame["NABOVE"] / (frame.pop("NABOVE") + frame.pop("NBELOW"))
    return frame


def _randhie() -> pd.DataFrame:
    return _statsmodels("randhie")


def _grunfeld() -> pd.DataFrame:
    frame = _statsmodels("grunfeld")
    frame["firm"] = frame["firm"].astype(str)
    return frame


def _macro_unemployment() -> pd.DataFrame:
    return _statsmodels("macrodata").drop(columns=["infl", "realint"])


def _with_lags(series: pd.Series, name: str, lags: tuple[int, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({name: series.to_numpy()})
    for lag in lags:
        frame[f"lag_{lag}"] = frame[name].shift(lag)
    frame.insert(0, "t", np.arange(len(frame)))
    return frame.dropna().reset_index(drop=True)


def _sunspots() -> pd.DataFrame:
    frame = _statsmodels("sunspots")
    lagged = _with_lags(frame["SUNACTIVITY"], "activity", (1, 2, 3, 11))
    lagged.insert(1, "year", frame["YEAR"].to_numpy()[11:].astype(int))
    return lagged.drop(columns=["t"])


def _co2() -> pd.DataFrame:
    weekly = _statsmodels("co2")["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    frame = _with_lags(monthly, "co2_ppm", (1, 2, 12))
    frame["month"] = monthly.index.month.to_numpy()[12:]
    return frame


def _fair_rating() -> pd.DataFrame:
    return _statsmodels("fair").drop(columns=["affairs"])


# -- palmerpenguins -----------------------------------------------------------------------

def _penguins() -> pd.DataFrame:
    frame = _need("palmerpenguins").load_penguins()
    return frame.dropna(subset=["sex", "body_mass_g"]).reset_index(drop=True)


def _penguins_no_species() -> pd.DataFrame:
    return _penguins().drop(columns=["island", "year"])


# -- procedurally generated, with known structure ------------------------------------------

def _friedman() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x = rng.uniform(size=(20_000, 8))
    y = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3]
         + 5 * x[:, 4] + rng.normal(0, 1.0, len(x)))
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(8)]).round(4)
    frame["y"] = y.round(4)
    return frame


def _sparse_signal() -> pd.DataFrame:
    """Binary outcome from a logistic model on 4 of 30 features (the rest are noise)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(20_000, 30))
    logit = 1.5 * x[:, 3] - 1.2 * x[:, 7] + x[:, 12] * x[:, 20] + 0.8 * x[:, 20]
    label = rng.uniform(size=len(x)) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(30)]).round(4)
    frame["label"] = np.where(label, "pos", "neg")
    return frame


def _checkerboard() -> pd.DataFrame:
    """Class set by a 3x3 checkerboard on two features; linear models cannot see it."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 3, size=(20_000, 4))
    cell = (np.floor(x[:, 0]) + np.floor(x[:, 1])) % 2
    flip = rng.uniform(size=len(x)) < 0.05
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).round(4)
    frame["colour"] = np.where((cell == 1) ^ flip, "black", "white")
    return frame


def _seasonal_series() -> pd.DataFrame:
    """Daily sales: trend, weekly and monthly (30-day) seasonality, promotions, noise."""
    rng = np.random.default_rng(3)
    t = np.arange(20_000)
    promo = rng.uniform(size=len(t)) < 0.1
    sales = (50 + 0.002 * t + 8 * np.sin(2 * np.pi * t / 7) + 10 * np.sin(2 * np.pi * t / 30)
             + 20 * promo + rng.normal(0, 3, len(t)))
    return pd.DataFrame({"day": t, "weekday": t % 7, "day_of_month": t % 30,
                         "promotion": promo.astype(int), "sales": sales.round(3)})


WORDS = {
    "pos": ["great", "excellent", "love", "perfect", "fast", "reliable", "happy", "recommend"],
    "neg": ["broken", "terrible", "slow", "refund", "awful", "disappointed", "waste", "poor"],
    "neutral": ["the", "item", "arrived", "box", "colour", "size", "order", "price", "it", "was",
                "and", "with", "delivery", "product", "week", "store"],
}


def _reviews() -> pd.DataFrame:
    """Short reviews: the label is the majority sentiment of a few cue words among filler."""
    rng = np.random.default_rng(9)
    rows = []
    for _ in range(20_000):
        n_pos, n_neg = rng.integers(0, 4, size=2)
        if n_pos == n_neg:
            n_pos += 1 if rng.uniform() < 0.5 else 0
            n_neg += 0 if n_pos > n_neg else 1
        words = ([*rng.choice(WORDS["pos"], n_pos), *rng.choice(WORDS["neg"], n_neg),
                  *rng.choice(WORDS["neutral"], rng.integers(4, 12))])
        rng.shuffle(words)
        rows.append({"review": " ".join(words), "stars": int(rng.integers(1, 6)),
                     "sentiment": "positive" if n_pos > n_neg else "negative"})
    return pd.DataFrame(rows)


def _multilabel() -> pd.DataFrame:
    """Tags of a document from its word counts (scikit-learn's multi-label generator)."""
    datasets = _need("sklearn.datasets")
    x, y = datasets.make_multilabel_classification(n_samples=20_000, n_features=15, n_classes=4,
                                                   n_labels=2, random_state=13)
    frame = pd.DataFrame(x.astype(int), columns=[f"w{i:02d}" for i in range(15)])
    for j, tag in enumerate(["sports", "politics", "science", "arts"]):
        frame[tag] = y[:, j]
    return frame


CATALOGUE: list[TaskSpec] = [
    TaskSpec("iris-species", "Iris species", "Each row is an iris flower's sepal and petal "
             "measurements; predict its species.", "scikit-learn load_iris", "multiclass",
             "macro_f1", "species", _sklearn("iris", "species", ["setosa", "versicolor",
                                                                 "virginica"]),
             n_train=60, n_test=90),
    TaskSpec("wine-cultivar", "Wine cultivar", "Each row is the chemical analysis of an Italian "
             "wine; predict which of three cultivars it came from (class probabilities).",
             "scikit-learn load_wine", "multiclass", "log_loss", "cultivar",
             _sklearn("wine", "cultivar", ["c1", "c2", "c3"]), n_train=80, n_test=98),
    TaskSpec("digits-recognition", "Handwritten digits", "Each row is an 8x8 image of a "
             "handwritten digit (64 pixel intensities 0-16); predict the digit.",
             "scikit-learn load_digits", "multiclass", "accuracy", "digit", _digits,
             n_train=200, n_test=400),
    TaskSpec("breast-cancer-diagnosis", "Breast cancer diagnosis", "Each row describes cell "
             "nuclei of a breast mass; predict the probability that it is benign.",
             "scikit-learn load_breast_cancer", "binary", "roc_auc", "diagnosis",
             _sklearn("breast_cancer", "diagnosis", ["malignant", "benign"]), positive="benign"),
    TaskSpec("diabetes-progression", "Diabetes progression", "Each row is a diabetes patient's "
             "baseline measurements (age, sex, BMI, blood pressure, six serum values, all "
             "scaled); predict disease progression one year later.",
             "scikit-learn load_diabetes", "regression", "rmse", "progression",
             _sklearn("diabetes", "progression")),
    TaskSpec("fair-affairs", "Extramarital affairs", "Each row is a woman's answers to a 1974 "
             "Redbook survey; predict the probability that she reported any affair.",
             "statsmodels.datasets.fair", "binary", "roc_auc", "had_affair", _fair_binary,
             positive="yes"),
    TaskSpec("fair-marriage-rating", "Marriage rating", "Each row is a woman's answers to a "
             "1974 Redbook survey; predict how she rates her marriage (1-5).",
             "statsmodels.datasets.fair", "regression", "rmse", "rate_marriage", _fair_rating),
    TaskSpec("anes96-vote", "1996 US presidential vote", "Each row is a 1996 American National "
             "Election Study respondent; predict whether they voted for Clinton or Dole.",
             "statsmodels.datasets.anes96", "binary", "accuracy", "vote", _anes_vote),
    TaskSpec("anes96-party", "Party identification", "Each row is a 1996 American National "
             "Election Study respondent; predict their party identification (7 levels).",
             "statsmodels.datasets.anes96", "multiclass", "macro_f1", "party", _anes_party,
             n_train=200, n_test=300),
    TaskSpec("star98-pass-rate", "California school test results", "Each row is a California "
             "school district in 1998; predict the share of students above the national "
             "median math score.", "statsmodels.datasets.star98", "regression", "r2",
             "pass_rate", _star98, n_train=150, n_test=153),
    TaskSpec("randhie-doctor-visits", "Doctor visits", "Each row is a person in the RAND Health "
             "Insurance Experiment; predict their number of outpatient doctor visits.",
             "statsmodels.datasets.randhie", "regression", "mae", "mdvis", _randhie),
    TaskSpec("grunfeld-investment", "Firm investment", "Each row is one of ten US firms in one "
             "year (1935-1954); predict its gross investment.", "statsmodels.datasets.grunfeld",
             "regression", "rmse", "invest", _grunfeld, n_train=120, n_test=100),
    TaskSpec("macro-unemployment", "US unemployment", "Each row is a quarter of US macroeconomic "
             "data (1959-2009); predict the unemployment rate.",
             "statsmodels.datasets.macrodata", "regression", "r2", "unemp", _macro_unemployment,
             n_train=120, n_test=83),
    TaskSpec("sunspots-forecast", "Sunspot forecast", "Each row is a year with the yearly "
             "sunspot activity of 1, 2, 3 and 11 years before; predict this year's activity. "
             "The test years come after the training years.", "statsmodels.datasets.sunspots",
             "regression", "mae", "activity", _sunspots, n_train=200, n_test=98,
             split="temporal"),
    TaskSpec("co2-forecast", "Mauna Loa CO2", "Each row is a month of atmospheric CO2 at Mauna "
             "Loa with the readings 1, 2 and 12 months before; predict this month's mean. The "
             "test months come after the training months.", "statsmodels.datasets.co2",
             "regression", "rmse", "co2_ppm", _co2, n_train=200, n_test=200, split="temporal"),
    TaskSpec("penguins-species", "Penguin species", "Each row is a penguin from the Palmer "
             "Archipelago; predict its species (class probabilities).", "palmerpenguins",
             "multiclass", "log_loss", "species", _penguins, n_train=100, n_test=200),
    TaskSpec("penguins-sex", "Penguin sex", "Each row is a penguin from the Palmer "
             "Archipelago; predict its sex.", "palmerpenguins", "binary", "accuracy", "sex",
             _penguins_no_species, n_train=100, n_test=200),
    TaskSpec("penguins-body-mass", "Penguin body mass", "Each row is a penguin from the Palmer "
             "Archipelago; predict its body mass in grams.", "palmerpenguins", "regression",
             "rmse", "body_mass_g", _penguins, n_train=100, n_test=200),
    TaskSpec("synth-friedman", "Friedman #1 (generated)", "Generated: y depends non-linearly "
             "on five of the eight uniform features, plus noise; predict y.",
             "generated (Friedman #1)", "regression", "r2", "y", _friedman),
    TaskSpec("synth-sparse-signal", "Sparse signal (generated)", "Generated: a binary outcome "
             "driven by a few of 30 Gaussian features; predict the probability of 'pos'.",
             "generated (logistic model)", "binary", "roc_auc", "label", _sparse_signal,
             positive="pos"),
    TaskSpec("synth-checkerboard", "Checkerboard (generated)", "Generated: each point in a "
             "4-D box has a colour; predict it.", "generated (checkerboard)", "binary",
             "accuracy", "colour", _checkerboard),
    TaskSpec("synth-daily-sales", "Daily sales (generated)", "Generated: daily sales with "
             "trend, weekly and monthly seasonality and promotions; predict the sales of later "
             "days from the earlier ones.", "generated (seasonal series)", "regression", "mae",
             "sales", _seasonal_series, n_train=200, n_test=200, split="temporal"),
    TaskSpec("synth-review-sentiment", "Review sentiment (generated)", "Generated: short "
             "product reviews; predict whether each is positive or negative.",
             "generated (review text)", "binary", "macro_f1", "sentiment", _reviews,
             text_columns=("review",)),
    TaskSpec("synth-document-tags", "Document tags (generated, multi-label)", "Generated: word "
             "counts of a document; predict which of four tags apply (any number of them).",
             "generated (sklearn make_multilabel_classification)", "multilabel", "macro_f1",
             ("sports", "politics", "science", "arts"), _multilabel),
    TaskSpec("digits-probabilities", "Handwritten digits (probabilities)", "Each row is an 8x8 "
             "image of a handwritten digit (64 pixel intensities 0-16); predict the probability "
             "of each digit.", "scikit-learn load_digits", "multiclass", "log_loss", "digit",
             _digits, n_train=200, n_test=400),
    TaskSpec("penguins-island", "Penguin island", "Each row is a penguin from the Palmer "
             "Archipelago; predict the island it was measured on.", "palmerpenguins",
             "multiclass", "macro_f1", "island", _penguins, n_train=120, n_test=200),
    TaskSpec("fair-affairs-probability", "Extramarital affairs (probabilities)", "Each row is a "
             "woman's answers to a 1974 Redbook survey; predict the probability of each answer "
             "to 'any affair?' (yes, no).", "statsmodels.datasets.fair", "binary", "log_loss",
             "had_affair", _fair_binary, n_train=200, n_test=300),
    TaskSpec("diabetes-mae", "Diabetes progression (MAE)", "Each row is a diabetes patient's "
             "baseline measurements; predict disease progression one year later.",
             "scikit-learn load_diabetes", "regression", "mae", "progression",
             _sklearn("diabetes", "progression"), n_train=80, n_test=200),
]


def by_name() -> dict[str, TaskSpec]:
    return {spec.name: spec for spec in CATALOGUE}
