"""Registered ScienceWorld ids: `scienceworld/{task}-v0`, one per ScienceWorld task type.

Each takes `split=` (train, dev, test: ScienceWorld's own variation split) and
`simplifications=`. The names are ScienceWorld's (`get_task_names()` of
scienceworld 1.2), listed here so registering starts no JVM.
"""

import gym_agents

ENTRY_POINT = "gym_agents.environments.scienceworld.env:ScienceWorldEnv"
TASKS = (
    "boil", "change-the-state-of-matter-of", "chemistry-mix",
    "chemistry-mix-paint-secondary-color", "chemistry-mix-paint-tertiary-color",
    "find-animal", "find-living-thing", "find-non-living-thing", "find-plant", "freeze",
    "grow-fruit", "grow-plant", "identify-life-stages-1", "identify-life-stages-2",
    "inclined-plane-determine-angle", "inclined-plane-friction-named-surfaces",
    "inclined-plane-friction-unnamed-surfaces", "lifespan-longest-lived",
    "lifespan-longest-lived-then-shortest-lived", "lifespan-shortest-lived",
    "measure-melting-point-known-substance", "measure-melting-point-unknown-substance", "melt",
    "mendelian-genetics-known-plant", "mendelian-genetics-unknown-plant", "power-component",
    "power-component-renewable-vs-nonrenewable-energy", "test-conductivity",
    "test-conductivity-of-unknown-substances", "use-thermometer",
)
MAX_EPISODE_STEPS = 100
# Tasks whose gold paths run past 100 actions (growing plants, crossing them, timing
# blocks down slopes: the friction tasks wait on the block many times).
LONG_TASKS = {"grow-fruit": 200, "grow-plant": 200, "inclined-plane-determine-angle": 300,
              "inclined-plane-friction-named-surfaces": 300,
              "inclined-plane-friction-unnamed-surfaces": 300,
              "mendelian-genetics-known-plant": 300, "mendelian-genetics-unknown-plant": 300}


def register_scienceworld_envs() -> None:
    for task in TASKS:
        gym_agents.register(f"scienceworld/{task}-v0", ENTRY_POINT,
                            max_episode_steps=LONG_TASKS.get(task, MAX_EPISODE_STEPS),
                            kwargs={"task": task}, description=f"ScienceWorld: {task}",
                            extra="scienceworld")
