"""`gym-agents mle build|validate`: make MLE micro-task suites and re-check them."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

EPILOG = """\
examples:
  gym-agents mle build --out tasks/mle/micro            # every task of the catalogue
  gym-agents mle build --out /tmp/mine --only digits-recognition wine-cultivar --seed 1
  gym-agents mle validate micro                          # a shipped suite, by name
  gym-agents mle validate /tmp/mine --jobs 2
  gym-agents eval --env mle/micro-v0 --agent oracle --episodes 5

A task folder is Harbor-style: instruction.md, task.toml (metric, medals,
leaderboard), environment/ (train.csv, test.csv, sample_submission.csv: what
the sandbox gets), tests/ (hidden labels and the grader: host only) and
solution/solve.py (the reference). Building needs `pip install
'gym-agents[mle]'` (the datasets ship inside those packages; no network);
validating needs Docker.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "mle", help="build and validate MLE micro-task suites (hidden-label grading, medals)",
        description="Tools for the MLE family.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mle_command", metavar="ACTION", required=True)

    b = sub.add_parser(
        "build", help="make task folders from packaged datasets, with leaderboards and medals",
        description="Sub-sample each dataset of the catalogue to micro scale, write its task "
                    "folder, rank a pool of reference solutions into a leaderboard and keep "
                    "the tasks whose leaderboard is not saturated.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("--out", required=True, help="the suite folder to write")
    b.add_argument("--only", nargs="*", default=[], metavar="TASK",
                   help="build only these catalogue tasks")
    b.add_argument("--seed", type=int, default=0, help="split seed (default: 0)")
    b.add_argument("--keep-saturated", action="store_true",
                   help="keep tasks whose leaderboard is saturated")
    b.set_defaults(func=build)

    v = sub.add_parser("validate", help="reference gets a medal, sample submission does not",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("suite", help="a suite folder, or the name of a shipped suite")
    v.add_argument("--only", nargs="*", default=[], metavar="TASK", help="check only these")
    v.add_argument("--jobs", type=int, default=2, help="sandboxes at once (default: 2)")
    v.add_argument("--backend", default="docker", help="sandbox backend (default: docker)")
    v.set_defaults(func=validate)


def build(args: argparse.Namespace) -> int:
    from gym_agents.environments.mle.builder import build_suite
    from gym_agents.environments.mle.catalogue import CATALOGUE
    from gym_agents.errors import ConfigError

    unknown = sorted(set(args.only) - {s.name for s in CATALOGUE})
    if unknown:
        raise ConfigError(f"no catalogue tasks {unknown}; choose from "
                          f"{[s.name for s in CATALOGUE]}")
    console = Console()
    total = len(args.only) or len(CATALOGUE)
    table = Table(title=f"MLE tasks in {args.out}")
    for column in ("task", "kept", "sample", "bronze", "gold", "why dropped"):
        table.add_column(column, overflow="fold")
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("building tasks", total=total)

        def done(built) -> None:
            progress.advance(bar)
            g = built.medals
            row = [f"{g[k]:.4g}" if k in g else "-" for k in ("baseline", "bronze", "gold")]
            table.add_row(built.name, "yes" if built.kept else "[yellow]no[/yellow]", *row,
                          built.why)

        results = build_suite(Path(args.out), names=args.only, seed=args.seed,
                              keep_saturated=args.keep_saturated, on_done=done)
    console.print(table)
    kept = sum(b.kept for b in results)
    console.print(f"[green]{kept} tasks[/green] in {args.out}; check them with "
                  f"`gym-agents mle validate {args.out}`")
    return 0 if kept else 1


def validate(args: argparse.Namespace) -> int:
    from gym_agents.environments.mle.suite import load_suite
    from gym_agents.environments.mle.validate import validate_suite
    from gym_agents.errors import ConfigError

    console = Console()
    tasks = load_suite(args.suite)
    if args.only:
        tasks = [t for t in tasks if t.name in set(args.only)]
        if not tasks:
            raise ConfigError(f"none of {args.only} is in {args.suite}")
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(f"validating {args.suite}", total=len(tasks))
        checks = validate_suite(tasks, backend=args.backend, jobs=args.jobs,
                                on_done=lambda c: progress.advance(bar))
    broken = [c for c in checks if not c.ok]
    table = Table(title=f"{args.suite}: {len(checks) - len(broken)}/{len(checks)} valid")
    for column in ("task", "ok", "score", "medal", "seconds", "problem"):
        table.add_column(column, overflow="fold")
    for c in checks:
        table.add_row(c.task, "yes" if c.ok else "[red]NO[/red]",
                      "-" if c.score is None else f"{c.score:.4g}", c.medal or "-",
                      f"{c.seconds:.1f}", c.problem)
    console.print(table)
    return 1 if broken else 0
