"""The viewer's index, API, comparison and report over real eval runs and a training run."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from gym_agents.cli.main import main
from gym_agents.viewer.index import build_index, discover_runs, full_row, quick_row
from gym_agents.viewer.report import thin_metrics
from tests.viewer.conftest import serving


@pytest.fixture(scope="module")
def server(eval_root, training_run):
    with serving([eval_root, training_run]) as (base, ids, _):
        yield base.rstrip("/"), ids


def get(base: str, path: str):
    with urllib.request.urlopen(base + path, timeout=10) as res:
        body = res.read()
        return json.loads(body) if res.headers["Content-Type"] == "application/json" else body


def get_error(base: str, path: str) -> tuple[int, str]:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(base + path, timeout=10)
    return info.value.code, info.value.read().decode()


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_runs_are_found_below_a_folder_with_config_and_summary(eval_root, training_run):
    runs = {r.name: r for r in discover_runs([eval_root, training_run])}
    root = eval_root.name
    assert set(runs) == {f"{root}/oracle", f"{root}/random", f"{root}/react", "grpo"}
    oracle = runs[f"{root}/oracle"]
    assert oracle.kind == "eval" and oracle.config["eval"]["agent"] == "oracle"
    assert oracle.summary["envs"]["toy/Relay-v0"]["success_rate"] == 1.0
    grpo = runs["grpo"]
    assert grpo.kind == "training" and grpo.config.startswith("algorithm: grpo")
    assert grpo.episodes_file.name == "rollouts.jsonl"


def test_index_is_cached_and_extended_when_the_file_grows(tmp_path, eval_root):
    path = tmp_path / "episodes.jsonl"
    shutil.copy(eval_root / "random" / "episodes.jsonl", path)
    records = lines(path)
    calls = []
    first = build_index(path, progress=lambda done, total: calls.append(done))
    assert len(first.rows) == len(records) == 8 and calls
    assert [r[2] for r in first.rows] == [r["env_id"] for r in records]

    calls.clear()  # unchanged file: the cached index answers without reading a line
    again = build_index(path, progress=lambda done, total: calls.append(done))
    assert again.rows == first.rows and calls == []

    size = path.stat().st_size
    with open(path, "a") as f:  # a live run appends: only the new line is read
        f.write(json.dumps(records[0]) + "\n")
        f.write("not json\n")
        f.write(json.dumps(records[1])[:50])  # still being written
    grown = build_index(path, progress=lambda done, total: calls.append(done))
    assert len(grown.rows) == 9 and grown.skipped == 1
    assert min(calls) > size  # reading started where the cached index stopped
    assert grown.rows[8][0] == size  # byte offset of the appended episode

    path.write_text(json.dumps(records[2]) + "\n")  # rewritten: start over
    assert [r[3] for r in build_index(path).rows] == [records[2]["task_id"]]


def test_episode_pages_filter_and_sort(server, eval_root):
    base, ids = server
    rid = ids["random"]
    records = lines(eval_root / "random" / "episodes.jsonl")
    page = get(base, f"/api/runs/{rid}/episodes")
    assert page["total"] == 8 and page["facets"]["env_id"] == {"toy/Relay-v0": 4,
                                                                "toy/GuessNumber-v0": 4}
    relay = get(base, f"/api/runs/{rid}/episodes?env=toy/Relay-v0")
    assert relay["total"] == 4 and {r["env_id"] for r in relay["rows"]} == {"toy/Relay-v0"}
    fails = get(base, f"/api/runs/{rid}/episodes?outcome=failure")
    assert fails["total"] == sum(not r["success"] for r in records)
    high = get(base, f"/api/runs/{rid}/episodes?min_reward=0.1&sort=-reward")
    rewards = [r["total_reward"] for r in high["rows"]]
    assert rewards == sorted(rewards, reverse=True)
    assert len(rewards) == sum(r["total_reward"] >= 0.1 for r in records)
    assert get(base, f"/api/runs/{rid}/episodes?task=guess-2")["total"] == 1
    assert get(base, f"/api/runs/{rid}/episodes?status=infra_error")["total"] == 0
    second = get(base, f"/api/runs/{rid}/episodes?offset=5&limit=2")
    assert [r["n"] for r in second["rows"]] == [5, 6]
    episode = get(base, f"/api/runs/{rid}/episodes/6")
    assert episode["episode_id"] == records[6]["episode_id"] and episode["n"] == 6


def test_bad_requests_say_what_is_wrong(server):
    base, ids = server
    assert get_error(base, "/api/runs/99/episodes")[0] == 404
    assert get_error(base, f"/api/runs/{ids['random']}/episodes/999")[0] == 404
    code, body = get_error(base, f"/api/runs/{ids['random']}/episodes?min_reward=abc")
    assert code == 400 and "min_reward must be a number" in body
    code, body = get_error(base, f"/api/runs/{ids['random']}/episodes?outcome=maybe")
    assert code == 400 and "outcome" in body
    assert get_error(base, "/../pyproject.toml")[0] == 404
    assert get_error(base, "/static/../server.py")[0] == 404
    assert b"app.js" in get(base, "/") and b"function renderEpisode" in get(base, "/app.js")
    rebound = urllib.request.Request(base + "/api/runs", headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(rebound, timeout=10)
    assert info.value.code == 403


def test_compare_pairs_the_same_tasks(server, eval_root):
    base, ids = server
    data = get(base, f"/api/compare?a={ids['oracle']}&b={ids['random']}")
    random_success = {r["task_id"]: r["success"]
                      for r in lines(eval_root / "random" / "episodes.jsonl")}
    assert len(data["pairs"]) == 8
    for pair in data["pairs"]:
        assert pair["a"]["task_id"] == pair["b"]["task_id"] == pair["task"]
        assert pair["a"]["success"] is True
        assert pair["verdict"] == ("both" if random_success[pair["task"]] else "a_wins")
    assert data["counts"]["a_wins"] == sum(not s for s in random_success.values())
    diff = get(base, f"/api/compare?a={ids['oracle']}&b={ids['random']}&only=diff")
    assert all(p["verdict"] == "a_wins" or p["a"]["total_reward"] != p["b"]["total_reward"]
               for p in diff["pairs"])
    react = get(base, f"/api/compare?a={ids['oracle']}&b={ids['react']}")
    assert react["counts"].get("only_a") == 6  # react ran 2 of oracle's 8 tasks


def test_training_run_metrics_and_rollouts(server):
    base, ids = server
    rid = ids["grpo"]
    rows = get(base, f"/api/runs/{rid}/metrics")["rows"]
    assert len(rows) == 30  # the half-written last line is skipped
    assert rows[3]["policy/grad_norm"] is None  # NaN arrives as null, not invalid JSON
    assert [r["step"] for r in rows if "eval/success" in r] == [9, 19, 29]
    page = get(base, f"/api/runs/{rid}/episodes")
    assert [r["step"] for r in page["rows"]] == [0, 0, 1, 1, 2, 2]
    assert [r["n"] for r in get(base, f"/api/runs/{rid}/episodes?step=1")["rows"]] == [2, 3]
    info = get(base, "/api/runs")["runs"][rid]
    assert info["kind"] == "training" and info["last_metrics"]["step"] == 29
    episode = get(base, f"/api/runs/{rid}/episodes/0")
    assert [t["segment"] for t in episode["turns"]] == [0, 0, 1, 1]
    assert episode["turns"][1]["observation"]["images"][0]["width"] == 48


def report_data(html: str) -> dict:
    match = re.search(r"<script>window\.GA_DATA = (.*?);</script>", html, re.S)
    return json.loads(match.group(1))


def test_report_is_one_self_contained_file(tmp_path, eval_root, training_run):
    out = tmp_path / "report.html"
    assert main(["report", str(eval_root), str(training_run), "--out", str(out),
                 "--episodes", "3"]) == 0
    html = out.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and '<script src' not in html
    assert "function lineChart" in html and "svg.chart" in html
    # Trajectory text cannot close the data block: every </script> is one of ours.
    assert html.count("</script>") == 2
    data = report_data(html)
    assert [r["name"].split("/")[-1] for r in data["runs"]] == ["oracle", "random", "react", "grpo"]
    grpo = str(len(data["runs"]) - 1)
    assert len(data["metrics"][grpo]) == 30
    assert sorted(data["episodes"][grpo]) == ["0", "1", "2"]
    assert "<script>alert" in data["episodes"][grpo]["0"]["turns"][0]["observation"]["text"]


def test_cli_errors_say_what_to_do(tmp_path, capsys):
    assert main(["view", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert "no runs in" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["view", "--help"])
    assert "gym-agents view runs/oracle" in capsys.readouterr().out


def test_quick_rows_match_fully_parsed_rows(eval_root, training_run):
    files = [eval_root / name / "episodes.jsonl" for name in ("oracle", "random", "react")]
    for path in [*files, training_run / "rollouts.jsonl"]:
        for raw in path.read_bytes().splitlines(keepends=True):
            assert quick_row(7, raw) == full_row(7, raw) is not None
    # Another writer's key order: the quick path steps aside and the full parse reads it.
    data = json.loads((training_run / "rollouts.jsonl").read_bytes().splitlines()[0])
    reordered = json.dumps(dict(reversed(data.items()))).encode() + b"\n"
    assert quick_row(0, reordered) is None
    assert full_row(0, reordered)[9] == 4 and full_row(0, reordered)[10] == 0


def test_view_command_serves_until_interrupted(eval_root):
    proc = subprocess.Popen([sys.executable, "-m", "gym_agents.cli.main", "view", str(eval_root),
                             "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # "3 runs, 18 episodes: open http://127.0.0.1:PORT/ ..."
            url = re.search(r"http://127\.0\.0\.1:\d+/", line)
            if url:
                break
        assert url and line.startswith("3 runs, 18 episodes"), line
        assert len(get(url.group(0).rstrip("/"), "/api/runs")["runs"]) == 3
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_live_run_shows_what_it_writes_next(tmp_path, eval_root):
    run = tmp_path / "live"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 0, "reward/mean": 0.1}\n')
    episodes = (eval_root / "random" / "episodes.jsonl").read_text().splitlines(keepends=True)
    with serving([run]) as (base, _, _):
        base = base.rstrip("/")
        info = get(base, "/api/runs")["runs"][0]
        assert info["episodes"] == 0 and info["summary"] is None
        (run / "rollouts.jsonl").write_text("".join(episodes[:3]))
        (run / "summary.json").write_text(json.dumps({"envs": {}}))
        info = get(base, "/api/runs")["runs"][0]
        assert info["episodes"] == 3 and info["summary"] == {"envs": {}}
        with open(run / "rollouts.jsonl", "a") as f:
            f.write(episodes[3])
        assert get(base, "/api/runs/0/episodes")["total"] == 4
        assert get(base, "/api/runs/0/episodes/3")["episode_id"] == \
            json.loads(episodes[3])["episode_id"]


def test_report_thins_long_metrics_but_keeps_eval_steps():
    rows = [{"step": i, "reward/mean": i} | ({"eval/success": 1.0} if i % 997 == 0 else {})
            for i in range(10_000)]
    kept = thin_metrics(rows, most=1000)
    assert len(kept) <= 1000 + 11 and kept[-1]["step"] == 9999
    assert [r["step"] for r in kept if "eval/success" in r] == list(range(0, 10_000, 997))
    assert thin_metrics(rows[:50], most=1000) == rows[:50]


def test_a_training_runs_held_out_evals_are_runs_too(tmp_path, eval_root):
    train = tmp_path / "grpo"
    shutil.copytree(eval_root / "oracle", train / "eval" / "step_10")
    (train / "metrics.jsonl").write_text('{"step": 0, "reward/mean": 0.1}\n')
    runs = discover_runs([train])
    assert [(r.name, r.kind) for r in runs] == [("grpo", "training"),
                                                ("grpo/eval/step_10", "eval")]
