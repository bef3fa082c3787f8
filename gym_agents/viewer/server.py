"""The viewer's HTTP server: the app's static files and a small JSON API, on loopback only.

    GET /api/runs                          runs with config, summary, counts
    GET /api/runs/<id>/episodes?...        a filtered page of the episode index
    GET /api/runs/<id>/episodes/<n>        one whole episode (read by byte offset)
    GET /api/runs/<id>/metrics             training metrics, one object per step
    GET /api/compare?a=<id>&b=<id>&only=   two runs' episodes paired by task

Only files of the runs given on the command line are ever read.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gym_agents.episode import json_safe
from gym_agents.errors import GymAgentsError
from gym_agents.viewer.index import Run
from gym_agents.viewer.query import QueryError, compare_runs, episode_page

STATIC_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".js": "text/javascript; charset=utf-8"}


def static_text(name: str) -> str:
    """A file of the app, as shipped in the package."""
    return resources.files("gym_agents.viewer").joinpath("static", name).read_text("utf-8")


def run_info(run_id: int, run: Run) -> dict[str, Any]:
    run.refresh()
    index = run.load_index()
    return {"id": run_id, "name": run.name, "path": str(run.path), "kind": run.kind,
            "config": run.config, "config_file": run.config_file, "summary": run.summary,
            "episodes": len(index.rows), "skipped_lines": index.skipped,
            "episodes_file": run.episodes_file.name if run.episodes_file else None,
            "has_metrics": run.metrics_file is not None,
            "last_metrics": json_safe(run.last_metrics())}


class ViewerApp:
    """Answers API paths with JSON-able values; raises KeyError for unknown ones."""

    def __init__(self, runs: list[Run]) -> None:
        self.runs = runs

    def run(self, run_id: str) -> Run:
        try:
            return self.runs[int(run_id)]
        except (ValueError, IndexError) as exc:
            raise KeyError(f"no run {run_id}") from exc

    def handle(self, path: str, params: dict[str, str]) -> Any:
        if path == "/api/runs":
            return {"runs": [run_info(i, run) for i, run in enumerate(self.runs)]}
        if path == "/api/compare":
            return compare_runs(self.run(params.get("a", "")), self.run(params.get("b", "")),
                                params.get("only", ""))
        match = re.fullmatch(r"/api/runs/(\d+)/(episodes|metrics)(?:/(\d+))?", path)
        if match is None:
            raise KeyError(path)
        run = self.run(match.group(1))
        # json_safe: a NaN written by a trainer must not break the browser's JSON.parse.
        if match.group(2) == "metrics":
            return {"rows": json_safe(run.metrics())}
        if match.group(3) is not None:
            return json_safe(run.episode(int(match.group(3))))
        return episode_page(run, params)


def make_handler(app: ViewerApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # A page on another site that rebinds its DNS name to 127.0.0.1 would send
            # its own Host: answering only our own names keeps trajectories local.
            port = self.server.server_address[1]
            if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
                self._send(HTTPStatus.FORBIDDEN, b"open the viewer at http://127.0.0.1:"
                           + str(port).encode() + b"/", "text/plain")
                return
            url = urlsplit(self.path)
            if url.path.startswith("/api/"):
                self._api(url.path, dict(parse_qsl(url.query)))
                return
            name = "index.html" if url.path in ("/", "/index.html") else url.path.lstrip("/")
            suffix = name[name.rfind("."):] if "." in name else ""
            if "/" in name or suffix not in STATIC_TYPES:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
                return
            try:
                body = static_text(name).encode()
            except FileNotFoundError:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
                return
            self._send(HTTPStatus.OK, body, STATIC_TYPES[suffix])

        def _api(self, path: str, params: dict[str, str]) -> None:
            try:
                status, value = HTTPStatus.OK, app.handle(path, params)
            except KeyError as exc:
                status, value = HTTPStatus.NOT_FOUND, {"error": f"not found: {exc.args[0]}"}
            except (QueryError, GymAgentsError, ValueError, OSError) as exc:
                status, value = HTTPStatus.BAD_REQUEST, {"error": str(exc)}
            body = json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
            self._send(status, body, "application/json")

        def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per request would drown the terminal

    return Handler


def make_server(runs: list[Run], host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(ViewerApp(runs)))
    server.daemon_threads = True
    return server
