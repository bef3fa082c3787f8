"""Sandbox latency, measured side by side in one run; prints ratios.

    .venv/bin/python benchmarks/sandbox_latency.py             # all of it (~2-3 minutes)
    .venv/bin/python benchmarks/sandbox_latency.py --episodes 40 --repeats 100

1. exec("true") round trip p50: our docker backend (persistent session) vs
   the docker SDK's `exec_run` on the same container; our bwrap backend vs a
   bare `subprocess.run`.
2. Handing out a clean sandbox: a warm `SandboxPool` vs opening one cold, and
   vs a raw `docker run`.
3. Leaks: N episodes through pools of 8 in worker processes that are SIGKILLed
   at random; containers left after `reap` (goal: 0).

Needs the Docker Engine and `gym-agents sandbox build`. The machine may be
shared: only the ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from gym_agents import sandboxes
from gym_agents.sandboxes import reaper
from gym_agents.sandboxes.docker_engine import DEFAULT_IMAGE, docker_client

LIMITS = sandboxes.Limits(memory="512m", pids=128)


def p50_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def row(name: str, ours: float, baseline: float, baseline_name: str, goal: str) -> None:
    print(f"{name:<34} {ours:9.2f} ms  vs {baseline_name:<24} {baseline:9.2f} ms  "
          f"ratio {baseline / ours:6.1f}x   ({goal})")


def exec_latency(repeats: int) -> None:
    print("\n== exec('true') round trip, p50 ==")
    with sandboxes.open("docker", limits=LIMITS) as sb:
        ours = p50_ms(lambda: sb.exec("true"), repeats)
        raw = p50_ms(lambda: sb.container.exec_run("true"), max(10, repeats // 5))
    row("docker backend exec", ours, raw, "raw SDK exec_run", "goal >= 5x")
    with sandboxes.open("bwrap", limits=LIMITS) as sb:
        ours = p50_ms(lambda: sb.exec("true"), repeats)
    bare = p50_ms(lambda: subprocess.run(["true"]), repeats)
    per_call = p50_ms(lambda: subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "true"]), max(10, repeats // 5))
    print(f"{'bwrap backend exec':<34} {ours:9.2f} ms  vs {'bare subprocess.run':<24} "
          f"{bare:9.2f} ms  slowdown {ours / bare:5.1f}x   (goal <= 5x)")
    print(f"{'  (one bwrap process per call)':<34} {per_call:9.2f} ms")


def handout_latency(repeats: int) -> None:
    print("\n== handing out a clean sandbox, p50 ==")
    client = docker_client()
    cold_raw = p50_ms(lambda: client.containers.run(
        DEFAULT_IMAGE, ["true"], remove=True, network_mode="none"), max(5, repeats // 10))
    cold_ours = p50_ms(lambda: sandboxes.open("docker", limits=LIMITS).close(),
                       max(5, repeats // 10))
    with sandboxes.SandboxPool("docker", size=4, limits=LIMITS) as pool:
        pool.wait_warm(120)
        times = []
        for _ in range(max(10, repeats // 10)):
            pool.wait_warm(120)  # measure the warm case: the pool had time to refill
            start = time.perf_counter()
            sb = pool.acquire()
            times.append(time.perf_counter() - start)
            pool.release(sb)
        warm = statistics.median(times) * 1000
    row("docker pool acquire (warm)", warm, cold_raw, "cold raw `docker run`", "goal >= 10x")
    row("docker pool acquire (warm)", warm, cold_ours, "cold sandboxes.open()", "")
    with sandboxes.SandboxPool("bwrap", size=4, limits=LIMITS) as pool:
        pool.wait_warm(60)
        times = []
        for _ in range(max(10, repeats // 10)):
            pool.wait_warm(60)
            start = time.perf_counter()
            sb = pool.acquire()
            times.append(time.perf_counter() - start)
            pool.release(sb)
        warm = statistics.median(times) * 1000
    cold = p50_ms(lambda: sandboxes.open("bwrap", limits=LIMITS).close(), max(5, repeats // 10))
    row("bwrap pool acquire (warm)", warm, cold, "cold bwrap open()", "")


WORKER = """
import sys, threading
from gym_agents import sandboxes
pool = sandboxes.SandboxPool("docker", size=8, limits=sandboxes.Limits(memory="256m", pids=64))
lock = threading.Lock()

def episodes():
    while True:
        with pool.sandbox() as sb:
            sb.write_file("task.py", "print(sum(range(10)))")
            assert sb.exec("python3 task.py").stdout == "45\\n"
        with lock:
            print("done", flush=True)

for _ in range(8):
    threading.Thread(target=episodes, daemon=True).start()
threading.Event().wait()
"""


def leak_check(episodes: int, seed: int = 0) -> None:
    print(f"\n== {episodes} episodes through pools of 8, worker SIGKILLed at random ==")
    rng = random.Random(seed)
    client = docker_client()
    before = {name for name, _ in reaper.labelled(client)}
    done = kills = 0
    start = time.perf_counter()
    repo = Path(__file__).resolve().parent.parent
    while done < episodes:
        worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE,
                                  text=True, cwd=repo)
        quota = min(episodes - done, rng.randint(10, 40))
        for _ in range(quota):
            if not worker.stdout.readline():
                break
            done += 1
        worker.kill()  # SIGKILL: no atexit, no finally
        worker.wait()
        kills += 1
    elapsed = time.perf_counter() - start
    time.sleep(2)  # let the daemon finish auto-removing
    left = {name for name, _ in reaper.labelled(client)} - before
    removed = reaper.reap(client)
    after = {name for name, _ in reaper.labelled(client)} - before
    print(f"episodes {done}, workers killed {kills}, {elapsed:.1f} s "
          f"({done / elapsed:.1f} episodes/s)")
    print(f"containers left before reap: {len(left)}, removed by reap: {len(removed)}, "
          f"left after reap: {len(after)}   (goal: 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=300, help="samples per p50")
    parser.add_argument("--episodes", type=int, default=200)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, docker {docker_client().version()['Version']}")
    exec_latency(args.repeats)
    handout_latency(args.repeats)
    leak_check(args.episodes)


if __name__ == "__main__":
    main()
