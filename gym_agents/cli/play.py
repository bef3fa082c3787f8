"""`gym-agents play ID`: play an env yourself in the terminal."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from gym_agents.agents import parse_human_action
from gym_agents.errors import GymAgentsError
from gym_agents.evaluation import EvalConfig, env_kwargs_for
from gym_agents.registration import make

EPILOG = """\
examples:
  gym-agents play textworld/cooking-v0 --seed 3
  gym-agents play toy/GuessNumber-v0        # tool env: type  guess {"number": 50}

While playing: /hint shows the oracle's next action, /actions lists valid
actions, /quit ends the episode.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "play", help="play an env yourself in the terminal",
        description="Play an env in the terminal, as an agent would see it.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("env_id", metavar="ID")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", default="test", help="task split for envs that have one")
    p.add_argument("--screenshots", metavar="DIR", default=None,
                   help="where to save the screenshots of envs that show images (web, GUI); "
                        "default runs/play/<env>-<seed>")
    p.set_defaults(func=play_command)


def play_command(args: argparse.Namespace, input_fn=input) -> int:
    console = Console(highlight=False)
    config = EvalConfig(env_ids=[args.env_id], split=args.split)
    env = make(args.env_id, **env_kwargs_for(args.env_id, config))
    total = 0.0
    try:
        obs, info = env.reset(seed=args.seed)
        console.print(escape(obs.text))
        shots = _ScreenshotSaver(args, console)
        shots.save(obs)
        while True:
            try:
                line = input_fn("> ").strip()
            except EOFError:
                console.print("\nbye")
                return 0
            if line in ("/quit", "/exit"):
                return 0
            if line in ("", "/help"):
                console.print("Type a command (tool call: name {\"arg\": value}); "
                              "/hint, /actions, /quit.")
                continue
            if line == "/hint":
                try:
                    console.print(f"hint: {escape(str(env.oracle_action()))}")
                except GymAgentsError as exc:
                    console.print(f"no hint: {escape(str(exc))}")
                continue
            if line == "/actions":
                actions = env.valid_actions() or obs.metadata.get("admissible_commands") or []
                console.print(escape(", ".join(map(str, actions))) or "(not listed by this env)")
                continue
            obs, reward, terminated, truncated, info = env.step(
                parse_human_action(line, env.action_kinds))
            total += reward
            console.print(escape(obs.text))
            shots.save(obs)
            if reward:
                console.print(f"[dim]reward {reward:+.3f} (total {total:.3f})[/dim]")
            if terminated or truncated:
                outcome = "success" if info.get("success") else "failed"
                console.print(f"[bold]episode over: {outcome}, return {total:.3f}[/bold]")
                return 0
    finally:
        env.close()


class _ScreenshotSaver:
    """Writes each observation's images as step-NNN.png, so you can look at the page."""

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        default = Path("runs") / "play" / f"{args.env_id.replace('/', '_')}-{args.seed}"
        folder = getattr(args, "screenshots", None)  # programmatic callers may omit it
        self.folder = Path(folder) if folder else default
        self.console = console
        self.step = 0

    def save(self, obs) -> None:
        for index, image in enumerate(obs.images):
            self.folder.mkdir(parents=True, exist_ok=True)
            suffix = f"-{index}" if index else ""
            path = self.folder / f"step-{self.step:03d}{suffix}.png"
            path.write_bytes(image.png)
            self.console.print(f"[dim]screenshot: {path}[/dim]")
        self.step += 1
