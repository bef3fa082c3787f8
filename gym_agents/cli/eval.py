"""`gym-agents eval`: run an agent on envs and print a summary table."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gym_agents.errors import ConfigError
from gym_agents.evaluation import EPISODES_FILE, SUMMARY_FILE, EvalConfig, run_eval

EPILOG = """\
examples:
  gym-agents eval --env textworld/simple-v0 --agent oracle --episodes 20
  gym-agents eval --env textworld/cooking-v0 --env textworld/coin_collector-v0 \\
      --agent random --episodes 50 --concurrency 8 --out runs/random
  gym-agents eval --env toy/Relay-v0 --agent oracle --agent-arg delay=0.1 --concurrency 16
  gym-agents model make-tiny models/tiny
  gym-agents eval --env textworld/simple-v0 --agent react --model hf:models/tiny \\
      --temperature 0.7 --max-tokens 64 --agent-arg context=sliding_window --agent-arg window=4
  gym-agents eval --env toy/GuessNumber-v0 --agent tool_calling \\
      --model openai:MODEL@http://127.0.0.1:8000/v1
  gym-agents eval --out runs/random --resume ...   # finish a killed or interrupted run

Episodes are appended to OUT/episodes.jsonl as each ends; OUT/summary.json
holds the table. Episode i uses seed SEED+i on the env's --split.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="evaluate an agent on one or more envs",
        description="Evaluate an agent on registered envs, concurrently and resumably.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", dest="env_ids", action="append", required=True, metavar="ID",
                   help="env id to evaluate on (repeat for several)")
    p.add_argument("--agent", default="oracle",
                   help="oracle, random, human, react or tool_calling (default: oracle)")
    p.add_argument("--model", default=None, metavar="SPEC",
                   help="model for react/tool_calling: hf:PATH, openai:MODEL[@BASE_URL] "
                        "or scripted:FILE")
    p.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature, 0 = greedy (default: 1.0)")
    p.add_argument("--top-p", type=float, default=None, help="nucleus sampling (default: 1.0)")
    p.add_argument("--max-tokens", type=int, default=None,
                   help="most tokens per model reply (default: 256)")
    p.add_argument("--stop", action="append", default=None, metavar="TEXT",
                   help="stop string for model replies (repeat for several)")
    p.add_argument("--sampling-seed", type=int, default=None,
                   help="base seed of model sampling; each episode and turn derives its own")
    p.add_argument("--agent-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="agent argument, e.g. delay=0.1 (JSON values)")
    p.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="env constructor argument, e.g. rewards=sparse (JSON values)")
    p.add_argument("--episodes", type=int, default=10, help="episodes per env (default: 10)")
    p.add_argument("--samples", type=int, default=1,
                   help="episodes per task, e.g. for pass@k (default: 1)")
    p.add_argument("--concurrency", type=int, default=4,
                   help="episodes run at once (default: 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first episode (default: 0)")
    p.add_argument("--split", default="test",
                   help="task split for envs that have one (default: test; 'none' to not pass)")
    p.add_argument("--out", default=None, help="output folder (default: runs/eval-<time>)")
    p.add_argument("--resume", action="store_true",
                   help="finish the run in --out: run only episodes not stored yet")
    p.add_argument("--max-retries", type=int, default=2,
                   help="retries of an episode after an infra error (default: 2)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=eval_command)


def parse_key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} takes KEY=VALUE, got {pair!r}")
        try:
            result[key] = json.loads(value)
        except json.JSONDecodeError:
            result[key] = value  # a bare string
    return result


def eval_command(args: argparse.Namespace) -> int:
    if args.resume and args.out is None:
        raise ConfigError("--resume needs --out: the folder of the run to finish")
    config = EvalConfig(
        env_ids=args.env_ids, agent=args.agent,
        agent_kwargs=parse_key_values(args.agent_arg, "--agent-arg"),
        env_kwargs=parse_key_values(args.env_arg, "--env-arg"),
        episodes=args.episodes, samples=args.samples, concurrency=args.concurrency, seed=args.seed,
        out=args.out or time.strftime("runs/eval-%Y%m%d-%H%M%S"), resume=args.resume,
        split=None if args.split.lower() == "none" else args.split,
        max_retries=args.max_retries, model=args.model, sampling=sampling_from_args(args),
    )
    console = Console(stderr=True)
    summary = asyncio.run(_run_with_progress(config, console, quiet=args.quiet))
    # Wide enough for the table when output goes to a file or CI log.
    out_console = Console() if Console().is_terminal else Console(width=160)
    print_summary(summary, out_console)
    console.print(f"episodes: {config.out}/{EPISODES_FILE}   summary: {config.out}/{SUMMARY_FILE}")
    return 0


def sampling_from_args(args: argparse.Namespace) -> dict[str, Any]:
    given = {"temperature": args.temperature, "top_p": args.top_p,
             "max_tokens": args.max_tokens, "stop": args.stop, "seed": args.sampling_seed}
    return {k: v for k, v in given.items() if v is not None}


async def _run_with_progress(config: EvalConfig, console: Console, quiet: bool):
    counts = {"done": 0, "success": 0, "infra": 0}
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, disable=quiet, transient=False)
    task = progress.add_task("eval", total=None)

    def on_start(todo: int, already: int) -> None:
        if already:
            console.print(f"resuming: {already} episodes already stored, {todo} to run")
        progress.update(task, total=todo)

    def on_episode(episode) -> None:
        counts["done"] += 1
        counts["success"] += episode.success
        counts["infra"] += episode.status == "infra_error"
        rate = counts["success"] / counts["done"]
        progress.update(task, advance=1, description=(
            f"eval  success {rate:.0%}  infra errors {counts['infra']}"))

    with progress:
        return await run_eval(config, on_episode=on_episode, on_start=on_start)


def print_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(title="Evaluation")
    for column in ("env", "success", "95% CI", "mean reward", "mean turns", "episodes",
                   "infra errors", "tokens/ep", "s/turn"):
        table.add_column(column, justify="left" if column == "env" else "right",
                         no_wrap=column == "env")
    for env_id, s in summary["envs"].items():
        if not s["episodes"]:
            table.add_row(env_id, "-", "-", "-", "-", "0", str(s["infra_errors"]), "-", "-")
            continue
        low, high = s["success_ci95"]
        tokens = s.get("mean_tokens_per_episode")
        seconds = s.get("mean_turn_seconds")
        table.add_row(env_id, f"{s['success_rate']:.1%}", f"[{low:.2f}, {high:.2f}]",
                      f"{s['mean_reward']:.3f}", f"{s['mean_turns']:.1f}", str(s["episodes"]),
                      str(s["infra_errors"]), "-" if tokens is None else f"{tokens:,.0f}",
                      "-" if seconds is None else f"{seconds:.3f}")
    console.print(table)
