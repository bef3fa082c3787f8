"""MiniWoB++ tasks: the `miniwob` package's HTML files, served on loopback, seeded.

Each episode loads the task page in a fresh context, seeds the page's RNG
(`Math.seedrandom`, as MiniWoB's own Python side does), turns the 10-second
episode timer off (agents think slower than that) and starts the task. The
reward is MiniWoB's own raw reward (`WOB_RAW_REWARD_GLOBAL`, in [-1, 1]);
success is a positive raw reward, MiniWoB's binary convention.

The oracles read the task's own DOM and JS state to decide what to do, then
act through the public action space like any agent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from gym_agents.errors import DependencyNotInstalled, EnvInfraError, OracleUnavailable

from .env import TaskStatus, WebEnv, WebTask
from .miniwob_oracles import ORACLES, PRELUDE
from .server import local_server


def miniwob_html_dir() -> Path:
    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise DependencyNotInstalled("miniwob", "web", "the MiniWoB++ tasks")
    return Path(next(iter(spec.submodule_search_locations))) / "html"


_START_JS = """(seed) => {
  Math.seedrandom(seed);
  core.EPISODE_MAX_TIME = 2147483647;  // no wall-clock limit: the env's step limit bounds it
  core.startEpisodeReal();
}"""
_STATUS_JS = """() => ({done: WOB_DONE_GLOBAL, reward: WOB_REWARD_GLOBAL,
                        raw: WOB_RAW_REWARD_GLOBAL, reason: WOB_REWARD_REASON})"""
# A few tasks return {utterance, fields} instead of the text (MiniWoB's train data mode).
_UTTERANCE_JS = """() => { const u = core.getUtterance();
                           return typeof u === 'string' ? u : u && u.utterance; }"""
# The score panel beside the task is MiniWoB's own UI, not part of the task.
_HIDE_PANEL_CSS = "#reward-display { display: none !important; }"


class MiniWoBTask(WebTask):
    viewport = (330, 240)

    def __init__(self, task: str) -> None:
        self.name = task
        self.oracle_js = ORACLES.get(task)
        self.has_oracle = self.oracle_js is not None
        server = local_server()
        if "miniwob" not in server.static:
            server.mount_static("miniwob", miniwob_html_dir())
        if not (server.static["miniwob"] / "miniwob" / f"{task}.html").is_file():
            raise DependencyNotInstalled("miniwob (with the task " + task + ")", "web")
        self.url = f"{server.base_url}/miniwob/miniwob/{task}.html"

    def task_id(self, seed: int) -> str:
        return f"miniwob.{self.name}/{seed}"

    async def setup(self, context: Any, page: Any, seed: int) -> str:
        await page.goto(self.url)
        await page.add_style_tag(content=_HIDE_PANEL_CSS)
        await page.evaluate(_START_JS, seed)
        # Some tasks build their page asynchronously and say so through WOB_TASK_READY.
        await page.wait_for_function("() => WOB_TASK_READY !== false", timeout=5000)
        goal = await page.evaluate(_UTTERANCE_JS)
        if not isinstance(goal, str):
            raise EnvInfraError(f"MiniWoB task {self.name} did not start")
        return goal

    async def validate(self, page: Any, messages: list[str]) -> TaskStatus:
        wob = await page.evaluate(_STATUS_JS)
        if not wob["done"]:
            return TaskStatus()
        raw = float(wob["raw"])
        return TaskStatus(done=True, success=raw > 0, reward=raw,
                          message=str(wob["reason"] or ""),
                          info={"miniwob_reward": float(wob["reward"])})

    async def oracle(self, page: Any) -> str:
        if self.oracle_js is None:
            raise OracleUnavailable(f"no oracle for MiniWoB task {self.name} yet")
        action = await page.evaluate(f"() => {{ {PRELUDE}\n{self.oracle_js} }}")
        if not isinstance(action, str):
            raise OracleUnavailable(f"the {self.name} oracle found nothing to do")
        return action


class MiniWoBEnv(WebEnv):
    """One MiniWoB++ task in the shared browser (`web/miniwob.<task>-v0`)."""

    def __init__(self, task: str, obs: str = "axtree", screenshot: bool = True) -> None:
        super().__init__(MiniWoBTask(task), obs=obs, screenshot=screenshot)
