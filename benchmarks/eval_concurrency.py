"""Speed-up of `gym-agents eval` at concurrency 16 over concurrency 1.

The agent waits 100 ms per turn, standing in for an LLM's latency; the env
is a real TextWorld game. Both runs evaluate the same episodes (games are
generated before timing), side by side in one process.

    .venv/bin/python benchmarks/eval_concurrency.py [--episodes 32] [--delay 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from gym_agents.evaluation import EvalConfig, run_eval

GOAL = 10.0


def time_eval(env_id: str, episodes: int, concurrency: int, delay: float, out: str) -> float:
    config = EvalConfig([env_id], agent="oracle", agent_kwargs={"delay": delay},
                        episodes=episodes, concurrency=concurrency, out=out)
    start = time.perf_counter()
    summary = asyncio.run(run_eval(config))
    elapsed = time.perf_counter() - start
    stats = summary["envs"][env_id]
    if stats["episodes"] != episodes or stats["success_rate"] != 1.0:
        raise SystemExit(f"benchmark run went wrong: {stats}")
    return elapsed


def eval_concurrency_speedup(env_id: str = "textworld/simple-v0", episodes: int = 32,
                             delay: float = 0.1, high: int = 16) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        # Warm-up run: generates (and caches) the games so neither timing includes it.
        time_eval(env_id, episodes, high, 0.0, f"{tmp}/warmup")
        serial = time_eval(env_id, episodes, 1, delay, f"{tmp}/c1")
        concurrent = time_eval(env_id, episodes, high, delay, f"{tmp}/c{high}")
    return {"env_id": env_id, "episodes": episodes, "delay_s": delay, "concurrency": high,
            "serial_s": serial, "concurrent_s": concurrent, "speedup": serial / concurrent}


def print_speedup(r: dict) -> None:
    print(f"eval of {r['episodes']} episodes of {r['env_id']}, agent waits {r['delay_s']*1000:.0f}"
          f" ms per turn:")
    print(f"  concurrency 1:  {r['serial_s']:.2f} s")
    print(f"  concurrency {r['concurrency']}: {r['concurrent_s']:.2f} s")
    verdict = "meets" if r["speedup"] >= GOAL else "MISSES"
    print(f"  speed-up: {r['speedup']:.1f}x ({verdict} the goal of >= {GOAL:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="textworld/simple-v0")
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()
    print_speedup(eval_concurrency_speedup(args.env, args.episodes, args.delay))


if __name__ == "__main__":
    main()
