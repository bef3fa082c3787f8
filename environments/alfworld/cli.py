"""`gym-agents alfworld generate`: make ALFWorld games offline, the official way on disk.

Envs generate a missing game on `reset`, but a kitchen costs seconds; training
and eval runs pre-generate their games here, in parallel.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from gym_agents.environments.alfworld import generate
from gym_agents.errors import ConfigError, GymAgentsError

EPILOG = """\
examples:
  gym-agents alfworld generate --n 200                  # seeds 0-199 of alfworld/all-v0 (train)
  gym-agents alfworld generate --n 60 --split valid_unseen --out data/alfworld
  gym-agents alfworld generate --n 20 --task pick_heat_then_place_in_recep --seed 100

Seed k of task "all" is game k//6 of task type k%6, so `--n N` makes exactly the
games `alfworld/all-v0` plays for seeds S..S+N-1. Games go to
OUT/json_2.1.1/<split>/<task_type>-<Obj>-None-<Parent>-<FloorPlan>/trial_G<index>/
(default OUT: $GYM_AGENTS_CACHE/alfworld); point ALFWORLD_DATA at OUT to play
them with alfworld's own tools. A game already there is not generated again.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "alfworld", help="ALFWorld tools (generate games)",
        description="Tools for the ALFWorld family.")
    commands = parser.add_subparsers(dest="alfworld_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    gen = commands.add_parser(
        "generate", help="generate solvable ALFWorld games from the alfworld package's data",
        description="Generate ALFWorld games (game.tw-pddl + traj_data.json), keeping those "
                    "the planner solves, in parallel.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    gen.add_argument("--n", type=int, default=60, help="how many games (default: %(default)s)")
    gen.add_argument("--seed", type=int, default=0,
                     help="the first seed; games are seeds SEED..SEED+N-1 (default: %(default)s)")
    gen.add_argument("--task", default="all", choices=("all", *generate.TASK_TYPES),
                     help="task type, or all six in turn (default: %(default)s)")
    gen.add_argument("--split", default="train",
                     choices=generate.SPLITS + tuple(generate.SPLIT_ALIASES),
                     help="train, valid_seen or valid_unseen (held-out floor plans); "
                          "test = valid_unseen (default: %(default)s)")
    gen.add_argument("--out", default=None,
                     help="data folder that gets json_2.1.1/ (default: $GYM_AGENTS_CACHE/alfworld)")
    gen.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                     help="worker processes (default: the number of CPUs, %(default)s)")
    gen.set_defaults(func=run_generate)


@dataclass(frozen=True)
class Job:
    split: str
    task_type: str
    index: int
    root: str | None


@dataclass(frozen=True)
class Outcome:
    job: Job
    seconds: float
    error: str | None = None


def plan_jobs(n: int, seed: int, task: str, split: str, root: str | None) -> list[Job]:
    if n < 1 or seed < 0:
        raise ConfigError(f"--n must be at least 1 and --seed at least 0; got {n} and {seed}")
    split = generate.resolve_split(split)
    return [Job(split, *generate.game_key(task, s), root) for s in range(seed, seed + n)]


def run_generate(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1; got {args.jobs}")
    jobs = plan_jobs(args.n, args.seed, args.task, args.split, args.out)
    for job in jobs:
        generate.check_game_key(job.split, job.task_type, job.index)
    generate.package()  # fail here, once, if alfworld is missing
    todo = [j for j in jobs if generate.find_game(j.split, j.task_type, j.index, j.root) is None]
    outcomes = run_pool(todo, args.jobs)
    print_summary(jobs, outcomes, generate.data_root(args.out))
    return 1 if any(o.error for o in outcomes) else 0


def _generate_one(job: Job) -> Outcome:
    start = time.perf_counter()
    try:
        generate.ensure_game(job.split, job.task_type, job.index, job.root, env=_worker_engine())
    except GymAgentsError as exc:  # report it with the others; one bad game must not stop the run
        return Outcome(job, time.perf_counter() - start, str(exc))
    return Outcome(job, time.perf_counter() - start)


_ENGINE = None


def _worker_engine():
    """One engine per worker process (loading fast-downward's library costs a second)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = generate.engine()
    return _ENGINE


def run_pool(jobs: list[Job], workers: int) -> list[Outcome]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    outcomes: list[Outcome] = []
    if not jobs:
        return outcomes
    columns = ("[progress.description]{task.description}", BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress, ProcessPoolExecutor(min(workers, len(jobs))) as pool:
        task = progress.add_task("generating ALFWorld games", total=len(jobs))
        for future in as_completed([pool.submit(_generate_one, job) for job in jobs]):
            outcome = future.result()
            outcomes.append(outcome)
            if outcome.error:
                progress.console.print(f"[red]failed[/red] {outcome.job.task_type} "
                                       f"#{outcome.job.index}: {outcome.error}")
            progress.advance(task)
    return outcomes


def print_summary(jobs: list[Job], outcomes: list[Outcome], root: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ALFWorld games ({jobs[0].split})")
    for name in ("task type", "games", "cached", "generated", "failed", "s/game"):
        table.add_column(name, justify="left" if name == "task type" else "right")
    for task_type in dict.fromkeys(j.task_type for j in jobs):
        done = [o for o in outcomes if o.job.task_type == task_type]
        made = [o for o in done if not o.error]
        total = sum(j.task_type == task_type for j in jobs)
        mean = sum(o.seconds for o in made) / len(made) if made else 0.0
        table.add_row(task_type, str(total), str(total - len(done)), str(len(made)),
                      str(len(done) - len(made)), f"{mean:.2f}" if made else "-")
    console = Console()
    console.print(table)
    console.print(f"games are in {root / generate.DATA_FOLDER / jobs[0].split}; "
                  f"ALFWORLD_DATA={root} plays them with alfworld's own tools")
