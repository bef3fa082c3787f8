"""`gym-agents sandbox build|doctor|reap`: images, machine checks and clean-up for sandboxes."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

EPILOG = """\
examples:
  gym-agents sandbox doctor              # what works here, and how to fix the rest
  gym-agents sandbox build               # the base image (debootstrap + docker import if needed)
  gym-agents sandbox build swe --force   # rebuild one image
  gym-agents sandbox reap                # remove containers of runs that were killed
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "sandbox", help="build sandbox images, check this machine, reap leftovers",
        description="Tools for the sandboxes that run untrusted code (docker, bwrap, local).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)

    b = sub.add_parser("build", help="build images from sandboxes/images/",
                       description="Build gym-agents/NAME images and the ones they build on. "
                                   "With no registry, the Debian base is made with debootstrap.")
    b.add_argument("names", nargs="*", metavar="NAME", help="images to build (default: base)")
    b.add_argument("--all", action="store_true", help="build every image")
    b.add_argument("--force", action="store_true", help="rebuild images that exist")
    b.set_defaults(func=build)

    d = sub.add_parser("doctor", help="say what works on this machine and how to fix the rest")
    d.set_defaults(func=doctor)

    r = sub.add_parser("reap", help="remove sandbox containers whose run is gone",
                       description="Remove containers labelled by gym-agents whose owner process "
                                   "is no longer running (killed runs). Every run also does this "
                                   "when it opens its first docker sandbox.")
    r.add_argument("--all", action="store_true",
                   help="remove every gym-agents container, even of runs still going")
    r.set_defaults(func=reap)


def build(args: argparse.Namespace) -> int:
    from gym_agents.sandboxes import images

    console = Console()
    names = images.names() if args.all else (args.names or ["base"])
    for name in names:
        ref = images.build(name, force=args.force, log=lambda line: console.print(f">> {line}"))
        console.print(f"[green]ready[/green] {ref}")
    return 0


def doctor(args: argparse.Namespace) -> int:
    from gym_agents.sandboxes.doctor import run_checks

    table = Table(title="Sandboxes on this machine")
    for column in ("check", "", "detail", "to fix"):
        table.add_column(column)
    checks = run_checks()
    for check in checks:
        mark = "[green]ok[/green]" if check.ok else (
            "[red]missing[/red]" if check.required else "[yellow]optional[/yellow]")
        table.add_row(check.name, mark, check.detail, "" if check.ok else check.fix)
    Console().print(table)
    return 0 if all(c.ok for c in checks if c.required) else 1


def reap(args: argparse.Namespace) -> int:
    from gym_agents.sandboxes.reaper import reap as reap_containers

    removed = reap_containers(everything=args.all)
    print(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))
    return 0
