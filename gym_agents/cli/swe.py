"""`gym-agents swe build|validate`: make SWE task suites from PyPI packages and re-check them."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

EPILOG = """\
examples:
  gym-agents swe build toolz==1.0.0 cachetools==5.5.0 --seed 0 --out tasks/swe/mine
  gym-agents swe build funcy==2.0 --test-deps whatever --tasks 5 --out /tmp/funcy-suite
  gym-agents swe validate starter              # a shipped suite, by name
  gym-agents swe validate /tmp/funcy-suite --jobs 2
  gym-agents swe import swe-bench-lite.json --image 'sweb.eval.x86_64.{instance_id}:latest' \
      --test-cmd '. /opt/miniconda3/bin/activate testbed && pytest -rA' --out tasks/swe/lite
  gym-agents eval --env swe/starter-v0 --agent oracle --episodes 10

A suite folder holds suite.json (pinned sdists with sha256, layout, test deps)
and instances.jsonl (SWE-bench schema plus bug_patch and difficulty). Building
needs PyPI (pip download) and Docker; episodes run with the network off.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "swe", help="build and validate SWE task suites (injected bugs in PyPI packages)",
        description="Tools for the SWE family.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="swe_command", metavar="ACTION", required=True)

    b = sub.add_parser(
        "build", help="inject bugs into PyPI packages and keep those their tests catch",
        description="Fetch each package's sdist, run its tests in a sandbox, inject bugs with "
                    "libcst and keep those that fail some tests and no others.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("packages", nargs="+", metavar="NAME==VERSION", help="pinned PyPI packages")
    b.add_argument("--out", required=True, help="the suite folder to write")
    b.add_argument("--name", default=None, help="suite name (default: the folder's name)")
    b.add_argument("--seed", type=int, default=0, help="mutation order seed (default: 0)")
    b.add_argument("--tasks", type=int, default=8, help="tasks per package (default: 8)")
    b.add_argument("--max-candidates", type=int, default=60,
                   help="mutations tried per package at most (default: 60)")
    b.add_argument("--test-deps", nargs="*", default=[], metavar="REQ",
                   help="extra test requirements installed with pytest (e.g. hypothesis)")
    b.add_argument("--backend", default="docker", help="sandbox backend (default: docker)")
    b.set_defaults(func=build)

    i = sub.add_parser(
        "import", help="make a suite of existing SWE-bench / SWE-Gym instances",
        description="Read SWE-bench-schema instances (JSON list or JSONL) and write a suite "
                    "folder; each instance runs in its own docker image holding the repository "
                    "at base_commit with its test environment.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("file", help="instances (JSON list or JSONL, SWE-bench schema)")
    i.add_argument("--out", required=True, help="the suite folder to write")
    i.add_argument("--name", default=None, help="suite name (default: the folder's name)")
    i.add_argument("--image", default=None,
                   help="image per instance unless it names one; {instance_id} is replaced "
                        "(e.g. 'sweb.eval.x86_64.{instance_id}:latest')")
    i.add_argument("--repo-dir", default="/testbed",
                   help="where the image holds the repository (default: /testbed)")
    i.add_argument("--test-cmd", default="python -m pytest -rA -p no:cacheprovider",
                   help="pytest command run in the repository; test files are appended")
    i.set_defaults(func=import_)

    v = sub.add_parser("validate", help="check every instance: bug fails, gold patch passes",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("suite", help="a suite folder, or the name of a shipped suite")
    v.add_argument("--only", nargs="*", default=[], metavar="ID",
                   help="check only these instance ids")
    v.add_argument("--jobs", type=int, default=2, help="sandboxes at once (default: 2)")
    v.add_argument("--backend", default="docker", help="sandbox backend (default: docker)")
    v.set_defaults(func=validate)


def build(args: argparse.Namespace) -> int:
    from gym_agents.environments.swe.builder import build_suite

    console = Console()
    out = Path(args.out)
    total = len(args.packages) * args.max_candidates
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("trying mutations", total=total)
        build_suite(args.packages, name=args.name or out.name, out=out, seed=args.seed,
                    tasks=args.tasks, max_candidates=args.max_candidates,
                    test_deps=args.test_deps, backend=args.backend,
                    log=lambda line: progress.console.print(line),
                    progress=lambda n: progress.advance(bar, n))
    lines = (out / "instances.jsonl").read_text().splitlines()
    console.print(f"[green]{len(lines)} tasks[/green] in {out}; check them with "
                  f"`gym-agents swe validate {out}`")
    return 0 if lines else 1


def import_(args: argparse.Namespace) -> int:
    from gym_agents.environments.swe.external import import_instances

    out = Path(args.out)
    import_instances(Path(args.file), out, image=args.image, name=args.name or out.name,
                     test_cmd=args.test_cmd, repo_dir=args.repo_dir)
    count = len((out / "instances.jsonl").read_text().splitlines())
    Console().print(f"[green]{count} instances[/green] in {out}; check them with "
                    f"`gym-agents swe validate {out}`, play them with SweEnv(suite='{out}')")
    return 0


def validate(args: argparse.Namespace) -> int:
    from gym_agents.environments.swe.suite import load_suite
    from gym_agents.environments.swe.validate import validate_suite
    from gym_agents.errors import ConfigError

    console = Console()
    suite, instances = load_suite(args.suite)
    if args.only:
        instances = [i for i in instances if i["instance_id"] in set(args.only)]
        if not instances:
            raise ConfigError(f"none of {args.only} is in {suite.name}; see its instances.jsonl")
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(f"validating {suite.name}", total=len(instances))
        checks = validate_suite(suite, instances, backend=args.backend, jobs=args.jobs,
                                on_done=lambda c: progress.advance(bar))
    broken = [c for c in checks if not c.ok]
    table = Table(title=f"{suite.name}: {len(checks) - len(broken)}/{len(checks)} valid")
    for column in ("instance", "ok", "problem"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(check.instance_id, "yes" if check.ok else "[red]NO[/red]", check.problem)
    console.print(table)
    return 1 if broken else 0
