"""ALFWorld: game generation time, and env steps/s through our API against alfworld's own env.

    .venv/bin/python benchmarks/alfworld_throughput.py [--games 12] [--rounds 2]

1. Generates `--games` games (all six task types in turn, valid_unseen) one
   after another in a fresh folder and prints the time per game.
2. Plays the same games' walkthroughs, alternating, through
   - ours: `gym_agents.make("alfworld/all-v0", data_dir=...)`, reset + step, and
   - alfworld's: `AlfredTWEnv(config).init_env(batch_size=1)`, the textworld.gym
     batch env alfworld's own training scripts use (one game per reset, in its
     own process), reset + step([command]),
   and prints the time per reset, per step and steps/s of each, and the ratio
   ours / alfworld's (goal: <= 1.10x). Rounds alternate so machine load hits both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import gym_agents
from gym_agents.environments.alfworld import generate


def generate_games(root: Path, n: int) -> list[tuple[str, float]]:
    env = generate.engine()
    timings = []
    for seed in range(n):
        task_type, index = generate.game_key("all", seed)
        start = time.perf_counter()
        generate.ensure_game("valid_unseen", task_type, index, root, env=env)
        timings.append((task_type, time.perf_counter() - start))
    return timings


def alfworld_env(root: Path):
    tw_env = generate.import_alfworld("alfworld.agents.environment.alfred_tw_env")
    config = {
        "env": {"goal_desc_human_anns_prob": 0, "task_types": [1, 2, 3, 4, 5, 6],
                "domain_randomization": False, "expert_type": "handcoded"},
        "dataset": {"data_path": "", "eval_ood_data_path": str(root / "json_2.1.1" /
                                                                "valid_unseen"),
                    "num_eval_games": -1},
        "general": {"training_method": "dqn"},
        "rl": {"training": {"max_nb_steps_per_episode": 50}},
    }
    loader = tw_env.AlfredTWEnv(config, train_eval="eval_out_of_distribution")
    return loader.init_env(batch_size=1)


def play_theirs(env, episodes: int) -> tuple[list[float], list[float], list[str]]:
    resets, steps, order = [], [], []
    for _ in range(episodes):
        start = time.perf_counter()
        _, infos = env.reset()
        resets.append(time.perf_counter() - start)
        game_file = infos["extra.gamefile"][0]
        order.append(game_file)
        for command in json.loads(Path(game_file).read_text())["walkthrough"]:
            start = time.perf_counter()
            _, _, _, infos = env.step([command])
            steps.append(time.perf_counter() - start)
        if not infos["won"][0]:
            raise SystemExit(f"alfworld's env did not win {game_file}")
    return resets, steps, order


def play_ours(env, seeds: list[int]) -> tuple[list[float], list[float]]:
    resets, steps = [], []
    for seed in seeds:
        start = time.perf_counter()
        env.reset(seed=seed)
        resets.append(time.perf_counter() - start)
        walkthrough = json.loads(Path(env.unwrapped._trial, "game.tw-pddl").read_text())
        for command in walkthrough["walkthrough"]:
            start = time.perf_counter()
            *_, info = env.step(command)
            steps.append(time.perf_counter() - start)
        if not info["success"]:
            raise SystemExit(f"our env did not win {env.unwrapped.task_id}")
    return resets, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=12, help="games to generate and play")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per env")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"generating {args.games} games (one process, valid_unseen) ...", flush=True)
        timings = generate_games(root, args.games)
        print("\n== game generation (s/game) ==")
        for task_type in generate.TASK_TYPES:
            times = [t for k, t in timings if k == task_type]
            if times:
                print(f"  {task_type:<34} {statistics.mean(times):6.2f}  (n={len(times)})")
        print(f"  {'all':<34} {statistics.mean(t for _, t in timings):6.2f}  "
              f"(n={len(timings)})")

        ours = gym_agents.make("alfworld/all-v0", split="valid_unseen", data_dir=str(root))
        ours.unwrapped._trial_for(0)  # lists the games the way AlfredTWEnv does
        seed_of = {str(t / "game.tw-pddl"): i for i, t in enumerate(ours.unwrapped._listed)}
        theirs = alfworld_env(root)
        results: dict[str, tuple[list[float], list[float]]] = {"ours": ([], []),
                                                                "alfworld": ([], [])}
        for _ in range(args.rounds):
            r, s, order = play_theirs(theirs, len(seed_of))
            results["alfworld"][0].extend(r)
            results["alfworld"][1].extend(s)
            r, s = play_ours(ours, [seed_of[g] for g in order])  # the same games, same order
            results["ours"][0].extend(r)
            results["ours"][1].extend(s)
        theirs.close()

    print(f"\n== env: {len(seed_of)} games x {args.rounds} rounds, walkthrough commands ==")
    print(f"  {'env':<10} {'reset ms':>10} {'step ms':>10} {'steps/s':>10} "
          f"{'steps/s incl. resets':>22}")
    rows = {}
    for name, (resets, steps) in results.items():
        step_ms = 1000 * statistics.mean(steps)
        total = sum(resets) + sum(steps)
        rows[name] = (1000 * statistics.mean(resets), step_ms, len(steps) / sum(steps),
                      len(steps) / total)
        print(f"  {name:<10} {rows[name][0]:10.1f} {step_ms:10.2f} {rows[name][2]:10.1f} "
              f"{rows[name][3]:22.1f}")
    ours_r, theirs_r = rows["ours"], rows["alfworld"]
    print("\n== ratios, ours / alfworld (time; < 1 means ours is faster; goal <= 1.10x) ==")
    print(f"  per step:             {ours_r[1] / theirs_r[1]:.2f}x")
    print(f"  per reset:            {ours_r[0] / theirs_r[0]:.2f}x")
    print(f"  per step incl. resets: {theirs_r[3] / ours_r[3]:.2f}x")


if __name__ == "__main__":
    main()
