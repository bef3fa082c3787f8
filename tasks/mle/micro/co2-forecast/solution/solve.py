"""Reference solution for co2-forecast (ridge).

Fit a scikit-learn model on train.csv, write submission.csv for test.csv.
"""
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TARGETS = ['co2_ppm']
OUTPUT = 'value'  # label | score | proba | value | labels
POSITIVE = ''
TEXT = []
KEEP = None  # feature columns this reference looks at (None: all)

train = pd.read_csv("train.csv")
test = pd.read_csv("test.csv")
features = [c for c in test.columns if c != "id" and (KEEP is None or c in KEEP)]
numeric = [c for c in features if c not in TEXT and pd.api.types.is_numeric_dtype(train[c])]
categorical = [c for c in features if c not in TEXT and c not in numeric]
parts = [("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
         ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore")), categorical)]
parts += [(f"text_{c}", TfidfVectorizer(), c) for c in TEXT]
prep = ColumnTransformer([p for p in parts if len(p[2])], sparse_threshold=0)
estimator = Ridge(alpha=1.0)
model = make_pipeline(prep, estimator)
y = train[TARGETS] if OUTPUT == "labels" else train[TARGETS[0]]
model.fit(train[features], y)

submission = pd.DataFrame({"id": test["id"]})
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
