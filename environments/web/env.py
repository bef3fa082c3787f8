"""`WebEnv`: one generic browser env that runs any `WebTask` (BrowserGym's split).

A task sets its page up, says how far the episode got and what its oracle
would do next; the env owns the browser context, the bids, the observation
and the action space. Observation modes: "axtree" (goal + accessibility tree
with bids + screenshot; bid actions) and "screenshot" (goal + screenshot;
coordinate actions), both on the same runtime.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlparse

from gym_agents.core import Action, Image, Observation, StepResult
from gym_agents.env import Env
from gym_agents.errors import ConfigError, EnvInfraError, OracleUnavailable

from .actions import BrowserAction, parse_action, tools_for
from .dom import AXTREE_JS, CENTER_JS
from .runtime import BrowserRuntime, is_closed_error, shared_runtime

ACTION_TIMEOUT_MS = 3000
NAVIGATION_GRACE_MS = 50
MAX_TREE_LINES = 400
RANDOM_FILL_TEXT = "hello"


@dataclass
class TaskStatus:
    """How the episode stands after a step, in the task's own terms."""

    done: bool = False
    success: bool = False
    reward: float = 0.0
    message: str = ""
    info: dict[str, Any] = field(default_factory=dict)


class WebTask:
    """A task run by `WebEnv` (setup / validate / oracle, as BrowserGym's setup/validate/cheat).

    The methods are coroutines run on the runtime's loop with Playwright's async API.
    """

    viewport: ClassVar[tuple[int, int]] = (800, 600)
    # The part of the page shown as the accessibility tree.
    root_selector: ClassVar[str] = "body"
    has_oracle: ClassVar[bool] = True

    async def setup(self, context: Any, page: Any, seed: int) -> str:
        """Open the task's page for `seed`; return the goal shown to the agent."""
        raise NotImplementedError

    async def validate(self, page: Any, messages: list[str]) -> TaskStatus:
        raise NotImplementedError

    async def oracle(self, page: Any) -> str:
        """The next action of a solution, as text such as `click("12")`."""
        raise OracleUnavailable(f"{type(self).__name__} has no oracle")

    def task_id(self, seed: int) -> str:
        raise NotImplementedError

    def allowed_url(self, url: str) -> bool:
        """Only loopback pages: the agent must not reach the internet."""
        return urlparse(url).hostname in ("127.0.0.1", "localhost")

    def close(self) -> None:
        """Free what `setup` made (server-side session state)."""


async def bid_of(page: Any, selector: str) -> str:
    """The bid of the first element matching `selector` (oracles use this)."""
    bid = await page.evaluate(
        "(s) => { const e = document.querySelector(s); return e && e.getAttribute('bid'); }",
        selector)
    if bid is None:
        raise OracleUnavailable(f"the oracle found no element for {selector!r}")
    return bid


async def act_on(page: Any, name: str, selector: str, *args: Any) -> str:
    """An oracle's action text, e.g. `fill('12', 'hello')`, on the element at `selector`."""
    bid = await bid_of(page, selector)
    return f"{name}({', '.join(repr(a) for a in (bid, *args))})"


class WebEnv(Env):
    """A browser episode of a `WebTask`, observed as an AX tree or a screenshot."""

    action_kinds = frozenset({"text", "tool"})
    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, task: WebTask, obs: str = "axtree", screenshot: bool = True,
                 runtime: BrowserRuntime | None = None) -> None:
        if obs not in ("axtree", "screenshot"):
            raise ConfigError(f"obs must be 'axtree' or 'screenshot', got {obs!r}")
        self.task = task
        self.mode = obs
        self.screenshot = screenshot or obs == "screenshot"
        self.runtime = runtime or shared_runtime()
        self.tools = tools_for(obs)
        self._context: Any = None
        self._page: Any = None
        self._goal = ""
        self._messages: list[str] = []
        self._interactive: list[dict[str, Any]] = []
        self._oracle_queue: list[str] = []
        self._done = True
        self._seed = 0

    # Gymnasium API: each call runs one coroutine on the runtime's loop.
    def reset(self, *, seed=None, options=None):
        return self.runtime.call(self._reset(seed))

    def step(self, action: Action) -> StepResult:
        return self.runtime.call(self._step(action))

    async def reset_async(self, *, seed=None, options=None):
        return await self.runtime.call_async(self._reset(seed))

    async def step_async(self, action: Action) -> StepResult:
        return await self.runtime.call_async(self._step(action))

    def oracle_action(self) -> Action:
        if not self.task.has_oracle:
            raise OracleUnavailable(f"{self.spec.id if self.spec else self.task} has no oracle")
        if self._page is None:
            raise OracleUnavailable("call reset() first")
        return self.runtime.call(self._oracle())

    def valid_actions(self) -> list[Action] | None:
        """Concrete actions on what the page shows (what the random agent picks from)."""
        if self.mode != "axtree" or self._page is None:
            return None
        actions: list[Action] = ["noop()"]
        for item in self._interactive:
            bid = item["bid"]
            if item["role"] in ("textbox", "searchbox", "spinbutton", "input"):
                actions.append(f"fill({bid!r}, {RANDOM_FILL_TEXT!r})")
            elif "options" in item:
                actions += [f"select_option({bid!r}, {o!r})" for o in item["options"]]
            else:
                actions.append(f"click({bid!r})")
        return actions

    def render(self) -> bytes | None:
        """The current page as PNG bytes."""
        if self._page is None:
            return None
        return self.runtime.call(self._page.screenshot())

    def close(self) -> None:
        if self._context is not None and self.runtime.loop.is_running():
            # a dead browser has nothing left to close
            with contextlib.suppress(Exception):
                self.runtime.call(self._close_context(), timeout=10)
        self.task.close()

    # Coroutines on the runtime's loop.
    async def _close_context(self) -> None:
        context, self._context, self._page = self._context, None, None
        if context is not None:
            # already gone with a crashed browser
            with contextlib.suppress(Exception):
                await context.close()

    async def _reset(self, seed: int | None) -> tuple[Observation, dict[str, Any]]:
        await self._close_context()
        self._seed = int.from_bytes(os.urandom(4), "little") if seed is None else int(seed)
        width, height = self.task.viewport
        self._context, self._page = await self.runtime.new_page(width, height)
        self._messages, self._oracle_queue, self._done = [], [], False
        try:
            self._page.set_default_timeout(ACTION_TIMEOUT_MS * 5)
            self._goal = await self.task.setup(self._context, self._page, self._seed)
            obs = await self._observe("")
        except EnvInfraError:
            raise
        except Exception as exc:
            raise EnvInfraError(f"the task page failed to load: {exc}") from exc
        return obs, {"task_id": self.task.task_id(self._seed), "goal": self._goal}

    async def _step(self, action: Action) -> StepResult:
        if self._page is None:
            raise EnvInfraError("call reset() before step()")
        parsed = parse_action(action, self.tools)
        error = parsed if isinstance(parsed, str) else await self._execute(parsed)
        try:
            status = await self.task.validate(self._page, self._messages)
            obs = await self._observe(error or "")
        except Exception as exc:
            raise self._infra_or(exc) from exc
        info: dict[str, Any] = {"success": status.success, "url": self._page.url, **status.info}
        if error:
            info["invalid_action"] = True
        if status.message:
            info["task_message"] = status.message
        self._done = status.done
        return StepResult(obs, float(status.reward), bool(status.done), False, info)

    def _infra_or(self, exc: Exception) -> Exception:
        if isinstance(exc, EnvInfraError):
            return exc
        browser = self.runtime.browser
        if (is_closed_error(exc) or self._page.is_closed()
                or browser is None or not browser.is_connected()):
            return EnvInfraError(f"the browser or page died: {str(exc).splitlines()[0]}")
        return exc

    async def _execute(self, action: BrowserAction) -> str | None:
        """Run the action; a message for the agent when it could not be done."""
        page, args = self._page, action.args
        try:
            if "bid" in args:
                locator = page.locator(f'[bid="{args["bid"]}"]')
                if await locator.count() == 0:
                    return f"No element has bid {args['bid']!r}; use a bid shown in [brackets]."
                await self._bid_action(locator, action)
            else:
                problem = await self._page_action(action)
                if problem:
                    return problem
            await page.wait_for_load_state("load", timeout=ACTION_TIMEOUT_MS * 3)
        except Exception as exc:
            infra = self._infra_or(exc)
            if isinstance(infra, EnvInfraError):
                raise infra from exc
            return f"{action} failed: {str(exc).splitlines()[0]}"
        return None

    async def _bid_action(self, locator: Any, action: BrowserAction) -> None:
        args, timeout = action.args, ACTION_TIMEOUT_MS
        if action.name == "click":
            await locator.click(timeout=timeout)
        elif action.name == "fill":
            await locator.fill(args["value"], timeout=timeout)
        elif action.name == "select_option":
            await locator.select_option(label=args["option"], timeout=timeout)
        elif action.name == "hover":
            await locator.hover(timeout=timeout)
        elif action.name == "press":
            await locator.press(args["key_comb"], timeout=timeout)

    async def _page_action(self, action: BrowserAction) -> str | None:
        page, args = self._page, action.args
        if action.name == "mouse_click":
            await page.mouse.click(args["x"], args["y"])
            # Unlike a locator click, a raw click does not wait for the navigation it may
            # start (a submit button): give it a moment to begin, then wait for the load.
            await page.wait_for_timeout(NAVIGATION_GRACE_MS)
        elif action.name == "keyboard_type":
            await page.keyboard.type(args["text"])
        elif action.name == "keyboard_press":
            await page.keyboard.press(args["key_comb"])
            await page.wait_for_timeout(NAVIGATION_GRACE_MS)
        elif action.name == "scroll":
            await page.mouse.wheel(args["delta_x"], args["delta_y"])
        elif action.name == "goto":
            if not self.task.allowed_url(args["url"]):
                return f"goto({args['url']!r}) refused: only this site's pages can be opened."
            await page.goto(args["url"])
        elif action.name == "go_back":
            await page.go_back()
        elif action.name == "send_msg_to_user":
            self._messages.append(str(args["text"]))
        elif action.name == "noop":
            await page.wait_for_timeout(100)
        return None

    async def _observe(self, error: str) -> Observation:
        page = self._page
        parts = [f"# Goal\n{self._goal}"]
        if self.mode == "axtree":
            tree = await self._evaluate(AXTREE_JS, [self.task.root_selector, MAX_TREE_LINES])
            self._interactive = tree["interactive"]
            parts.append(f"# Current page\nURL: {page.url}\n\n# Accessibility tree\n"
                         f"{tree['text']}")
        else:
            # Tag bids all the same: the oracle's actions are translated through them.
            await self._evaluate(AXTREE_JS, [self.task.root_selector, 0])
            width, height = self.task.viewport
            parts.append(f"# Current page\nURL: {page.url}\nThe screenshot is {width}x{height} "
                         "pixels; act with mouse_click(x, y) and keyboard_type(text).")
        if self._messages:
            parts.append("# Your messages to the user\n" + "\n".join(self._messages))
        if error:
            parts.append(f"# Error from your last action\n{error}")
        images: tuple[Image, ...] = ()
        if self.screenshot:
            width, height = self.task.viewport
            images = (Image(await page.screenshot(type="png"), width, height),)
        return Observation("\n\n".join(parts), images=images, tools=self.tools)

    async def _evaluate(self, script: str, arg: Any) -> Any:
        """`page.evaluate`, retried when a navigation the action started replaced the page."""
        for attempt in range(3):
            try:
                return await self._page.evaluate(script, arg)
            except Exception as exc:
                if "context was destroyed" not in str(exc) or attempt == 2:
                    raise
                await self._page.wait_for_load_state("load", timeout=ACTION_TIMEOUT_MS * 3)
        return None

    async def _oracle(self) -> str:
        try:
            return await self._next_oracle_action()
        except OracleUnavailable:
            raise
        except Exception as exc:
            raise self._infra_or(exc) from exc

    async def _next_oracle_action(self) -> str:
        if self._oracle_queue:
            return self._oracle_queue.pop(0)
        action = await self.task.oracle(self._page)
        if self.mode == "axtree":
            return action
        self._oracle_queue = await self._as_coordinates(action)
        return self._oracle_queue.pop(0)

    async def _as_coordinates(self, text: str) -> list[str]:
        """The oracle's bid action as screenshot-mode actions (same effect, by pixels)."""
        action = parse_action(text, tools_for("axtree"))
        if isinstance(action, str):
            raise OracleUnavailable(f"the oracle's action {text!r} does not parse: {action}")
        if "bid" not in action.args:
            return [text]
        handle = await self._page.query_selector(f'[bid="{action.args["bid"]}"]')
        center = handle and await handle.evaluate(CENTER_JS)
        if not center:
            raise OracleUnavailable(f"the oracle's target of {text!r} has no box on screen")
        click = f"mouse_click({center[0]}, {center[1]})"
        if action.name == "click":
            return [click]
        if action.name == "fill":
            return [click, "keyboard_press('Control+a')",
                    f"keyboard_type({action.args['value']!r})"]
        if action.name == "press":
            return [click, f"keyboard_press({action.args['key_comb']!r})"]
        if action.name == "select_option":
            return [f"keyboard_type({action.args['option']!r})"] if await handle.evaluate(
                "e => document.activeElement === e") else [
                click, f"keyboard_type({action.args['option']!r})", "keyboard_press('Enter')"]
        raise OracleUnavailable(f"no screenshot-mode equivalent of {text!r}")
