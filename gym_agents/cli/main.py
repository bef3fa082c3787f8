"""`gym-agents`: one command, with a subcommand per job.

Each subcommand module adds its parser with `add_parser(subparsers)` and sets
`func(args) -> exit code`. Library errors print as one clear line and exit 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from gym_agents.errors import GymAgentsError

# name -> module with add_parser(); family tools live with their family.
COMMANDS = {
    "list": "gym_agents.cli.envs",
    "info": "gym_agents.cli.envs",
    "play": "gym_agents.cli.play",
    "eval": "gym_agents.cli.eval",
    "serve": "gym_agents.cli.serve",
    "train": "gym_agents.cli.train",
    "model": "gym_agents.cli.model",
    "sandbox": "gym_agents.cli.sandbox",
    "view": "gym_agents.cli.view",
    "report": "gym_agents.cli.view",
    "textworld": "gym_agents.environments.textworld.cli",
    "alfworld": "gym_agents.environments.alfworld.cli",
    "swe": "gym_agents.cli.swe",
    "mle": "gym_agents.cli.mle",
}

EPILOG = """\
examples:
  gym-agents list
  gym-agents info textworld/cooking-v0
  gym-agents play toy/Relay-v0
  gym-agents eval --env textworld/simple-v0 --agent oracle --episodes 20 --out runs/oracle
  gym-agents model make-tiny models/tiny
  gym-agents eval --env textworld/simple-v0 --agent react --model hf:models/tiny
  gym-agents serve --model hf:models/tiny --port 8000
  gym-agents train configs/grpo_toy.yaml --output-dir runs/grpo_toy
  gym-agents view runs/oracle runs/random
  gym-agents report runs/oracle --out report.html
"""


def build_parser() -> argparse.ArgumentParser:
    from gym_agents import __version__

    parser = argparse.ArgumentParser(
        prog="gym-agents", description="Environments, agents and RL training for LLM agents.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gym-agents {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in dict.fromkeys(COMMANDS.values()):
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "overrides") and not any(a.startswith("-") for a in extra):
        args.overrides += extra  # KEY=VALUE overrides given after an option (train)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GymAgentsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
