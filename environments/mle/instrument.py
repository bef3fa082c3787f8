"""Stage probes for partial credit, loaded as `sitecustomize` by every Python in the sandbox.

The env uploads this file as /tmp/.gym_mle/sitecustomize.py and puts that
folder on PYTHONPATH, so `run_python` cells and `python train.py` from bash
alike report: `data_loaded` when train.csv is opened for reading (an audit
hook), `model_trained` when the script ends holding a fitted estimator (an
object with `predict` and the `n_features_in_` that fitting sets). The stage
file is the agent's to write too: dense rewards are shaping, not the grade.
"""

import atexit
import os
import sys

_STAGE_FILE = os.environ.get("GYM_MLE_STAGES", "")
_seen = set()


def _mark(stage):
    if stage in _seen or not _STAGE_FILE:
        return
    _seen.add(stage)
    try:
        with open(_STAGE_FILE, "a") as f:
            f.write(stage + "\n")
    except OSError:
        pass


def _on_event(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        path = os.fsdecode(args[0])
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        if path.endswith("train.csv") and "r" in mode and "+" not in mode:
            _mark("data_loaded")


def _fitted(value):
    try:
        return callable(getattr(value, "predict", None)) and hasattr(value, "n_features_in_")
    except Exception:
        return False


def _at_exit():
    main = sys.modules.get("__main__")
    if main is not None and any(_fitted(v) for v in list(vars(main).values())):
        _mark("model_trained")


if _STAGE_FILE:
    sys.addaudithook(_on_event)
    atexit.register(_at_exit)
