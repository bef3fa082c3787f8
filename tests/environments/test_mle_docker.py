"""MLE episodes in real docker sandboxes: oracle, dense rewards, bad input, hidden labels, CLI.

A few tasks keep this within the CI budget; `gym-agents mle validate micro`
runs every task's reference solution in a sandbox.
"""

from __future__ import annotations

import json

import pytest

from gym_agents import ToolCall
from gym_agents.cli.main import main as cli_main
from gym_agents.environments.mle.env import STAGES, MleEnv
from gym_agents.environments.mle.suite import load_suite
from gym_agents.environments.mle.validate import validate_suite
from gym_agents.testing import check_env

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SUBSET = ["wine-cultivar", "penguins-sex", "synth-document-tags"]
WINE = SUBSET[0]


@pytest.fixture(scope="module")
def env():
    made = MleEnv("micro", task_ids=SUBSET, command_timeout=30)
    yield made
    made.close()


def call(env, name, **arguments):
    return env.step(ToolCall(name, arguments))


def play_oracle(env):
    total = 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(env.oracle_action())
        assert not info.get("invalid_action"), obs.text
        total += reward
        if terminated or truncated:
            return total, info


def test_check_env_on_a_subset(env):
    check_env(env)


@pytest.mark.parametrize("task_id", SUBSET)
def test_oracle_gets_a_medal_through_the_tools(env, task_id):
    env.reset(options={"task_id": task_id})
    total, info = play_oracle(env)
    assert info["success"] and info["medal"] == "gold", info
    assert total == 1.0
    assert info["grade"]["score"] == pytest.approx(env.task.config["solution"]["score"],
                                                   rel=1e-3)


def test_dense_rewards_pay_each_stage_once_and_sum_to_one():
    dense = MleEnv("micro", task_ids=[WINE], reward="dense", command_timeout=30)
    try:
        dense.reset(seed=0)
        load = call(dense, "run_python", code="import pandas as pd\n"
                                               "print(len(pd.read_csv('train.csv')))")
        assert load.reward == STAGES["data_loaded"] and "80" in load.observation.text
        again = call(dense, "run_python", code="import pandas as pd\npd.read_csv('train.csv')")
        assert again.reward == 0.0
        total, info = play_oracle(dense)
        assert total + load.reward == pytest.approx(1.0)
        assert info["reward_components"]["model_trained"] == 1.0
        dense.reset(seed=0)  # a sample copy is a valid submission that does not beat itself
        copy = call(dense, "bash", command="cp sample_submission.csv submission.csv")
        assert copy.reward == STAGES["predictions_written"]
        result = call(dense, "submit")
        assert result.reward == STAGES["submission_valid"]
        assert not result.info["success"]
    finally:
        dense.close()


def test_bad_input_is_an_observation(env):
    env.reset(options={"task_id": WINE})
    hang = call(env, "bash", command="sleep 30", timeout=1)
    assert "timed out after 1s" in hang.observation.text
    memory = call(env, "run_python", code="import numpy as np\nx = np.ones((160, 1000, 1000))")
    assert "exit code 137" in memory.observation.text and "memory" in memory.observation.text
    network = call(env, "run_python", code="import urllib.request\n"
                                            "urllib.request.urlopen('http://pypi.org', timeout=5)")
    assert "URLError" in network.observation.text
    for bad in (call(env, "write_file", path="../etc/x", content="x"),
                call(env, "bash", command="ls", timeout=0),
                call(env, "run_python"),
                call(env, "no_such_tool")):
        assert bad.info["invalid_action"], bad.observation.text
    assert call(env, "bash", command="echo fine").observation.text == "fine\n[exit code 0]"
    missing = call(env, "submit")
    assert missing.terminated and missing.reward == 0.0
    assert "there is no /work/submission.csv" in missing.observation.text
    env.reset(options={"task_id": WINE})
    call(env, "bash", command="sed 's/c1/cultivar/' sample_submission.csv > submission.csv")
    header = call(env, "submit")
    assert header.reward == 0.0 and not header.info["success"]
    assert header.observation.text == (
        "Submitted. Invalid submission: the header must be id,c1,c2,c3: missing column(s) "
        "['c1']; unexpected column(s) ['cultivar']. Reward 0.")


def test_hidden_labels_are_not_reachable_from_the_sandbox(env):
    """Search every readable file in the sandbox for the hidden labels' bytes.

    The same search must find a chunk of test.csv, so a broken search cannot pass.
    """
    env.reset(options={"task_id": WINE})
    labels = (env.task.folder / "tests" / "labels.csv").read_text().splitlines()
    test_rows = (env.task.environment_dir / "test.csv").read_text().splitlines()
    needles = {"labels": "\n".join(labels[1:6]), "test": "\n".join(test_rows[1:4])}
    search = f'''
import json, os
needles = {{k: v.encode() for k, v in {json.dumps(needles)}.items()}}
found, names = {{k: [] for k in needles}}, []
for top, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/sys", "/dev")]
    for name in files:
        path = os.path.join(top, name)
        if name == "labels.csv" or path.startswith("{env.task.folder.parent}"):
            names.append(path)
        try:
            if os.path.islink(path) or os.path.getsize(path) > 50_000_000:
                continue
            data = open(path, "rb").read()
        except OSError:
            continue
        for key, needle in needles.items():
            if needle in data:
                found[key].append(path)
print(json.dumps({{"found": found, "names": names}}))
'''
    result = call(env, "run_python", code=search, timeout=300)
    report = json.loads(result.observation.text.splitlines()[0])
    assert report["found"]["test"] == ["/work/test.csv"]  # the search works
    assert report["found"]["labels"] == [] and report["names"] == []
    escape = call(env, "bash", command=f"cat {env.task.folder}/tests/labels.csv")
    assert "No such file" in escape.observation.text


def test_validate_finds_a_broken_reference(tmp_path):
    import shutil

    tasks = {t.name: t for t in load_suite("micro")}
    broken = tmp_path / "broken"
    shutil.copytree(tasks["penguins-sex"].folder, broken)
    (broken / "solution" / "solve.py").write_text(
        "import shutil\nshutil.copy('sample_submission.csv', 'submission.csv')\n")
    from gym_agents.environments.mle.suite import Task

    checks = {c.task: c for c in validate_suite([tasks[WINE], Task(broken)], jobs=2)}
    assert checks[WINE].ok and checks[WINE].medal == "gold", checks[WINE].problem
    assert not checks["broken"].ok and "no medal" in checks["broken"].problem


@pytest.mark.parametrize("agent", ["oracle", "random"])
def test_eval_cli(tmp_path, agent):
    out = tmp_path / agent
    code = cli_main(["eval", "--env", "mle/micro-v0", "--agent", agent, "--episodes", "2",
                     "--concurrency", "2", "--env-arg", f"task_ids={json.dumps(SUBSET[:2])}",
                     "--env-arg", "command_timeout=20", "--out", str(out), "--quiet"])
    assert code == 0
    episodes = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert len(episodes) == 2 and all(e["status"] == "ok" for e in episodes), episodes
    if agent == "oracle":
        assert all(e["success"] for e in episodes)
    else:
        assert not any(e["success"] for e in episodes)
