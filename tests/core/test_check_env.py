import os

import pytest

import gym_agents
from gym_agents import Observation, StepResult
from gym_agents.env import Env
from gym_agents.registration import load_plugins, registry
from gym_agents.testing import EnvCheckError, check_env

load_plugins()
# Families whose envs generate data or start engines are slow to check.
FAST_FAMILIES = {"toy"}


# ScienceWorld's own gold path for the genetics tasks is not reproducible across
# reloads in one simulator: replaying it on the raw simulator, variation 0 of
# mendelian-genetics-unknown-plant scored 100 on the first load and 33 on the
# second. check_env reloads four times, so these ids may fail through no fault of ours.
UPSTREAM_FLAKY = {
    "scienceworld/mendelian-genetics-known-plant-v0",
    "scienceworld/mendelian-genetics-unknown-plant-v0",
}


def _marks(env_id: str):
    marks = [] if env_id.split("/")[0] in FAST_FAMILIES else [pytest.mark.slow]
    if env_id in UPSTREAM_FLAKY:
        marks.append(pytest.mark.xfail(strict=False, reason="ScienceWorld gold path varies "
                                                            "across reloads (upstream)"))
    if env_id.startswith("web/"):
        marks.append(pytest.mark.browser)
    if env_id.startswith(("swe/", "mle/")):
        marks.append(pytest.mark.docker)  # episodes run in docker sandboxes
    return marks


def _ids_to_check() -> list[str]:
    """Every id, but only every 8th MiniWoB++ task unless GYM_AGENTS_CHECK_ALL=1.

    The 130 MiniWoB++ ids share one env class and differ only in their page; all of
    them pass check_env (about 6 minutes of Chromium on 2 cores), which is more than
    CI's budget for one family. A fixed sample keeps the class covered in every run.
    """
    ids = sorted(registry)
    if os.environ.get("GYM_AGENTS_CHECK_ALL") == "1":
        return ids
    miniwob = [i for i in ids if i.startswith("web/miniwob.")]
    return [i for i in ids if i not in miniwob or miniwob.index(i) % 8 == 0]


@pytest.mark.parametrize("env_id", [pytest.param(i, marks=_marks(i)) for i in _ids_to_check()])
def test_every_registered_env_passes_check_env(env_id):
    check_env(gym_agents.make(env_id))


class RaisesOnBadAction(Env):
    def reset(self, *, seed=None, options=None):
        return Observation("hi"), {}

    def step(self, action):
        if action != "ok":
            raise ValueError("bad action")
        return StepResult(Observation("done"), 1.0, True, False, {"success": True})


class IgnoresSeed(RaisesOnBadAction):
    count = 0

    def reset(self, *, seed=None, options=None):
        self.count += 1
        return Observation(f"hi {self.count}"), {}


def test_check_env_catches_broken_envs():
    with pytest.raises(ValueError):
        check_env(RaisesOnBadAction())
    with pytest.raises(EnvCheckError, match="seeding"):
        check_env(IgnoresSeed())
