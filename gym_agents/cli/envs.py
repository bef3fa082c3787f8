"""`gym-agents list` and `gym-agents info ID`."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json

from rich.console import Console
from rich.table import Table

from gym_agents.registration import load_entry_point, load_plugins, registry, spec


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "list", help="list registered envs",
        description="List every registered env id, with its family and what it needs.",
        epilog="examples:\n  gym-agents list\n  gym-agents list --family textworld",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", help="only this family (e.g. textworld, toy)")
    p.set_defaults(func=list_envs)

    p = subparsers.add_parser(
        "info", help="show one env's registration and documentation",
        description="Show how an env is built: entry point, arguments, step limit, extra.",
        epilog=("examples:\n  gym-agents info toy/Relay-v0\n"
                "  gym-agents info textworld/cooking-hard-v0"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("env_id", metavar="ID")
    p.set_defaults(func=env_info)


def list_envs(args: argparse.Namespace) -> int:
    load_plugins()
    table = Table(title="Registered environments")
    for column in ("id", "max steps", "extra", "description"):
        table.add_column(column)
    specs = sorted(registry.values(), key=lambda s: s.id)
    for s in specs:
        if args.family is None or s.family == args.family:
            table.add_row(s.id, str(s.max_episode_steps or "-"), s.extra or "-", s.description)
    Console().print(table)
    return 0


def env_info(args: argparse.Namespace) -> int:
    s = spec(args.env_id)
    console = Console()
    console.print(f"[bold]{s.id}[/bold]  {s.description}")
    console.print(f"entry point:       {s.entry_point}")
    console.print(f"kwargs:            {json.dumps(s.kwargs)}")
    console.print(f"max_episode_steps: {s.max_episode_steps}")
    if s.extra:
        console.print(f"needs extra:       pip install 'gym-agents\\[{s.extra}]'")
    cls = load_entry_point(s.entry_point) if isinstance(s.entry_point, str) else s.entry_point
    kinds = getattr(cls, "action_kinds", frozenset())
    console.print(f"actions:           {', '.join(sorted(kinds))}")
    with contextlib.suppress(TypeError, ValueError):  # builtins may have no signature
        console.print(f"constructor:       {cls.__name__}{inspect.signature(cls)}")
    if cls.__doc__:
        console.print("\n" + inspect.cleandoc(cls.__doc__))
    return 0
