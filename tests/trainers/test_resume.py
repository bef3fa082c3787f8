"""`gym-agents train`: kill -9 mid-run, `--resume`, and the run ends as an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

STEPS = 6
COMPARED = ("reward/mean", "success/mean", "policy/loss", "policy/entropy", "policy/grad_norm",
            "advantages/abs_mean", "response/length_mean")


def _command(model: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gym_agents.cli.main", "train", "--output-dir", str(out),
            f"model.path={model}", "algorithm=grpo", "env.id=toy/Relay-v0",
            "env.kwargs={length: 2}", "env.max_turns=4", "rollout.tasks_per_step=2",
            "rollout.group_size=4", "rollout.max_tokens=4", f"trainer.steps={STEPS}",
            "trainer.lr=3e-4", "checkpoint.every=2", "logging.tensorboard=false", *extra]


def _metrics(out: Path) -> dict[int, dict]:
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return {m["step"]: m for m in map(json.loads, lines)}


def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.mark.slow
def test_kill_9_then_resume_matches_an_uninterrupted_run(tiny_model_dir, tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(_command(tiny_model_dir, straight), check=True, env=_env(),
                   capture_output=True, timeout=600)

    proc = subprocess.Popen(_command(tiny_model_dir, killed), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 600
    while not (killed / "checkpoints" / "step_000004").exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert max(_metrics(killed)) < STEPS  # it really died before the end

    done = subprocess.run(_command(tiny_model_dir, killed, "--resume"), env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    a, b = _metrics(straight), _metrics(killed)
    assert sorted(a) == sorted(b) == list(range(1, STEPS + 1))
    for step in a:
        for key in COMPARED:
            assert b[step][key] == pytest.approx(a[step][key], rel=1e-4, abs=1e-6), (step, key)
    # Each training episode is stored once: the steps redone after the kill replaced theirs.
    episodes = [json.loads(line) for line in (killed / "rollouts.jsonl").read_text().splitlines()]
    assert len(episodes) == STEPS * 8
    assert (killed / "final" / "config.json").exists()


@pytest.mark.slow
def test_sigterm_checkpoints_and_stops(tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(_command(tiny_model_dir, out, "trainer.steps=1000",
                                     "checkpoint.every=1000"),
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    while not (out / "metrics.jsonl").exists() or not (out / "metrics.jsonl").read_text():
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err[-2000:]
    assert "--resume" in err
    step = max(_metrics(out))
    assert (out / "checkpoints" / f"step_{step:06d}").exists()
