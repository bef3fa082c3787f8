"""One Chromium process serving many episodes, each in its own browser context.

Playwright's async API runs on an event loop in one background thread; every
env (sync or async caller, any thread) submits coroutines to it. That keeps
one browser for the whole process while episodes stay isolated (a context has
its own cookies, storage and pages, like a fresh incognito profile).

A dead browser or page is an `EnvInfraError` for the episode that saw it; the
next `new_context` relaunches the browser, so the runtime recovers by itself.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from gym_agents.errors import EnvInfraError, require

T = TypeVar("T")

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Background networking, updates and first-run UI off: a hermetic, quiet browser.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    "--disable-dev-shm-usage",
    # Only loopback resolves: a page can never reach the internet.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    # Exposes Blink's own accessibility role/name to scripts (Element.computedRole).
    "--enable-blink-features=ComputedAccessibilityInfo",
)
DEFAULT_CALL_TIMEOUT = 60.0


def chromium_path() -> str:
    """The Chromium binary: $GYM_AGENTS_CHROMIUM, else Debian's."""
    explicit = os.environ.get("GYM_AGENTS_CHROMIUM")
    if explicit:
        return explicit
    for path in CHROMIUM_CANDIDATES:
        if os.path.exists(path):
            return path
    raise EnvInfraError("Chromium not found: install it (apt-get install chromium) "
                        "or set GYM_AGENTS_CHROMIUM to its path")


def is_closed_error(exc: BaseException) -> bool:
    """Whether a Playwright error means the page, context or browser is gone."""
    text = str(exc)
    return any(s in text for s in ("has been closed", "Target crashed", "Browser closed",
                                   "crashed", "Connection closed", "disconnected"))


class BrowserRuntime:
    """A Playwright driver and one Chromium, owned by a background event loop."""

    def __init__(self, *, headless: bool = True) -> None:
        require("playwright", "web", "the web environments")
        self.headless = headless
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="gym-agents-browser",
                                        daemon=True)
        self._thread.start()
        self._playwright: Any = None
        self.browser: Any = None
        self._launch_lock: asyncio.Lock | None = None
        self._spare: asyncio.Future | None = None
        self.launches = 0

    # Running coroutines on the runtime's loop, from any thread.
    def call(self, coro: Coroutine[Any, Any, T], timeout: float = DEFAULT_CALL_TIMEOUT) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise EnvInfraError(f"the browser did not answer within {timeout:.0f}s") from exc

    async def call_async(self, coro: Coroutine[Any, Any, T],
                         timeout: float = DEFAULT_CALL_TIMEOUT) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError as exc:
            future.cancel()
            raise EnvInfraError(f"the browser did not answer within {timeout:.0f}s") from exc

    # The following run on the runtime's loop.
    async def _ensure_browser(self) -> Any:
        if self._launch_lock is None:
            self._launch_lock = asyncio.Lock()
        async with self._launch_lock:
            if self.browser is not None and self.browser.is_connected():
                return self.browser
            if self._playwright is None:
                from playwright.async_api import async_playwright

                self._playwright = await async_playwright().start()
            if self.browser is not None:  # it died: relaunch
                # already gone; closing only frees the driver's handles
                with contextlib.suppress(Exception):
                    await self.browser.close()
            self.browser = await self._playwright.chromium.launch(
                executable_path=chromium_path(), headless=self.headless, args=list(CHROMIUM_ARGS))
            self.launches += 1
            return self.browser

    async def new_page(self, width: int, height: int) -> tuple[Any, Any]:
        """A fresh isolated context with one page; relaunches the browser first if it died.

        Opening a context and its page costs a renderer process start (~0.2 s), so
        one spare is kept ready and replaced in the background as it is taken.
        """
        try:
            context, page = await self._take_spare() or await self._open()
            await page.set_viewport_size({"width": width, "height": height})
            self._spare = asyncio.ensure_future(self._open())
            self._spare.add_done_callback(lambda f: f.cancelled() or f.exception())
            return context, page
        except EnvInfraError:
            raise
        except Exception as exc:
            raise EnvInfraError(f"could not open a browser context: {exc}") from exc

    async def _take_spare(self) -> tuple[Any, Any] | None:
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            context, page = await spare
        except Exception:  # the browser died while it opened: open a fresh one
            return None
        if page.is_closed() or not self.browser.is_connected():
            return None
        return context, page

    async def _open(self) -> tuple[Any, Any]:
        browser = await self._ensure_browser()
        context = await browser.new_context()
        return context, await context.new_page()

    async def _shutdown(self) -> None:
        if self._spare is not None:
            with contextlib.suppress(Exception):
                await (await self._spare)[0].close()
        if self.browser is not None:
            # a dead browser has nothing left to close
            with contextlib.suppress(Exception):
                await self.browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self.browser = self._playwright = None

    def close(self) -> None:
        if not self.loop.is_running():
            return
        # shutting down anyway
        with contextlib.suppress(Exception):
            self.call(self._shutdown(), timeout=20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)

    def browser_pids(self) -> list[int]:
        """Pids of this process's Chromium (for crash tests and diagnostics)."""
        return [pid for pid in _descendants(os.getpid())
                if _cmdline(pid).startswith(("/usr/", chromium_path()))
                and "--type=" not in _cmdline(pid)]


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


_shared: BrowserRuntime | None = None
_shared_lock = threading.Lock()


def shared_runtime() -> BrowserRuntime:
    """The process-wide runtime every web env uses unless given its own."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BrowserRuntime()
            atexit.register(_shared.close)
        return _shared
