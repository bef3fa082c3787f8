"""Viewer load times for 1k and 100k synthetic episodes: first page, and opening an episode.

    .venv/bin/python benchmarks/viewer_load.py [--sizes 1000 100000] [--turns 6] [--no-browser]

For each size, writes an episodes.jsonl of synthetic LLM episodes (`--turns`
turns, each with prompt/completion token ids and logprobs; about 9 KB an
episode at 6 turns), then measures, side by side in one run:

- cold start: finding the run, building the byte-offset index (no cache) and
  serving the first page of the episode list over HTTP;
- warm start: the same with the index cache from the cold start (what every
  later `gym-agents view` of that folder costs);
- opening an episode: GET of one whole episode by offset (median of 20);
- a filtered page (outcome=success, reward >= 0.5, sorted by reward);
- in headless Chromium (unless --no-browser): from navigation to the run page
  rendered, and to an episode rendered;
- the baseline a viewer without an index pays: parsing every episode of the
  file (`EpisodeStore`), printed as a ratio to the warm first page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from gym_agents.core import Observation
from gym_agents.episode import Episode, Turn
from gym_agents.store import EpisodeStore
from gym_agents.viewer.index import discover_runs, index_cache_path
from gym_agents.viewer.server import make_server

ENVS = ("toy/Relay-v0", "toy/GuessNumber-v0", "textworld/simple-v0", "alfworld/all-v0")


def template_line(turns: int) -> str:
    """One episode as a JSON line, with placeholders for what varies between episodes."""
    rng = random.Random(0)
    steps = [Turn(index=t, action=f"go {t}", observation=Observation(text="You see a door. " * 8),
                  reward=0.0, info={"llm": {"prompt_tokens": 300, "completion_tokens": 40}},
                  messages=[{"role": "user", "content": "Where next? " * 10}],
                  completion="Thought: go on.\nAction: go", prompt_token_ids=list(range(300)),
                  token_ids=list(range(1000, 1040)),
                  logprobs=[round(-rng.random() * 3, 4) for _ in range(40)])
             for t in range(turns)]
    data = Episode(env_id="__ENV__", seed=0, task_id="__TASK__", agent="react",
                   model="hf:models/tiny", turns=steps,
                   initial_observation=Observation(text="Start.")).to_dict()
    data.update(seed=-11111, success=False, total_reward=-22222.0)
    line = json.dumps(data).replace("{", "{{").replace("}", "}}")  # literal braces for format()
    return (line.replace('"__ENV__"', "{env}").replace('"__TASK__"', "{task}")
            .replace("-11111", "{seed}").replace("false, \"total_reward\": -22222.0",
                                                 "{success}, \"total_reward\": {reward}"))


def write_episodes(path: Path, n: int, turns: int) -> None:
    line = template_line(turns) + "\n"
    rng = random.Random(n)
    with open(path, "w") as f:
        for i in range(n):
            env = ENVS[i % len(ENVS)]
            reward = rng.random()
            f.write(line.format(env=json.dumps(env), task=json.dumps(f"{env}-{i // 4}"),
                                seed=i, success="true" if reward > 0.7 else "false",
                                reward=round(reward, 4)))


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as res:
        return res.read()


def serve(root: Path):
    """Find and index the run (as `gym-agents view` does), start the server; return it."""
    runs = discover_runs([root])
    for run in runs:
        run.load_index()
    server = make_server(runs, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def first_page(root: Path) -> tuple[float, object, str]:
    start = time.perf_counter()
    server, base = serve(root)
    get(base + "/api/runs")
    page = json.loads(get(base + "/api/runs/0/episodes?limit=50"))
    if len(page["rows"]) != 50:
        raise RuntimeError("the first page is not full")
    return time.perf_counter() - start, server, base


def browser_times(base: str, n: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(base + "/")  # warm the browser's own start-up out of the numbers
        page.wait_for_selector("body[data-state=ready]")
        start = time.perf_counter()
        page.goto(base + "/#run/0")
        page.wait_for_selector("#episode-table tr.link")
        run_page = time.perf_counter() - start
        start = time.perf_counter()
        page.goto(base + f"/#ep/0/{n // 2}")
        page.wait_for_selector("body[data-view=ep][data-state=ready] .turn")
        episode = time.perf_counter() - start
        browser.close()
    return run_page, episode


def measure(n: int, turns: int, browser: bool, folder: Path) -> None:
    root = folder / f"run-{n}"
    root.mkdir()
    path = root / "episodes.jsonl"
    start = time.perf_counter()
    write_episodes(path, n, turns)
    size = path.stat().st_size
    print(f"\n{n:,} episodes, {size / 1e6:.0f} MB (written in {time.perf_counter() - start:.1f} s)")
    index_cache_path(path).unlink(missing_ok=True)

    cold, server, _ = first_page(root)
    server.shutdown()
    warm, server, base = first_page(root)
    rng = random.Random(1)
    opens = []
    for _ in range(20):
        start = time.perf_counter()
        episode = json.loads(get(base + f"/api/runs/0/episodes/{rng.randrange(n)}"))
        opens.append(time.perf_counter() - start)
    if len(episode["turns"]) != turns:
        raise RuntimeError("an opened episode lost turns")
    start = time.perf_counter()
    get(base + "/api/runs/0/episodes?outcome=success&min_reward=0.5&sort=-reward")
    filtered = time.perf_counter() - start

    start = time.perf_counter()
    count = sum(1 for _ in EpisodeStore(path))
    naive = time.perf_counter() - start
    if count != n:
        raise RuntimeError(f"baseline read {count} of {n} episodes")

    print(f"  first page, cold (index built)     {cold * 1000:9.1f} ms")
    print(f"  first page, warm (index cached)    {warm * 1000:9.1f} ms")
    print(f"  open an episode (median of 20)     {statistics.median(opens) * 1000:9.1f} ms")
    print(f"  filtered + sorted page             {filtered * 1000:9.1f} ms")
    if browser:
        run_page, episode_page = browser_times(base, n)
        print(f"  Chromium: run page rendered        {run_page * 1000:9.1f} ms")
        print(f"  Chromium: episode rendered         {episode_page * 1000:9.1f} ms")
    print(f"  baseline: parse every episode      {naive * 1000:9.1f} ms"
          f"   ({naive / warm:.0f}x the warm first page, {naive / cold:.1f}x the cold one)")
    server.shutdown()
    server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # A private cache, so the cold start is really cold and nothing is left behind.
        os.environ["GYM_AGENTS_CACHE"] = str(Path(tmp) / "cache")
        for n in args.sizes:
            measure(n, args.turns, not args.no_browser, Path(tmp))


if __name__ == "__main__":
    main()
