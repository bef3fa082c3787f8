"""Run folders for the viewer tests: real `gym-agents eval` runs and a synthetic training run.

Training runs are written the way the trainers write them (config.yaml,
metrics.jsonl, rollouts.jsonl of Episode records with token ids, logprobs and
SUPO segments), so the viewer is tested on their format without training.
"""

from __future__ import annotations

import json
import math
import struct
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from gym_agents.cli.main import main
from gym_agents.core import Image, Observation
from gym_agents.episode import Episode, Turn
from gym_agents.viewer.index import Run, discover_runs
from gym_agents.viewer.server import make_server

# Scripted ReAct replies: the model's messages, token ids and logprobs are real.
REACT_REPLIES = ["Thought: the first symbol was yellow.\nAction: yellow",
                 "Thought: repeat it.\nAction: red", "Action: blue", "I am not sure."]
PATCH = ("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
         " def add(a, b):\n-    return a - b\n+    return a + b\n")


def eval_cli(*args: str) -> None:
    """Run `gym-agents eval` in a thread: Playwright's sync API holds this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        code = pool.submit(main, ["eval", *args, "--quiet"]).result()
    if code != 0:
        raise RuntimeError(f"gym-agents eval {' '.join(args)} exited {code}")


@contextmanager
def serving(dirs: list[Path]) -> Iterator[tuple[str, dict[str, int], list[Run]]]:
    """The viewer over `dirs` on a free port: its URL, run ids by short name, and the runs."""
    runs = discover_runs(dirs)
    server = make_server(runs, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield (f"http://127.0.0.1:{server.server_address[1]}/",
               {run.name.split("/")[-1]: i for i, run in enumerate(runs)}, runs)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def eval_root(tmp_path_factory, shared_cache) -> Path:
    """Three eval runs of the toy envs: oracle, random, and ReAct on a scripted model."""
    root = tmp_path_factory.mktemp("eval_runs")
    toys = ["--env", "toy/Relay-v0", "--env", "toy/GuessNumber-v0", "--episodes", "4"]
    eval_cli(*toys, "--agent", "oracle", "--out", str(root / "oracle"))
    eval_cli(*toys, "--agent", "random", "--out", str(root / "random"))
    replies = root / "replies.jsonl"
    replies.write_text("".join(json.dumps(r) + "\n" for r in REACT_REPLIES))
    eval_cli("--env", "toy/Relay-v0", "--episodes", "2", "--agent", "react",
             "--model", f"scripted:{replies}", "--out", str(root / "react"))
    return root


def png_bytes(width: int, height: int, pixel=lambda x, y: (x * 4 % 256, y * 4 % 256, 160)) -> bytes:
    """A small RGB PNG (stdlib only), for fast tests that need an image."""
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width))
                   for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def obs_messages(t: int, image: Image | None) -> list[dict]:
    """What the model saw: text, and on turn 2 the screenshot too (as a VLM gets it)."""
    obs = Observation(text=f"prompt of turn {t}", images=(image,) if image and t == 2 else ())
    return obs.to_messages()


def training_episode(i: int, step: int, image: Image | None) -> Episode:
    """A 4-turn training episode with token ids, logprobs and two SUPO segments."""
    turns = []
    for t in range(4):
        logprobs = [-(((i + t + k) % 7) / 2.0) for k in range(12 + t)]
        info: dict = {"success": t == 3 and i % 2 == 0}
        if t == 2:
            info["summary"] = f"Summary of segment 0: tried {i} moves, the door is locked."
        if t == 3:
            info.update({"patch": PATCH, "tests": {"test_add": "passed", "test_sub": "failed"},
                         "submission": "submission.csv", "score": 0.75,
                         "grade": {"resolved": False, "fail_to_pass_fixed": 0.5,
                                   "regressions": ["tests/test_calc.py::test_sub"],
                                   "still_failing": []}})
        obs = Observation(text=f"obs {i}.{t} <script>alert('x')</script> </script>",
                          images=(image,) if image is not None and t == 1 else ())
        turns.append(Turn(
            index=t, action=f"move {t}", observation=obs, reward=1.0 if info["success"] else 0.0,
            terminated=t == 3, info=info,
            messages=obs_messages(t, image),
            completion=f"Thought: step {t}\nAction: move {t}",
            prompt_token_ids=list(range(30 + t)), token_ids=list(range(100, 112 + t)),
            logprobs=logprobs, agent_seconds=0.01, env_seconds=0.002, segment=t // 2))
    return Episode(env_id="toy/Relay-v0", seed=i, task_id=f"relay-{i}", agent="grpo",
                   model="hf:models/tiny", success=i % 2 == 0,
                   total_reward=float(i % 2 == 0), turns=turns,
                   initial_observation=Observation(text=f"start {i}"),
                   config={"train_step": step})


def write_training_run(path: Path, steps: int = 30, image: Image | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text("algorithm: grpo\nmodel: hf:models/tiny\nlr: 1.0e-5\n")
    with open(path / "metrics.jsonl", "w") as f:
        for step in range(steps):
            row = {"step": step, "time": 1.5 * step, "reward/mean": step / steps,
                   "reward/std": 0.1, "success/mean": step / (2 * steps),
                   "policy/entropy": 2.0 - step / steps, "policy/approx_kl": 0.01 * step,
                   "policy/clip_frac": 0.05, "policy/grad_norm": 1.0 + math.sin(step),
                   "response/length_mean": 40 + step, "episode/turns_mean": 4.0,
                   "perf/tokens_per_s": 900.0 + step, "time/rollout_s": 2.0,
                   "time/train_s": 1.0, "pivot/retention": 0.9, "supo/summaries_mean": 1.0}
            if step % 10 == 9:
                row |= {"eval/success": step / steps, "eval/reward": step / steps}
            if step == 3:
                row["policy/grad_norm"] = float("nan")  # a trainer may log NaN
            f.write(json.dumps(row) + "\n")
        f.write('{"step": 99, "reward/me')  # a line cut short by a live writer
    with open(path / "rollouts.jsonl", "w") as f:
        for i in range(6):
            f.write(json.dumps(training_episode(i, step=i // 2, image=image).to_dict()) + "\n")
    return path


@pytest.fixture(scope="session")
def training_run(tmp_path_factory) -> Path:
    image = Image(png_bytes(48, 32), 48, 32)
    return write_training_run(tmp_path_factory.mktemp("train") / "grpo", image=image)
