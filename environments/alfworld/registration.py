"""Registered ALFWorld ids.

`alfworld/{task}-v0` takes `split=` (train, valid_seen, valid_unseen; "test"
is valid_unseen, what `gym-agents eval` passes); `alfworld/{task}-seen-v0`
and `-unseen-v0` fix the split in the id (valid_seen and valid_unseen).
`task` is `all` or one of the six ALFRED task types, shortened as below.
"""

import gym_agents

ENTRY_POINT = "gym_agents.environments.alfworld.env:AlfworldEnv"
ON_SPLIT = "gym_agents.environments.alfworld.env:make_on_split"
# ALFWorld's own evaluations cut episodes at 50 steps.
MAX_EPISODE_STEPS = 50

TASKS = {
    "all": ("all", "all six ALFRED household task types"),
    "pick_and_place": ("pick_and_place_simple", "find an object and put it somewhere"),
    "look_at_obj_in_light": ("look_at_obj_in_light", "examine an object under a lamp"),
    "pick_clean_then_place": ("pick_clean_then_place_in_recep",
                              "clean an object in the sink, then place it"),
    "pick_heat_then_place": ("pick_heat_then_place_in_recep",
                             "heat an object in the microwave, then place it"),
    "pick_cool_then_place": ("pick_cool_then_place_in_recep",
                             "cool an object in the fridge, then place it"),
    "pick_two_obj_and_place": ("pick_two_obj_and_place", "find two objects and place both"),
}
FIXED_SPLITS = {"seen": "valid_seen", "unseen": "valid_unseen"}


def register_alfworld_envs() -> None:
    for short, (task_type, what) in TASKS.items():
        gym_agents.register(f"alfworld/{short}-v0", ENTRY_POINT,
                            max_episode_steps=MAX_EPISODE_STEPS, kwargs={"task_type": task_type},
                            description=f"ALFWorld: {what}", extra="alfworld")
        for suffix, split in FIXED_SPLITS.items():
            gym_agents.register(f"alfworld/{short}-{suffix}-v0", ON_SPLIT,
                                max_episode_steps=MAX_EPISODE_STEPS,
                                kwargs={"task_type": task_type, "fixed_split": split},
                                description=f"ALFWorld ({split}): {what}", extra="alfworld")
