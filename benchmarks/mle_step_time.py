"""MLE micro-tasks: reference solution time on the micro dataset against the full one, and
oracle episodes per minute at concurrency 1 and 4.

    .venv/bin/python benchmarks/mle_step_time.py [--tasks N | --only TASK...] [--repeats 3]

1. For each task of the shipped `micro` suite, runs its reference solution
   (solution/solve.py) on the micro split and on the full dataset it came from
   (every non-test row; the same test rows), twice each: as `python solve.py`
   (wall: what an episode's run_python step pays, interpreter start and
   imports included) and in this process with imports warm (work: read, fit,
   predict, write), keeping the fastest of --repeats runs. Prints both per
   task, their means and the ratios (goal: micro >= 10x faster), also over
   the tasks whose full dataset is at least 10x the micro one. Runs on the
   host's Python.
2. Runs oracle episodes (reset, run_python(solve.py), submit) in docker
   sandboxes with 1 and 4 episodes at once and prints episodes/minute.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gym_agents.environments.mle.builder import sample_submission, split
from gym_agents.environments.mle.catalogue import by_name
from gym_agents.environments.mle.env import MleEnv
from gym_agents.environments.mle.references import run_here
from gym_agents.environments.mle.suite import Task, load_suite


def run_process(task: Task, folder: Path) -> float:
    """Seconds `python solve.py` takes in `folder`: what a run_python step pays."""
    shutil.copy(task.folder / "solution" / "solve.py", folder / "solve.py")
    start = time.perf_counter()
    subprocess.run([sys.executable, "solve.py"], cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - start


def run_in_process(task: Task, folder: Path) -> float:
    """Seconds of the script's own work (read, fit, predict, write), imports already warm."""
    start = time.perf_counter()
    run_here(task.solution, folder)
    return time.perf_counter() - start


def full_folder(task: Task, root: Path) -> tuple[Path, int]:
    spec = by_name()[task.name]
    train, test, _ = split(spec, task.meta["seed"], full=True)
    folder = root / f"{task.name}-full"
    folder.mkdir()
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    sample_submission(spec, train, test, task.classes).to_csv(
        folder / "sample_submission.csv", index=False)
    return folder, len(train)


def solution_times(tasks: list[Task], repeats: int) -> None:
    times: dict[str, list[float]] = {"micro wall": [], "full wall": [], "micro work": [],
                                     "full work": []}
    big: dict[str, list[float]] = {"micro work": [], "full work": []}  # full >= 10x micro rows
    print(f"{'task':24s} {'rows':>5s} {'wall s':>7s} {'work s':>7s} | {'rows':>6s} "
          f"{'wall s':>7s} {'work s':>7s} | {'wall':>6s} {'work':>6s}")
    with tempfile.TemporaryDirectory(prefix="mle-bench-") as tmp:
        warm = Path(tmp) / "warm-up"
        shutil.copytree(tasks[0].environment_dir, warm)
        run_in_process(tasks[0], warm)  # pay the imports before the clock matters
        for task in tasks:
            micro_dir = Path(tmp) / task.name
            shutil.copytree(task.environment_dir, micro_dir)
            full_dir, full_rows = full_folder(task, Path(tmp))
            # The best of `repeats` runs: on a shared machine, noise only ever adds time.
            row = {"micro wall": min(run_process(task, micro_dir) for _ in range(repeats)),
                   "micro work": min(run_in_process(task, micro_dir) for _ in range(repeats)),
                   "full wall": min(run_process(task, full_dir) for _ in range(repeats)),
                   "full work": min(run_in_process(task, full_dir) for _ in range(repeats))}
            for key, value in row.items():
                times[key].append(value)
                if key in big and full_rows >= 10 * task.meta["n_train"]:
                    big[key].append(value)
            print(f"{task.name:24s} {task.meta['n_train']:5d} {row['micro wall']:7.2f} "
                  f"{row['micro work']:7.2f} | {full_rows:6d} {row['full wall']:7.2f} "
                  f"{row['full work']:7.2f} | {row['full wall'] / row['micro wall']:5.1f}x "
                  f"{row['full work'] / row['micro work']:5.1f}x", flush=True)
    mean = {key: statistics.mean(values) for key, values in times.items()}
    print(f"\nmean per reference run over {len(tasks)} tasks (goal: micro >= 10x faster):\n"
          f"  wall (python solve.py, interpreter start and imports included): micro "
          f"{mean['micro wall']:.2f}s, full {mean['full wall']:.2f}s: "
          f"{mean['full wall'] / mean['micro wall']:.1f}x\n"
          f"  work (read, fit, predict, write; imports warm): micro {mean['micro work']:.2f}s, "
          f"full {mean['full work']:.2f}s: {mean['full work'] / mean['micro work']:.1f}x")
    if big["micro work"]:
        micro, full = statistics.mean(big["micro work"]), statistics.mean(big["full work"])
        print(f"  work, the {len(big['micro work'])} tasks whose full dataset has >= 10x the "
              f"micro rows: micro {micro:.2f}s, full {full:.2f}s: {full / micro:.1f}x")


async def oracle_episodes(concurrency: int, episodes: int, task_ids: list[str]) -> float:
    """Episodes per minute with `concurrency` envs playing the oracle at once."""
    envs = [MleEnv("micro", task_ids=task_ids) for _ in range(concurrency)]
    for env in envs:  # start the pools (and build the image) before the clock starts
        env.pool().wait_warm(120)
    queue = list(range(episodes))

    async def worker(env: MleEnv) -> None:
        while queue:
            seed = queue.pop()
            await env.reset_async(seed=seed)
            while True:
                result = await env.step_async(env.oracle_action())
                if result.terminated or result.truncated:
                    if not result.info.get("success"):
                        raise RuntimeError(f"oracle failed on seed {seed}: {result[0].text}")
                    break

    start = time.perf_counter()
    try:
        await asyncio.gather(*(worker(env) for env in envs))
    finally:
        for env in envs:
            env.close()
    return episodes / (time.perf_counter() - start) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=0, help="first N tasks (default: all)")
    parser.add_argument("--only", nargs="*", default=[], metavar="TASK", help="only these tasks")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per task and size; the fastest counts (default: 3)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per concurrency")
    parser.add_argument("--skip-episodes", action="store_true", help="only part 1")
    parser.add_argument("--skip-solutions", action="store_true", help="only part 2")
    args = parser.parse_args()
    tasks = load_suite("micro")
    tasks = [t for t in tasks if not args.only or t.name in args.only]
    tasks = tasks[:args.tasks] if args.tasks else tasks
    if not args.skip_solutions:
        solution_times(tasks, args.repeats)
    if args.skip_episodes:
        return
    task_ids = [t.name for t in tasks]
    rates = {c: asyncio.run(oracle_episodes(c, args.episodes, task_ids)) for c in (1, 4)}
    print(f"\noracle episodes/minute (docker, {args.episodes} episodes): "
          f"concurrency 1: {rates[1]:.1f}, concurrency 4: {rates[4]:.1f} "
          f"({rates[4] / rates[1]:.2f}x)")


if __name__ == "__main__":
    main()
