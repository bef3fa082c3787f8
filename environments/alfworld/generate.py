"""ALFWorld games made offline from what the `alfworld` package ships.

The official games come from ALFRED trajectories recorded in the THOR
simulator, a download an offline machine cannot make. This module makes
games of the same six task types from the package's own data: the scene
layouts (`gen/layouts/FloorPlan*-objects.json` for the object classes in a
room, `-openable.json` for its receptacles and the pose to reach each,
`-layout.npy` for the floor points), the affordances in `gen/constants.py`
(what fits in what, what can be heated, cooled, cleaned, toggled), the goal
PDDL and templates of `gen/goal_library.py`, and the domain and grammar in
`data/`. A game is written the official way,

    <root>/json_2.1.1/<split>/<task_type>-<Obj>-None-<Parent>-<scene>/trial_G<index>/
        game.tw-pddl    {pddl_domain, grammar, pddl_problem, solvable, walkthrough}
        traj_data.json  {task_type, pddl_params, scene, turk_annotations, ...}

so alfworld's own loader (`AlfredTWEnv`, `alfworld-play-tw`) and handcoded
expert read it, and it is kept only when the planner alfworld uses
(fast-downward-textworld) finds a plan that wins when replayed through
alfworld's TextWorld PDDL env.

Splits follow ALFRED: `train` and `valid_seen` use the training floor plans
(`constants.TRAIN_SCENE_NUMBERS`), `valid_unseen` only the held-out ones
(`constants.TEST_SCENE_NUMBERS`). A game is named by (split, task type,
index) and derived from a hash of that name, so it is the same everywhere.

Three receptacle classes have no pose in the shipped layouts (stove
burners, coffee machines, toasters) and are left out of generated rooms.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, EnvInfraError, require
from gym_agents.paths import cache_dir

TASK_TYPES = (
    "pick_and_place_simple",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_two_obj_and_place",
)
SPLITS = ("train", "valid_seen", "valid_unseen")
# What `split=` also accepts; `gym-agents eval` passes "test" by default.
SPLIT_ALIASES = {"test": "valid_unseen", "unseen": "valid_unseen", "seen": "valid_seen"}
DATA_FOLDER = "json_2.1.1"  # the folder name alfworld's configs point at
MAX_INDEX = 1_000_000
# A plan longer than this could not be replayed within the env's 50-step limit
# with room to spare; such games are drawn again.
MAX_PLAN_LENGTH = 40
MAX_ATTEMPTS = 30
MAX_INSTANCES = 3  # ALFRED's MAX_NUM_OF_OBJ_INSTANCES
STEP = 0.25  # ALFRED's AGENT_STEP_SIZE: grid units of the pose in a location name
# The surfaces a desk or floor lamp stands by (lamps have no receptacle in constants).
LAMP_HOLDERS = ("Desk", "SideTable", "Dresser", "Shelf", "CoffeeTable", "DiningTable", "TVStand")
# The receptacle an action needs, which a goal should not also name as its destination.
TOOL_RECEPTACLE = {
    "pick_clean_then_place_in_recep": "SinkBasin",
    "pick_heat_then_place_in_recep": "Microwave",
    "pick_cool_then_place_in_recep": "Fridge",
}
AFFORDANCE = {
    "pick_clean_then_place_in_recep": "Cleanable",
    "pick_heat_then_place_in_recep": "Heatable",
    "pick_cool_then_place_in_recep": "Coolable",
}

_GLOBAL_RANDOM = threading.Lock()  # alfworld's goal templates draw from the `random` module
# textworld's PDDL parser (tatsu) and fast-downward's translator keep module-level
# state, so two engines must not load or step at once in one process.
ENGINE_LOCK = threading.RLock()


# -- alfworld's data ----------------------------------------------------------------


def import_alfworld(module: str) -> Any:
    """Import an alfworld module without its side effect on `ALFWORLD_DATA`.

    `alfworld.info` sets `os.environ["ALFWORLD_DATA"]` to a default when it is
    unset; our envs read that variable to tell official data from generated.
    """
    before = os.environ.get("ALFWORLD_DATA")
    try:
        return require(module, "alfworld", "ALFWorld environments")
    finally:
        if before is None:
            os.environ.pop("ALFWORLD_DATA", None)


@dataclass(frozen=True)
class Package:
    constants: Any
    goals: dict[str, Any]
    domain: str
    grammar: str
    layouts: Path


@cache
def package() -> Package:
    alfworld = import_alfworld("alfworld")
    constants = import_alfworld("alfworld.gen.constants")
    goals = import_alfworld("alfworld.gen.goal_library").gdict
    root = Path(alfworld.__file__).parent
    return Package(constants, goals, (root / "data" / "alfred.pddl").read_text(),
                   (root / "data" / "alfred.twl2").read_text(), root / "gen" / "layouts")


@dataclass(frozen=True)
class Scene:
    """One floor plan: its object classes, receptacles and floor points."""

    num: int
    object_types: frozenset[str]
    # THOR receptacle id -> (x, z, rotation, horizon) the agent reaches it from
    receptacles: dict[str, tuple[float, float, int, int]]
    points: tuple[tuple[float, float], ...]

    def receptacle_types(self) -> set[str]:
        return {receptacle_type(r) for r in self.receptacles}


def receptacle_type(thor_id: str) -> str:
    parts = thor_id.split("|")
    return parts[-1] if len(parts) > 4 else parts[0]  # "Sink|x|y|z|SinkBasin"


@cache
def scene(num: int) -> Scene:
    import numpy as np

    folder = package().layouts
    objects = json.loads((folder / f"FloorPlan{num}-objects.json").read_text())
    poses = json.loads((folder / f"FloorPlan{num}-openable.json").read_text())
    points = np.load(folder / f"FloorPlan{num}-layout.npy")
    return Scene(num, frozenset(objects),
                 {k: (float(v[0]), float(v[1]), int(v[2]), int(v[3])) for k, v in poses.items()},
                 tuple((float(x), float(z)) for x, z in points))


def scene_numbers(split: str) -> list[int]:
    constants = package().constants
    nums = constants.TEST_SCENE_NUMBERS if split == "valid_unseen" else \
        constants.TRAIN_SCENE_NUMBERS
    return sorted(nums)


def room_of(num: int) -> str:
    return next(room for room, nums in package().constants.SCENE_TYPE.items() if num in nums)


# -- names and keys ------------------------------------------------------------------


def resolve_split(split: str) -> str:
    split = SPLIT_ALIASES.get(split, split)
    if split not in SPLITS:
        names = ", ".join(SPLITS + tuple(SPLIT_ALIASES))
        raise ConfigError(f"split must be one of {names}; got {split!r}")
    return split


def check_game_key(split: str, task_type: str, index: int) -> None:
    resolve_split(split)
    if task_type not in TASK_TYPES:
        raise ConfigError(f"task_type must be one of {', '.join(TASK_TYPES)}; got {task_type!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_INDEX:
        raise ConfigError(f"seed must be an int in [0, {MAX_INDEX}); got {index!r}")


def game_seed(split: str, task_type: str, index: int, attempt: int) -> int:
    key = f"alfworld/{split}/{task_type}/{index}/{attempt}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding `json_2.1.1/` (what `ALFWORLD_DATA` names)."""
    return Path(root) if root is not None else cache_dir("alfworld")


def trial_name(index: int) -> str:
    return f"trial_G{index:06d}"


def find_game(split: str, task_type: str, index: int,
              root: str | os.PathLike[str] | None = None) -> Path | None:
    """The trial folder of a generated game, or None if it was not made yet."""
    folder = data_root(root) / DATA_FOLDER / resolve_split(split)
    found = sorted(folder.glob(f"{task_type}-*/{trial_name(index)}/game.tw-pddl"))
    return found[0].parent if found else None


def pddl_name(thor_id: str) -> str:
    """ALFRED's spelling of a THOR id in PDDL (fix_pddl_str_chars)."""
    for char, word in (("-", "_minus_"), ("|", "_bar_"), ("+", "_plus_"), (".", "_dot_"),
                       (",", "_comma_")):
        thor_id = thor_id.replace(char, word)
    return thor_id


def location_name(x: float, z: float, rotation: int, horizon: int) -> str:
    return pddl_name(f"loc|{round(x / STEP)}|{round(z / STEP)}|{rotation // 90}|{horizon}")


# -- sampling a task and a room ------------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    task_type: str
    scene: int
    object_target: str
    parent_target: str = ""
    toggle_target: str = ""


@cache
def placeable_types() -> frozenset[str]:
    constants = package().constants
    return frozenset(o for objs in constants.VAL_RECEPTACLE_OBJECTS.values() for o in objs
                     if not o.endswith("Sliced"))


def holders_of(otype: str) -> set[str]:
    """Receptacle classes an object of this class may be in."""
    if otype in ("DeskLamp", "FloorLamp"):
        return set(LAMP_HOLDERS)
    return {r for r, objs in package().constants.VAL_RECEPTACLE_OBJECTS.items() if otype in objs}


def candidate_tasks(task_type: str, room: Scene) -> list[TaskSpec]:
    """Every (object, destination or lamp) a task of this type can name in this room."""
    constants = package().constants
    rtypes = room.receptacle_types() - constants.MOVABLE_RECEPTACLES_SET
    objects = sorted(room.object_types & placeable_types())
    tasks = []
    if task_type == "look_at_obj_in_light":
        lamps = sorted(room.object_types & {"DeskLamp", "FloorLamp"})
        if not rtypes & set(LAMP_HOLDERS):
            return []
        for obj in objects:
            if holders_of(obj) & rtypes:
                tasks += [TaskSpec(task_type, room.num, obj, toggle_target=lamp) for lamp in lamps]
        return tasks
    tool = TOOL_RECEPTACLE.get(task_type)
    if tool is not None and tool not in rtypes:
        return []
    affordance = AFFORDANCE.get(task_type)
    for obj in objects:
        if affordance and obj not in constants.VAL_ACTION_OBJECTS[affordance]:
            continue
        homes = holders_of(obj) & rtypes
        for parent in sorted(homes - {tool, "BathtubBasin"}):
            if homes - {parent}:  # it must be able to start somewhere else
                tasks.append(TaskSpec(task_type, room.num, obj, parent_target=parent))
    return tasks


def sample_task(split: str, task_type: str, rng: random.Random) -> TaskSpec:
    rooms = package().constants.GOALS_VALID[task_type]
    nums = [n for n in scene_numbers(split) if room_of(n) in rooms]
    rng.shuffle(nums)
    for num in nums:
        tasks = candidate_tasks(task_type, scene(num))
        if tasks:
            return rng.choice(tasks)
    raise EnvInfraError(f"no {split} floor plan can hold a {task_type} task")


# -- building the PDDL problem -------------------------------------------------------


@dataclass
class Layout:
    """A room with its objects placed: THOR ids throughout."""

    objects: dict[str, str]  # object id -> receptacle id it is in
    agent: str  # location name of the agent's start


def place_objects(task: TaskSpec, room: Scene, rng: random.Random) -> Layout | None:
    constants = package().constants
    types = sorted(room.object_types & (placeable_types() | {task.toggle_target} - {""}))
    receptacles = sorted(room.receptacles)
    objects: dict[str, str] = {}
    for otype in types:
        count = rng.randint(1, MAX_INSTANCES)
        if otype == task.object_target and task.task_type == "pick_two_obj_and_place":
            count = max(count, 2)
        if otype in ("DeskLamp", "FloorLamp") and otype != task.toggle_target:
            continue
        if otype == task.toggle_target:
            count = 1
        homes = holders_of(otype)
        if otype == task.object_target:
            homes -= {task.parent_target}  # the goal must not hold at the start
        spots = [r for r in receptacles if receptacle_type(r) in homes
                 and receptacle_type(r) not in constants.MOVABLE_RECEPTACLES_SET]
        if not spots:
            if otype in (task.object_target, task.toggle_target):
                return None
            continue
        for _ in range(count):
            home = rng.choice(spots)
            objects[_object_id(otype, home, objects, rng)] = home
    x, z = rng.choice(room.points)
    return Layout(objects, location_name(x, z, 90 * rng.randrange(4), 30))


def _object_id(otype: str, home: str, taken: dict[str, str], rng: random.Random) -> str:
    """A THOR-style id near the receptacle's position (the ids only have to be unique)."""
    hx, hy, hz = (float(v) for v in home.split("|")[1:4])
    while True:
        x, y, z = (v + rng.uniform(-0.3, 0.3) for v in (hx, hy + 0.1, hz))
        object_id = f"{otype}|{x:+06.2f}|{y:+06.2f}|{z:+06.2f}"
        if object_id not in taken:
            return object_id


def problem_text(task: TaskSpec, room: Scene, layout: Layout, problem_id: str,
                 only: set[str] | None = None) -> str:
    """The PDDL problem in the shape of ALFWorld's initial_state.pddl.

    `only` keeps just the objects of these classes (every receptacle stays),
    the way ALFRED's planner saw a room: a problem small enough to plan in.
    """
    c = package().constants
    rtypes = sorted(c.RECEPTACLES - c.MOVABLE_RECEPTACLES_SET)
    otypes = sorted(c.OBJECTS_SET - set(rtypes))
    if only is not None:
        layout = Layout({o: r for o, r in layout.objects.items() if o.split("|")[0] in only},
                        layout.agent)
    otype_of = {o: o.split("|")[0] for o in layout.objects}
    receptacles = sorted(room.receptacles)
    location_of = {r: location_name(*room.receptacles[r]) for r in receptacles}
    locations = sorted(set(location_of.values()) | {layout.agent})
    scene_otypes = sorted(set(otype_of.values()))
    scene_rtypes = sorted({receptacle_type(r) for r in receptacles})

    def fact(*words: str) -> str:
        return f"        ({' '.join(words)})"

    def by_affordance(name: str, predicate: str) -> list[str]:
        return [fact(predicate, pddl_name(o)) for o in sorted(layout.objects)
                if otype_of[o] in c.VAL_ACTION_OBJECTS[name]]

    init = [fact("receptacleType", pddl_name(r), receptacle_type(r) + "Type") for r in receptacles]
    init += [fact("objectType", pddl_name(o), otype_of[o] + "Type") for o in sorted(layout.objects)]
    init += [fact("canContain", rt + "Type", ot + "Type") for rt in scene_rtypes
             for ot in scene_otypes if ot in c.VAL_RECEPTACLE_OBJECTS.get(rt, ())]
    init += [fact("pickupable", pddl_name(o)) for o in sorted(layout.objects)
             if otype_of[o] not in c.VAL_ACTION_OBJECTS["Toggleable"]]
    init += [fact("isReceptacleObject", pddl_name(o)) for o in sorted(layout.objects)
             if otype_of[o] in c.MOVABLE_RECEPTACLES_SET]
    init += [fact("openable", pddl_name(r)) for r in receptacles
             if receptacle_type(r) in c.OPENABLE_CLASS_SET]
    init += ["", fact("atLocation", "agent1", layout.agent), ""]
    init += by_affordance("Cleanable", "cleanable") + by_affordance("Heatable", "heatable")
    init += by_affordance("Coolable", "coolable") + by_affordance("Toggleable", "toggleable")
    init += by_affordance("Sliceable", "sliceable")
    init += [fact("inReceptacle", pddl_name(o), pddl_name(r))
             for o, r in sorted(layout.objects.items())]
    init += [fact("receptacleAtLocation", pddl_name(r), location_of[r]) for r in receptacles]
    init += [fact("objectAtLocation", pddl_name(o), location_of[r])
             for o, r in sorted(layout.objects.items())]

    declared = (["agent1 - agent"] + [f"{t}Type - otype" for t in otypes]
                + [f"{t}Type - rtype" for t in rtypes]
                + [f"{pddl_name(o)} - object" for o in sorted(layout.objects)]
                + [f"{pddl_name(r)} - receptacle" for r in receptacles]
                + [f"{loc} - location" for loc in locations])
    goal = package().goals[task.task_type]["pddl"].format(
        obj=task.object_target, recep=task.parent_target, toggle=task.toggle_target, mrecep="")
    return (f"\n(define (problem plan_{problem_id})\n(:domain alfred)\n(:objects\n        "
            + "\n        ".join(declared) + "\n        )\n\n(:init\n" + "\n".join(init)
            + "\n        )\n\n" + goal.replace("#", "-").strip() + "\n")


def traj_data(task: TaskSpec, split: str, index: int, seed: int, attempt: int,
              agent_pose: str) -> dict[str, Any]:
    """The traj_data.json fields alfworld's loader, grammar and expert read."""
    from gym_agents import __version__

    data: dict[str, Any] = {
        "task_id": trial_name(index),
        "task_type": task.task_type,
        "split": split,
        "repeat_idx": 0,
        "scene": {"floor_plan": f"FloorPlan{task.scene}", "scene_num": task.scene,
                  "random_seed": seed, "agent_start": agent_pose},
        "pddl_params": {"object_target": task.object_target,
                        "parent_target": task.parent_target,
                        "toggle_target": task.toggle_target,
                        "mrecep_target": "", "object_sliced": False},
        "generator": {"name": "gym-agents", "version": __version__, "seed": seed,
                      "attempt": attempt},
    }
    desc = templated_goal(data, seed)
    # No human annotations offline: the templated goal stands in for them, so
    # alfworld's `goal_desc_human_anns_prob` still finds a description.
    data["turk_annotations"] = {"anns": [{"task_desc": desc, "high_descs": [], "votes": [],
                                          "assignment_id": "templated"}]}
    return data


def templated_goal(data: dict[str, Any], seed: int) -> str:
    misc = import_alfworld("alfworld.agents.utils.misc")
    with _GLOBAL_RANDOM:  # alfworld draws the template from the global `random`
        state = random.getstate()
        random.seed(seed)
        try:
            return misc.get_templated_task_desc(data)
        finally:
            random.setstate(state)


def game_data(problem: str, traj: dict[str, Any]) -> dict[str, Any]:
    misc = import_alfworld("alfworld.agents.utils.misc")
    pkg = package()
    # Exactly what alfworld-generate writes, its grammar through alfworld's own
    # add_task_to_grammar (the single annotation is the templated goal).
    grammar = misc.add_task_to_grammar(pkg.grammar, traj, goal_desc_human_anns_prob=1.0,
                                       rng=random.Random(0))
    return {"pddl_domain": pkg.domain, "grammar": grammar, "pddl_problem": problem,
            "solvable": None, "walkthrough": None}


# -- solving ---------------------------------------------------------------------------


def engine(infos: Any | None = None) -> Any:
    """alfworld's TextWorld PDDL env: PddlEnv under AlfredDemangler and AlfredInfos."""
    textworld = require("textworld", "alfworld", "ALFWorld environments")
    envs = require("textworld.envs", "alfworld", "ALFWorld environments")
    tw_env = import_alfworld("alfworld.agents.environment.alfred_tw_env")
    infos = infos or textworld.EnvInfos(admissible_commands=True, won=True)
    try:
        pddl_env = envs.PddlEnv(infos)
    except ImportError as exc:  # textworld says this when fast_downward is missing
        raise EnvInfraError(f"{exc} (pip install 'gym-agents[alfworld]')") from exc
    return tw_env.AlfredInfos(tw_env.AlfredDemangler(pddl_env, shuffle=False))


def solve(data: dict[str, Any], planning: dict[str, Any],
          env: Any | None = None) -> list[str] | None:
    """The planner's walkthrough if replaying it wins the game, else None.

    fast-downward-textworld searches blind (uniform cost), which cannot
    finish on a full kitchen; it plans on `planning`, the same game with only
    the task's objects, and the plan is then replayed in the full game.
    Receptacles and the task's objects keep their names across the two (the
    demangler numbers each class by its sorted ids), so the commands carry over.
    """
    env = env or engine()
    with ENGINE_LOCK:
        env.load(planning)
        pddl = env.unwrapped
        plan = pddl._pddl_state.replan(pddl._entity_infos)  # fast-downward, as textworld does
        if not plan or len(plan) > MAX_PLAN_LENGTH:
            return None
        env.load(data)
        state = env.reset()
        for command in plan:
            if command not in state["admissible_commands"]:
                return None
            state, _, _ = env.step(command)
    return plan if state["won"] else None


# -- generating ------------------------------------------------------------------------


def make_game(split: str, task_type: str, index: int,
              env: Any | None = None) -> tuple[dict[str, Any], dict[str, Any], TaskSpec]:
    """(game.tw-pddl, traj_data.json, task) of a solvable game for this key."""
    split = resolve_split(split)
    check_game_key(split, task_type, index)
    env = env or engine()
    for attempt in range(MAX_ATTEMPTS):
        seed = game_seed(split, task_type, index, attempt)
        rng = random.Random(seed)
        task = sample_task(split, task_type, rng)
        layout = place_objects(task, scene(task.scene), rng)
        if layout is None:
            continue
        traj = traj_data(task, split, index, seed, attempt, layout.agent)
        room, name = scene(task.scene), trial_name(index)
        data = game_data(problem_text(task, room, layout, name), traj)
        relevant = {task.object_target, task.toggle_target} - {""}
        planning = game_data(problem_text(task, room, layout, name, only=relevant), traj)
        try:
            plan = solve(data, planning, env)
        except Exception as exc:  # a planner or engine crash: this draw is unusable
            raise EnvInfraError(f"alfworld's engine failed on {split}/{task_type}/{index} "
                                f"(attempt {attempt}): {exc!r}") from exc
        if plan is not None:
            data["solvable"], data["walkthrough"] = True, plan
            return data, traj, task
    raise EnvInfraError(f"no solvable {task_type} game for {split} index {index} "
                        f"in {MAX_ATTEMPTS} draws")


def task_folder_name(task: TaskSpec) -> str:
    second = task.parent_target or task.toggle_target
    return f"{task.task_type}-{task.object_target}-None-{second}-{task.scene}"


def ensure_game(split: str, task_type: str, index: int,
                root: str | os.PathLike[str] | None = None, env: Any | None = None) -> Path:
    """The trial folder of this game, generating it first if missing.

    Safe across threads and processes: the first caller generates under a
    file lock, and the trial folder appears by rename only when complete.
    """
    split = resolve_split(split)
    check_game_key(split, task_type, index)
    found = find_game(split, task_type, index, root)
    if found is not None:
        return found
    base = data_root(root) / DATA_FOLDER
    locks = base / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with _file_lock(locks / f"{split}-{task_type}-{index}.lock"):
        found = find_game(split, task_type, index, root)
        if found is not None:
            return found
        data, traj, task = make_game(split, task_type, index, env)
        target = base / split / task_folder_name(task) / trial_name(index)
        _write_atomically(target, {"game.tw-pddl": data, "traj_data.json": traj}, base)
    return target


def _write_atomically(target: Path, files: dict[str, Any], base: Path) -> None:
    # Built outside the split folders, so a loader walking them never sees half a game.
    (base / ".tmp").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="trial-", dir=base / ".tmp"))
    try:
        for name, content in files.items():
            (tmp / name).write_text(json.dumps(content, indent=1) + "\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def game_key(task_type: str, seed: int) -> tuple[str, int]:
    """(task type, index) that seed `seed` of a task type (or "all") plays.

    "all" cycles through the six types, so seeds 0..N-1 spread evenly over them.
    """
    if task_type == "all":
        return TASK_TYPES[seed % len(TASK_TYPES)], seed // len(TASK_TYPES)
    return task_type, seed
