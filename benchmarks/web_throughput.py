"""Web family throughput: our runtime against a bare Playwright script, side by side.

1. Steps/s on the same page (MiniWoB click-checkboxes-large, toggling its
   checkboxes, which never ends the episode): `WebEnv.step('click("bid")')`
   against a bare sync-Playwright loop in the same Chromium doing the same
   clicks, reading the task's reward and building the same observation (the
   bid-tagged accessibility tree and a screenshot). The ratio is our overhead
   (goal: <= 1.3x). A bare click-only loop is shown too: what observing costs.
2. Episodes/min of the oracle on web/miniwob.login-user-v0 at concurrency 1
   and 4 (four envs sharing one browser through isolated contexts).

    .venv/bin/python benchmarks/web_throughput.py [--steps 60] [--episodes 12]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import gym_agents
from gym_agents.agents import OracleAgent
from gym_agents.environments.web.dom import AXTREE_JS
from gym_agents.environments.web.miniwob import MiniWoBTask
from gym_agents.environments.web.runtime import CHROMIUM_ARGS, chromium_path
from gym_agents.rollout import run_episode

PAGE_TASK = "click-checkboxes-large"
EPISODE_ENV = "web/miniwob.login-user-v0"


def our_steps_per_s(steps: int) -> float:
    env = gym_agents.make(f"web/miniwob.{PAGE_TASK}-v0")
    env.reset(seed=0)
    bids = [item["bid"] for item in env.unwrapped._interactive if item["role"] == "checkbox"]
    env.step(f'click("{bids[0]}")')  # warm up
    start = time.perf_counter()
    for i in range(steps):
        env.step(f'click("{bids[i % len(bids)]}")')
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def bare_steps_per_s(steps: int, observe: bool) -> float:
    """The same clicks with Playwright's sync API and nothing of ours but the page's URL."""
    from playwright.sync_api import sync_playwright

    url = MiniWoBTask(PAGE_TASK).url  # starts our loopback file server; the page is MiniWoB's
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 330, "height": 240})
        page.goto(url)
        page.evaluate("(s) => { Math.seedrandom(s); core.EPISODE_MAX_TIME = 2147483647; "
                      "core.startEpisodeReal(); }", 0)
        page.evaluate(AXTREE_JS, ["body", 400])
        boxes = page.locator("#area input[type=checkbox]")
        count = boxes.count()
        boxes.nth(0).click()
        start = time.perf_counter()
        for i in range(steps):
            boxes.nth(i % count).click()
            page.wait_for_load_state("load")
            if observe:  # what an env must do each step: read the reward, observe
                page.evaluate("() => [WOB_DONE_GLOBAL, WOB_RAW_REWARD_GLOBAL]")
                page.evaluate(AXTREE_JS, ["body", 400])
                page.screenshot(type="png")
        elapsed = time.perf_counter() - start
        browser.close()
    return steps / elapsed


async def episodes_per_min(concurrency: int, episodes: int) -> float:
    envs = [gym_agents.make(EPISODE_ENV) for _ in range(concurrency)]
    seeds = iter(range(episodes))

    async def worker(env) -> int:
        done = 0
        for seed in seeds:
            episode = await run_episode(env, OracleAgent(), env_id=EPISODE_ENV, seed=seed)
            if not episode.success:
                raise RuntimeError(f"oracle episode failed: {episode.error}")
            done += 1
        return done

    start = time.perf_counter()
    finished = sum(await asyncio.gather(*(worker(env) for env in envs)))
    elapsed = time.perf_counter() - start
    for env in envs:
        env.close()
    return finished / elapsed * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60, help="clicks per measurement")
    parser.add_argument("--episodes", type=int, default=12, help="episodes per concurrency")
    parser.add_argument("--repeats", type=int, default=3, help="median over this many runs")
    args = parser.parse_args()

    def median(fn, *a) -> float:
        return statistics.median(fn(*a) for _ in range(args.repeats))

    ours = median(our_steps_per_s, args.steps)
    bare_same = median(bare_steps_per_s, args.steps, True)
    bare_clicks = median(bare_steps_per_s, args.steps, False)
    print(f"page: MiniWoB {PAGE_TASK}, {args.steps} clicks, median of {args.repeats}")
    print(f"  gym-agents WebEnv.step (AX tree + screenshot)  {ours:7.1f} steps/s")
    print(f"  bare Playwright, same clicks + same observation {bare_same:7.1f} steps/s")
    print(f"  bare Playwright, clicks only                    {bare_clicks:7.1f} steps/s")
    print(f"  overhead vs the same work: {bare_same / ours:.2f}x (goal <= 1.3x); "
          f"observing costs {bare_clicks / bare_same:.2f}x over clicks alone")
    one = asyncio.run(episodes_per_min(1, args.episodes))
    four = asyncio.run(episodes_per_min(4, args.episodes))
    print(f"oracle on {EPISODE_ENV}, {args.episodes} episodes:")
    print(f"  concurrency 1: {one:6.1f} episodes/min")
    print(f"  concurrency 4: {four:6.1f} episodes/min ({four / one:.2f}x)")


if __name__ == "__main__":
    main()
