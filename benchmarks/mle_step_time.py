"""MLE micro-tasks: reference solution time on the micro dataset against the full one, and
oracle episodes per minute at concurrency 1 and 4.

    .venv/bin/python benchmarks/mle_step_time.py [--tasks 23] [--episodes 8] [--repeats 1]

1. For each task of the shipped `micro` suite, runs its reference solution
   (solution/solve.py, `python3 solve.py` in a fresh folder, as an episode's
   run_python does) on the micro split and on the full dataset it came from
   (every non-test row; the same test rows), and prints the mean wall time of
   each and their ratio (goal: micro >= 10x faster). The full runs use the
   catalogue's loaders (scikit-learn, statsmodels, palmerpenguins, generators).
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
from gym_agents.environments.mle.suite import Task, load_suite


def run_solution(task: Task, folder: Path) -> float:
    """Seconds `python solve.py` takes in `folder` (train.csv and test.csv there)."""
    shutil.copy(task.folder / "solution" / "solve.py", folder / "solve.py")
    start = time.perf_counter()
    subprocess.run([sys.executable, "solve.py"], cwd=folder, check=True, capture_output=True)
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
    micro_times, full_times = [], []
    print(f"{'task':28s} {'rows':>6s} {'micro s':>8s} {'rows':>6s} {'full s':>8s} {'ratio':>6s}")
    with tempfile.TemporaryDirectory(prefix="mle-bench-") as tmp:
        for task in tasks:
            micro_dir = Path(tmp) / task.name
            shutil.copytree(task.environment_dir, micro_dir)
            full_dir, full_rows = full_folder(task, Path(tmp))
            micro = statistics.mean(run_solution(task, micro_dir) for _ in range(repeats))
            full = statistics.mean(run_solution(task, full_dir) for _ in range(repeats))
            micro_times.append(micro)
            full_times.append(full)
            print(f"{task.name:28s} {task.meta['n_train']:6d} {micro:8.2f} {full_rows:6d} "
                  f"{full:8.2f} {full / micro:5.1f}x", flush=True)
    mean_micro, mean_full = statistics.mean(micro_times), statistics.mean(full_times)
    print(f"\nmean wall time per reference run: micro {mean_micro:.2f}s, full {mean_full:.2f}s: "
          f"micro is {mean_full / mean_micro:.1f}x faster (goal >= 10x)")


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
    parser.add_argument("--repeats", type=int, default=1, help="runs per task and size")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per concurrency")
    parser.add_argument("--skip-episodes", action="store_true", help="only part 1")
    args = parser.parse_args()
    tasks = load_suite("micro")
    tasks = tasks[:args.tasks] if args.tasks else tasks
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
