"""`gym-agents textworld generate`: pre-generate TextWorld games into the cache.

Envs generate a missing game on `reset`, but that costs seconds inside an
episode; training and eval runs pre-generate their seeds here, in parallel.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from gym_agents.environments.textworld import generate
from gym_agents.errors import ConfigError, GymAgentsError

EPILOG = """\
examples:
  gym-agents textworld generate --env textworld/cooking-medium-v0 --split test --seeds 0-19
  gym-agents textworld generate --env textworld/simple-v0 --env textworld/coin_collector-hard-v0 \\
      --split train --seeds 0-99 --jobs 4
  gym-agents textworld generate --env textworld/treasure_hunter-hard-v0 --split test --seeds 0-4,10

Games go to $GYM_AGENTS_CACHE/textworld/<challenge>-<level>/<split>-<seed>.z8
(default ~/.cache/gym_agents); a game already there is not generated again.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "textworld", help="TextWorld tools (generate games)",
        description="Tools for the TextWorld family.")
    commands = parser.add_subparsers(dest="textworld_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    gen = commands.add_parser(
        "generate", help="pre-generate games for some envs, splits and seeds",
        description="Generate TextWorld games with TextWorld's own generator, in parallel.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    gen.add_argument("--env", action="append", required=True, metavar="ID",
                     help="a textworld/... env id; repeat for several")
    gen.add_argument("--split", choices=generate.SPLITS, default="train",
                     help="which split's seeds (default: %(default)s)")
    gen.add_argument("--seeds", default="0-19", type=parse_seeds,
                     help="seeds as ranges and lists, e.g. 0-19 or 0-4,10 (default: %(default)s)")
    gen.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                     help="worker processes (default: the number of CPUs, %(default)s)")
    gen.add_argument("--cache-dir", default=None,
                     help="root folder for games (default: $GYM_AGENTS_CACHE/textworld)")
    gen.set_defaults(func=run_generate)


def parse_seeds(text: str) -> list[int]:
    """'0-19' or '0-4,10,12' -> sorted unique seeds."""
    seeds: set[int] = set()
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            first, _, last = part.partition("-")
            seeds.update(range(int(first), int(last or first) + 1))
    except ValueError:
        message = f"seeds must look like 0-19 or 0-4,10; got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given")
    return sorted(seeds)


@dataclass(frozen=True)
class Job:
    env_id: str
    challenge: str
    level: str
    split: str
    seed: int
    root: str | None


@dataclass(frozen=True)
class Outcome:
    job: Job
    seconds: float
    error: str | None = None


def run_generate(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1; got {args.jobs}")
    jobs = [Job(env_id, *_game_kind(env_id), args.split, seed, args.cache_dir)
            for env_id in dict.fromkeys(args.env) for seed in args.seeds]
    for job in jobs:
        generate.check_game_key(job.challenge, job.level, job.split, job.seed)
    todo = [j for j in jobs if not _cached(j)]
    outcomes = _run_pool(todo, args.jobs)
    _print_summary(jobs, outcomes)
    return 1 if any(o.error for o in outcomes) else 0


def _game_kind(env_id: str) -> tuple[str, str]:
    """(challenge, level) of a registered TextWorld env id."""
    import gym_agents

    kwargs = gym_agents.spec(env_id).kwargs
    if "challenge" not in kwargs:
        raise GymAgentsError(f"{env_id} is not a TextWorld env; see `gym-agents list`")
    return kwargs["challenge"], kwargs.get("level", "easy")


def _cached(job: Job) -> bool:
    return generate.game_path(job.challenge, job.level, job.split, job.seed, job.root).exists()


def _generate_one(job: Job) -> Outcome:
    start = time.perf_counter()
    try:
        generate.ensure_game(job.challenge, job.level, job.split, job.seed, job.root)
    except GymAgentsError as exc:  # report it with the others; one bad seed must not stop the run
        return Outcome(job, time.perf_counter() - start, str(exc))
    return Outcome(job, time.perf_counter() - start)


def _run_pool(jobs: list[Job], workers: int) -> list[Outcome]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    outcomes: list[Outcome] = []
    if not jobs:
        return outcomes
    columns = ("[progress.description]{task.description}", BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress, ProcessPoolExecutor(workers) as pool:
        task = progress.add_task("generating games", total=len(jobs))
        for future in as_completed([pool.submit(_generate_one, job) for job in jobs]):
            outcome = future.result()
            outcomes.append(outcome)
            if outcome.error:
                progress.console.print(f"[red]failed[/red] {outcome.job.env_id} "
                                       f"seed {outcome.job.seed}: {outcome.error}")
            progress.advance(task)
    return outcomes


def _print_summary(jobs: list[Job], outcomes: list[Outcome]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"TextWorld games ({jobs[0].split} split)" if jobs else "TextWorld games")
    for name in ("env", "games", "cached", "generated", "failed", "s/game"):
        table.add_column(name, justify="left" if name == "env" else "right")
    for env_id in dict.fromkeys(j.env_id for j in jobs):
        done = [o for o in outcomes if o.job.env_id == env_id]
        made = [o for o in done if not o.error]
        total = sum(j.env_id == env_id for j in jobs)
        mean = sum(o.seconds for o in made) / len(made) if made else 0.0
        table.add_row(env_id, str(total), str(total - len(done)), str(len(made)),
                      str(len(done) - len(made)), f"{mean:.2f}" if made else "-")
    Console().print(table)
    if jobs:
        folder = generate.game_folder(jobs[0].challenge, jobs[0].level, jobs[0].root).parent
        Console().print(f"games are in {folder}")
