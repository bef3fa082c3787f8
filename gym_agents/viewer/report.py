"""`gym-agents report`: one self-contained HTML file with a run's tables, plots and episodes.

The page is the viewer's own app with its CSS and JS inlined and the data it
would fetch embedded as JSON, so it opens from disk or as a mail attachment
with nothing else to load.
"""

from __future__ import annotations

import html as html_lib
import json
from typing import Any

from gym_agents.episode import json_safe
from gym_agents.viewer.index import Run, row_dict
from gym_agents.viewer.server import run_info, static_text

# Metric rows a report keeps per run (charts are 340 pixels wide).
MAX_METRIC_ROWS = 2000


def report_data(runs: list[Run], episodes_per_run: int) -> dict[str, Any]:
    """What the app would ask the server for; episodes: the first `episodes_per_run` of each."""
    data: dict[str, Any] = {"runs": [], "metrics": {}, "rows": {}, "episodes": {}}
    for i, run in enumerate(runs):
        data["runs"].append(run_info(i, run))
        data["metrics"][i] = json_safe(thin_metrics(run.metrics()))
        rows = run.load_index().rows[:episodes_per_run]
        data["rows"][i] = [row_dict(row, n) for n, row in enumerate(rows)]
        data["episodes"][i] = {n: json_safe(run.episode(n)) for n in range(len(rows))}
    return data


def thin_metrics(rows: list[dict[str, Any]], most: int = MAX_METRIC_ROWS) -> list[dict[str, Any]]:
    """Every k-th step of a long run, plus every held-out eval step and the last one.

    The plots cannot show more, and a shared file should stay small.
    """
    if len(rows) <= most:
        return rows
    k = -(-len(rows) // most)
    return [row for i, row in enumerate(rows)
            if i % k == 0 or i == len(rows) - 1 or any(key.startswith("eval/") for key in row)]


def _script_safe(text: str) -> str:
    # Inside <script>, "</script>" or "<!--" in a trajectory would end or confuse the block.
    return text.replace("<", "\\u003c")


def render_report(runs: list[Run], episodes_per_run: int = 20) -> str:
    data = json.dumps(report_data(runs, episodes_per_run), ensure_ascii=False, allow_nan=False)
    app_js = static_text("app.js")
    if "</script" in app_js.lower():
        raise ValueError("app.js must not contain '</script': it is inlined into reports")
    html = static_text("index.html")
    html = html.replace('<link rel="stylesheet" href="app.css">',
                        f"<style>\n{static_text('app.css')}</style>")
    html = html.replace('<script src="app.js"></script>',
                        f"<script>window.GA_DATA = {_script_safe(data)};</script>\n"
                        f"<script>\n{app_js}</script>")
    names = ", ".join(run.name for run in runs)
    return html.replace("<title>gym-agents viewer</title>",
                        f"<title>gym-agents report: {html_lib.escape(names)}</title>")
