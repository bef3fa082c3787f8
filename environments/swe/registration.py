"""Registered SWE ids: `swe/<suite>-v0`, one per suite folder shipped under tasks/swe/.

Registering reads only folder names; the suite's image is built on the first reset.
"""

import gym_agents
from gym_agents.environments.swe.suite import TASKS_ROOT

ENTRY_POINT = "gym_agents.environments.swe.env:SweEnv"
MAX_EPISODE_STEPS = 100


def register_swe_envs() -> None:
    for suite in sorted(p.parent.name for p in TASKS_ROOT.glob("*/suite.json")):
        gym_agents.register(f"swe/{suite}-v0", ENTRY_POINT, max_episode_steps=MAX_EPISODE_STEPS,
                            kwargs={"suite": suite},
                            description=f"SWE: fix injected bugs in real PyPI packages ({suite})",
                            extra="swe")
