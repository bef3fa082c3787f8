"""What gym-agents costs on top of the engines it wraps.

Part 1, `textworld_step_overhead`: per-step time of a TextWorld env made with
`gym_agents.make` against raw `textworld.gym` on the same game, with the same
EnvInfos and the same commands (the game's walkthrough). Episodes of the two
alternate, so drift in machine speed hits both alike. Goal: ratio <= 1.10.

Part 2, `eval_concurrency_speedup` (benchmarks/eval_concurrency.py): wall time
of `gym-agents eval` at concurrency 16 against 1, with an agent that waits
100 ms per turn. Goal: at least 10x.

    .venv/bin/python benchmarks/env_overhead.py [--env textworld/cooking-hard-v0] [--episodes 40]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import gym_agents

try:  # run as a script: benchmarks/ is on sys.path
    from eval_concurrency import eval_concurrency_speedup, print_speedup
except ImportError:  # imported as benchmarks.env_overhead
    from benchmarks.eval_concurrency import eval_concurrency_speedup, print_speedup


def textworld_step_overhead(env_id: str = "textworld/cooking-hard-v0", *, seed: int = 0,
                            episodes: int = 40) -> dict[str, Any]:
    """Median per-step and per-reset milliseconds of ours vs raw textworld.gym, and their ratio."""
    import textworld.gym

    from gym_agents.environments.textworld.env import engine_infos

    ours = gym_agents.make(env_id)
    _, info = ours.reset(seed=seed)
    commands = _oracle_commands(ours, seed)
    env_name = textworld.gym.register_game(info["game_file"], engine_infos(),
                                           max_episode_steps=len(commands) + 1)
    raw = textworld.gym.make(env_name)

    def play_ours() -> tuple[float, float]:
        return _timed_episode(lambda: ours.reset(seed=seed), ours.step, commands)

    def play_raw() -> tuple[float, float]:
        return _timed_episode(raw.reset, raw.step, commands)

    timings: dict[str, list[tuple[float, float]]] = {"ours": [], "raw": []}
    for episode in range(episodes):
        # Alternate who goes first so neither always runs on a warmer cache.
        order = (("ours", play_ours), ("raw", play_raw))
        for name, play in order if episode % 2 == 0 else order[::-1]:
            timings[name].append(play())
    ours.close()
    raw.close()
    result: dict[str, Any] = {"env_id": env_id, "seed": seed, "episodes": episodes,
                              "steps_per_episode": len(commands)}
    for name, runs in timings.items():
        result[f"{name}_reset_ms"] = 1e3 * statistics.median(r for r, _ in runs)
        result[f"{name}_step_ms"] = 1e3 * statistics.median(s for _, s in runs) / len(commands)
    result["step_ratio"] = result["ours_step_ms"] / result["raw_step_ms"]
    return result


def _oracle_commands(env: gym_agents.Env, seed: int) -> list[str]:
    """The command strings the oracle plays, which both envs can take as they are."""
    env.reset(seed=seed)
    commands = []
    while True:
        commands.append(env.oracle_action())
        _, _, terminated, truncated, _ = env.step(commands[-1])
        if terminated or truncated:
            return commands


def _timed_episode(reset, step, commands: list[str]) -> tuple[float, float]:
    """Seconds spent in reset, and in all the steps of one episode."""
    start = time.perf_counter()
    reset()
    reset_s = time.perf_counter() - start
    start = time.perf_counter()
    for command in commands:
        step(command)
    return reset_s, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="textworld/cooking-hard-v0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--skip-concurrency", action="store_true",
                        help="only the step overhead, not the eval concurrency speed-up")
    args = parser.parse_args(argv)

    r = textworld_step_overhead(args.env, seed=args.seed, episodes=args.episodes)
    print(f"TextWorld step overhead: {r['env_id']} seed {r['seed']}, "
          f"{r['episodes']} episodes x {r['steps_per_episode']} steps (medians)")
    for label, name in (("gym_agents.make  ", "ours"), ("raw textworld.gym", "raw")):
        print(f"  {label} step {r[f'{name}_step_ms']:.3f} ms"
              f"   reset {r[f'{name}_reset_ms']:.2f} ms")
    verdict = "ok" if r["step_ratio"] <= 1.10 else "ABOVE the 1.10 goal"
    print(f"  step ratio ours/raw: {r['step_ratio']:.3f} ({verdict})")
    if not args.skip_concurrency:
        print()
        print_speedup(eval_concurrency_speedup())


if __name__ == "__main__":
    main()
