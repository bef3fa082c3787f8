import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from gym_agents.cli.main import main


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gym_agents.cli.main", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_list_and_info(capsys):
    assert main(["list", "--family", "toy"]) == 0
    assert "toy/Relay-v0" in capsys.readouterr().out
    assert main(["info", "toy/GuessNumber-v0"]) == 0
    out = capsys.readouterr().out
    assert "max_episode_steps: 20" in out and "tool" in out


def test_unknown_env_and_agent_exit_2_with_a_hint(capsys):
    assert main(["info", "toy/Relai-v0"]) == 2
    assert "Did you mean toy/Relay-v0" in capsys.readouterr().err
    assert main(["eval", "--env", "toy/Relay-v0", "--agent", "genius"]) == 2
    assert "choose one of: " in (err := capsys.readouterr().err) and "oracle, random" in err


def test_unusable_out_folder_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    code = main(["eval", "--env", "toy/Relay-v0", "--out", str(tmp_path / "file" / "x"),
                 "--quiet"])
    assert code == 2 and "Choose another --out folder" in capsys.readouterr().err


def test_eval_writes_episodes_and_summary(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["eval", "--env", "toy/GuessNumber-v0", "--agent", "oracle", "--episodes", "6",
                 "--concurrency", "3", "--out", str(out), "--quiet"]) == 0
    assert "toy/GuessNumber-v0" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["envs"]["toy/GuessNumber-v0"]["success_rate"] == 1.0
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 6
    assert json.loads((out / "config.json").read_text())["eval"]["agent"] == "oracle"


def test_resume_skips_a_corrupt_line_with_a_warning(tmp_path):
    out = tmp_path / "run"
    assert cli("eval", "--env", "toy/Relay-v0", "--episodes", "3", "--out", str(out),
               "--quiet").returncode == 0
    with open(out / "episodes.jsonl", "a") as f:
        f.write("garbage{\n")
    proc = cli("eval", "--env", "toy/Relay-v0", "--episodes", "4", "--out", str(out), "--resume",
               "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "skipped a corrupt line" in proc.stderr
    assert json.loads((out / "summary.json").read_text())["envs"]["toy/Relay-v0"]["episodes"] == 4


def test_play_in_the_terminal(monkeypatch, capsys):
    from gym_agents.cli import play

    answers = iter(["/hint", "/actions", "red", "/quit"])
    args = type("Args", (), {"env_id": "toy/Relay-v0", "seed": 0, "split": "test"})
    assert play.play_command(args, input_fn=lambda prompt: next(answers)) == 0
    out = capsys.readouterr().out
    assert "hint:" in out and "red, green, blue, yellow" in out and "Noted." in out


def test_sigkill_midway_then_resume_stores_every_episode_exactly_once(tmp_path):
    out = tmp_path / "run"
    args = ["eval", "--env", "toy/Relay-v0", "--env", "toy/GuessNumber-v0", "--agent", "oracle",
            "--agent-arg", "delay=0.02", "--episodes", "30", "--concurrency", "4",
            "--out", str(out), "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "gym_agents.cli.main", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    episodes = out / "episodes.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if episodes.exists() and len(episodes.read_bytes().splitlines()) >= 15:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored_before = len(episodes.read_bytes().splitlines())
    assert 15 <= stored_before < 60, "the kill should land midway"

    resumed = cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {stored_before}" in resumed.stderr or "resuming:" in resumed.stderr
    keys = Counter()
    for line in episodes.read_text().splitlines():
        try:
            ep = json.loads(line)
        except json.JSONDecodeError:
            continue  # at most the one line the kill cut short
        keys[(ep["env_id"], ep["seed"])] += 1
    assert len(keys) == 60 and set(keys.values()) == {1}
    summary = json.loads((out / "summary.json").read_text())
    assert all(s["episodes"] == 30 and s["success_rate"] == 1.0 for s in summary["envs"].values())
