"""`gym-agents view` and `gym-agents report`: look at runs in a browser, or share them as a file."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from gym_agents.errors import ConfigError, StoreError

VIEW_EPILOG = """\
examples:
  gym-agents view runs/oracle                     # one eval or training output folder
  gym-agents view runs/oracle runs/random         # several; pick two runs to compare them
  gym-agents view runs/ --port 8800 --open        # every run below runs/, opens a browser

Serves on 127.0.0.1 only. Episodes stream from the JSONL files: each file is
indexed once (cached in the gym-agents cache; a growing file is read only
from where the index stopped), so runs with 100k episodes open in seconds.
"""

REPORT_EPILOG = """\
examples:
  gym-agents report runs/oracle --out report.html
  gym-agents report runs/grpo runs/oracle --out grpo.html --episodes 50

One self-contained HTML file (no network needed to open it): summary tables,
config, training plots and the first --episodes episodes of each run.
"""


def add_parser(subparsers) -> None:
    def command(name: str, summary: str, description: str, epilog: str, func):
        parser = subparsers.add_parser(name, help=summary, description=description, epilog=epilog,
                                       formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("dirs", nargs="+", metavar="DIR",
                            help="run folder, or a folder with run folders below it")
        parser.set_defaults(func=func)
        return parser

    view = command("view", "browse runs and trajectories in a local web app",
                   "Browse eval and training output folders in a local web app.",
                   VIEW_EPILOG, view_command)
    view.add_argument("--port", type=int, default=8765,
                      help="port on 127.0.0.1 (default: 8765; 0 picks a free one)")
    view.add_argument("--open", action="store_true", help="open the page in a web browser")
    report = command("report", "write a self-contained HTML report of runs",
                     "Write one self-contained HTML file with runs' tables, plots and episodes.",
                     REPORT_EPILOG, report_command)
    report.add_argument("--out", default="report.html", help="HTML file (default: report.html)")
    report.add_argument("--episodes", type=int, default=20,
                        help="episodes of each run to include in full (default: 20)")


def load_runs(dirs: list[str], console: Console):
    """Find the runs and index their episode files, with a progress bar for big ones."""
    from gym_agents.viewer.index import discover_runs

    runs = discover_runs(dirs)
    columns = (TextColumn("indexing {task.description}"), BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        for run in runs:
            task = progress.add_task(run.name, total=None)
            run.load_index(lambda done, total, task=task: progress.update(
                task, completed=done, total=total))
    return runs


def view_command(args: argparse.Namespace) -> int:
    from gym_agents.viewer.server import make_server

    console = Console(stderr=True)
    runs = load_runs(args.dirs, console)
    try:
        server = make_server(runs, port=args.port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}): "
                          "choose another --port, or --port 0 for a free one") from exc
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    episodes = sum(len(run.index.rows) for run in runs if run.index)
    console.print(f"{len(runs)} runs, {episodes:,} episodes: open [bold]{url}[/bold]  "
                  "(Ctrl-C stops)")
    if args.open:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def report_command(args: argparse.Namespace) -> int:
    from gym_agents.viewer.report import render_report

    if args.episodes < 0:
        raise ConfigError(f"--episodes must be >= 0, got {args.episodes}")
    console = Console(stderr=True)
    runs = load_runs(args.dirs, console)
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_report(runs, args.episodes), encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write {out}: {exc.strerror}. Choose another --out.") from exc
    console.print(f"report of {len(runs)} runs: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0
