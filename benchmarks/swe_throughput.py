"""SWE episode throughput, measured side by side in one run; prints ratios.

    .venv/bin/python benchmarks/swe_throughput.py                # ~3-5 minutes on 2 cores
    .venv/bin/python benchmarks/swe_throughput.py --tasks 6 --episodes 16

1. Episode setup (a sandbox holding the repository at the buggy state, ready
   for the first tool call): from a warm `SandboxPool` vs opening one cold.
2. Grading (gold patch applied on a clean sandbox + the package's test suite),
   per task.
3. Oracle episodes per minute at concurrency 1, 4 and 8 (one SweEnv per
   worker thread, each with its own pool of one warm sandbox).

Needs the Docker Engine; the starter suite's image is built on first use.
The machine may be shared: only the ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from gym_agents import sandboxes
from gym_agents.environments.swe import grader
from gym_agents.environments.swe.env import SweEnv
from gym_agents.environments.swe.suite import ensure_image, load_suite
from gym_agents.environments.swe.testrun import setup_repo

LIMITS = sandboxes.Limits(memory="2g", pids=512, timeout=120)


def mean_s(times: list[float]) -> str:
    return f"{statistics.mean(times):6.2f} s (median {statistics.median(times):.2f})"


def setup_times(suite, instances, image: str) -> None:
    print("\n== episode setup: sandbox ready with the repository at the buggy state ==")
    cold, warm = [], []
    with sandboxes.SandboxPool("docker", image=image, size=1, limits=LIMITS) as pool:
        for instance in instances:
            package = suite.package(instance["repo"].removeprefix("pypi/"), instance["version"])
            start = time.perf_counter()
            with sandboxes.open("docker", image=image, limits=LIMITS) as sb:
                setup_repo(sb, package, instance["bug_patch"])
                cold.append(time.perf_counter() - start)
            pool.wait_warm(120)
            start = time.perf_counter()
            sb = pool.acquire()
            setup_repo(sb, package, instance["bug_patch"])
            warm.append(time.perf_counter() - start)
            pool.release(sb)
    print(f"{'cold (open + setup)':<30}{mean_s(cold)}")
    print(f"{'warm pool (acquire + setup)':<30}{mean_s(warm)}")
    print(f"warm pool is {statistics.mean(cold) / statistics.mean(warm):.1f}x faster")


def grading_times(suite, instances, image: str) -> None:
    print("\n== grading: gold patch on a clean sandbox + the test suite ==")
    with sandboxes.SandboxPool("docker", image=image, size=1, limits=LIMITS) as pool:
        for instance in instances:
            package = suite.package(instance["repo"].removeprefix("pypi/"), instance["version"])
            pool.wait_warm(120)
            with pool.sandbox() as sb:
                start = time.perf_counter()
                grade = grader.grade(sb, package, instance, instance["patch"])
                seconds = time.perf_counter() - start
            tests = len(instance["FAIL_TO_PASS"]) + len(instance["PASS_TO_PASS"])
            print(f"{instance['instance_id']:<64} {seconds:6.2f} s  {tests:4d} tests  "
                  f"resolved={grade.resolved}")


def oracle_episode(env: SweEnv, seed: int) -> bool:
    env.reset(seed=seed)
    while True:
        _, _, terminated, truncated, info = env.step(env.oracle_action())
        if terminated or truncated:
            return bool(info.get("success"))


def episodes_per_minute(ids: list[str], concurrency: int, episodes: int) -> tuple[float, int]:
    envs = [SweEnv("starter", instance_ids=ids) for _ in range(concurrency)]
    try:
        for env in envs:  # start each pool before the clock: steady state, not start-up
            env.pool().wait_warm(120)
        seeds = list(range(episodes))
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as workers:
            chunks = [seeds[i::concurrency] for i in range(concurrency)]
            done = workers.map(lambda pair: [oracle_episode(pair[0], s) for s in pair[1]],
                               zip(envs, chunks, strict=True))
            solved = sum(sum(chunk) for chunk in done)
        return episodes / (time.perf_counter() - start) * 60, solved
    finally:
        for env in envs:
            env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=4, help="starter tasks to time")
    parser.add_argument("--episodes", type=int, default=16, help="episodes per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 4, 8])
    args = parser.parse_args()
    suite, instances = load_suite("starter")
    # Spread over the packages: every k-th instance.
    step = max(1, len(instances) // args.tasks)
    chosen = instances[::step][:args.tasks]
    image = ensure_image(suite)
    setup_times(suite, chosen, image)
    grading_times(suite, chosen, image)
    print("\n== oracle episodes per minute (reset, gold patch via bash, submit + grading) ==")
    base = None
    for concurrency in args.concurrency:
        rate, solved = episodes_per_minute([i["instance_id"] for i in chosen], concurrency,
                                           args.episodes)
        base = base or rate
        print(f"concurrency {concurrency:2d}: {rate:6.1f} episodes/min  "
              f"({solved}/{args.episodes} solved, {rate / base:.2f}x concurrency 1)")


if __name__ == "__main__":
    main()
