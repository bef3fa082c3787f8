"""Registered MLE ids: `mle/<suite>-v0`, one per suite folder shipped under tasks/mle/.

Registering reads only folder names; the sandbox image is built on the first reset.
"""

import gym_agents
from gym_agents.environments.mle.suite import TASKS_ROOT

ENTRY_POINT = "gym_agents.environments.mle.env:MleEnv"
MAX_EPISODE_STEPS = 50


def register_mle_envs() -> None:
    suites = sorted({p.parent.parent.name for p in TASKS_ROOT.glob("*/*/task.toml")})
    for suite in suites:
        gym_agents.register(f"mle/{suite}-v0", ENTRY_POINT, max_episode_steps=MAX_EPISODE_STEPS,
                            kwargs={"suite": suite},
                            description=f"MLE: train models on micro datasets ({suite})",
                            extra="mle")
