"""What the project's own sites share: per-episode sessions, page layout, `SiteTask`.

A site is a plain Python object that answers `Request`s; its state for one
episode is a session object created at reset, named by a cookie in that
episode's browser context and dropped at close, so every episode starts clean
and the checker reads the final state directly.
"""

from __future__ import annotations

import html
import uuid
from typing import Any, ClassVar

from .env import TaskStatus, WebTask
from .server import SESSION_COOKIE, Request, Response, Site, local_server

STYLE = """
body { font-family: sans-serif; margin: 0; font-size: 14px; }
nav { background: #234; padding: 8px; } nav a { color: #fff; margin-right: 14px; }
main { padding: 12px; } .item { border-bottom: 1px solid #ddd; padding: 6px 0; }
label { display: block; margin: 6px 0; } .msg { background: #efe; padding: 6px; }
.err { background: #fee; padding: 6px; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, nav: list[tuple[str, str]], body: str) -> Response:
    links = "".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in nav)
    return Response(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)}"
                    f"</title><style>{STYLE}</style></head><body><nav>{links}</nav>"
                    f"<main><h1>{esc(title)}</h1>{body}</main></body></html>")


def select(name: str, label: str, options: list[str], chosen: str = "") -> str:
    opts = "".join(f'<option value="{esc(o)}"{" selected" if o == chosen else ""}>{esc(o)}'
                   "</option>" for o in options)
    return f'<label>{esc(label)} <select name="{esc(name)}">{opts}</select></label>'


def text_input(name: str, label: str, value: str = "", kind: str = "text") -> str:
    return (f'<label>{esc(label)} <input type="{kind}" name="{esc(name)}" '
            f'value="{esc(value)}"></label>')


def field(request: Request, name: str) -> str:
    return (request.form.get(name) or [""])[0].strip()


class SiteTask(WebTask):
    """A task on one of the project's sites: a session per episode and a checker."""

    prefix: ClassVar[str]
    start_path: ClassVar[str] = "/"

    def __init__(self) -> None:
        self.server = local_server()
        if self.prefix not in self.server.sites:
            self.server.mount_site(self.prefix, self.make_site())
        self.session: Any = None
        self._sid = ""

    def make_site(self) -> Site:
        raise NotImplementedError

    def new_session(self, seed: int) -> tuple[Any, str]:
        """The episode's state and its goal."""
        raise NotImplementedError

    def check(self, session: Any) -> TaskStatus:
        raise NotImplementedError

    def url(self, path: str) -> str:
        return f"{self.server.base_url}/{self.prefix}{path}"

    async def setup(self, context: Any, page: Any, seed: int) -> str:
        self.close()
        self.session, goal = self.new_session(seed)
        self._sid = uuid.uuid4().hex
        with self.server.lock:
            self.server.sessions[self._sid] = self.session
        await context.add_cookies([{"name": SESSION_COOKIE, "value": self._sid,
                                    "url": self.server.base_url}])
        await page.goto(self.url(self.start_path))
        return goal

    async def validate(self, page: Any, messages: list[str]) -> TaskStatus:
        with self.server.lock:
            return self.check(self.session)

    def close(self) -> None:
        if self._sid:
            with self.server.lock:
                self.server.sessions.pop(self._sid, None)
            self._sid = ""
