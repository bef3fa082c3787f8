"""One loopback HTTP server per process for every web task.

`/miniwob/...` serves MiniWoB++'s HTML files from the `miniwob` package;
`/<site>/...` routes to the project's own sites (shop, forms), whose state
lives in Python, one `Session` per episode (a cookie names it), so a checker
can read the final state directly and each episode starts clean.
"""

from __future__ import annotations

import contextlib
import mimetypes
import threading
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

SESSION_COOKIE = "ga_session"


@dataclass
class Request:
    method: str
    path: str  # below the site's prefix, e.g. "/product/3"
    query: dict[str, str]
    form: dict[str, list[str]]
    session: Any  # the site's state for this episode


@dataclass
class Response:
    body: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def redirect(location: str) -> Response:
    return Response("", 303, {"Location": location})


class Site(Protocol):
    def handle(self, request: Request) -> Response: ...


class LocalWebServer:
    """Serves MiniWoB's files and the project's sites on 127.0.0.1 (a free port)."""

    def __init__(self) -> None:
        self.static: dict[str, Path] = {}
        self.sites: dict[str, Site] = {}
        self.sessions: dict[str, Any] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a MiniWoB page loads ~6 files

            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_POST(self) -> None:
                server._serve(self, "POST")

            def log_message(self, *args: Any) -> None:  # quiet: no access log on stderr
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, name="gym-agents-web-server",
                         daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mount_static(self, prefix: str, folder: Path) -> None:
        self.static[prefix] = folder.resolve()

    def mount_site(self, prefix: str, site: Site) -> None:
        self.sites[prefix] = site

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(handler.path)
        prefix, _, rest = url.path.lstrip("/").partition("/")
        try:
            if prefix in self.static and method == "GET":
                response = self._file(self.static[prefix], rest)
            elif prefix in self.sites:
                response = self._site(handler, method, prefix, "/" + rest, url.query)
            else:
                response = Response("not found", 404)
        except Exception as exc:  # a bug in a site shows as a 500 page, not a dead server
            response = Response(f"server error: {type(exc).__name__}: {exc}", 500)
        data = response.body.encode() if isinstance(response.body, str) else response.body
        handler.send_response(response.status)
        headers = {"Content-Type": "text/html; charset=utf-8", **response.headers}
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        # The page may navigate away (or its context close) mid-response.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(data)

    def _file(self, folder: Path, rest: str) -> Response:
        path = (folder / rest).resolve()
        if folder not in path.parents or not path.is_file():
            return Response("not found", 404)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), 200, {"Content-Type": kind})  # type: ignore[arg-type]

    def _site(self, handler: BaseHTTPRequestHandler, method: str, prefix: str, path: str,
              query: str) -> Response:
        form: dict[str, list[str]] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            form = parse_qs(handler.rfile.read(length).decode(), keep_blank_values=True)
        cookie = SimpleCookie(handler.headers.get("Cookie") or "")
        sid = cookie[SESSION_COOKIE].value if SESSION_COOKIE in cookie else ""
        with self.lock:
            session = self.sessions.get(sid)
            if session is None:
                return Response("no session: this page belongs to an episode", 403)
            request = Request(method, path, {k: v[0] for k, v in parse_qs(query).items()},
                              form, session)
            return self.sites[prefix].handle(request)


_server: LocalWebServer | None = None
_server_lock = threading.Lock()


def local_server() -> LocalWebServer:
    """The process's server, started on first use."""
    global _server
    with _server_lock:
        if _server is None:
            _server = LocalWebServer()
        return _server
