"""SWE episodes in real docker sandboxes: oracle, do-nothing, bad input, test tampering, eval.

A small subset of the starter suite keeps this within the CI budget;
`gym-agents swe validate starter` checks every instance.
"""

from __future__ import annotations

import asyncio
import json

import pytest

import gym_agents
from gym_agents import ToolCall
from gym_agents.agents import make_agent
from gym_agents.cli.main import main as cli_main
from gym_agents.environments.swe.env import SweEnv
from gym_agents.environments.swe.suite import load_suite
from gym_agents.environments.swe.validate import validate_suite
from gym_agents.llm.scripted import ScriptedLLM
from gym_agents.rollout import run_episode
from gym_agents.testing import check_env

pytestmark = [pytest.mark.docker, pytest.mark.slow]
# One task per package, with few failing tests.
SUBSET = ["toolz-1.0.0__remove_statement-1a5703b8", "cachetools-5.5.0__remove_statement-b3cded43",
          "tabulate-0.9.0__off_by_one-c4313d4e"]
TOOLZ, CACHETOOLS = SUBSET[0], SUBSET[1]


@pytest.fixture(scope="module")
def env():
    made = SweEnv("starter", instance_ids=SUBSET, command_timeout=20)
    yield made
    made.close()


def call(env, name, **arguments):
    return env.step(ToolCall(name, arguments))


def play_oracle(env):
    while True:
        obs, reward, terminated, truncated, info = env.step(env.oracle_action())
        assert not info.get("invalid_action"), obs.text
        if terminated or truncated:
            return reward, info


def test_oracle_solves_and_doing_nothing_fails(env):
    for seed in range(len(SUBSET)):
        obs, info = env.reset(seed=seed)
        assert "/work/repo" in obs.text and {t.name for t in obs.tools} >= {"bash", "submit"}
        obs, reward, terminated, _, info = call(env, "submit")
        assert (reward, terminated, info["success"]) == (0.0, True, False), obs.text
        assert info["grade"]["fail_to_pass_fixed"] < 1.0
        env.reset(seed=seed)
        reward, info = play_oracle(env)
        assert reward == 1.0 and info["success"], info
        assert info["reward_components"] == {"fail_to_pass_fixed": 1.0, "pass_to_pass_kept": 1.0}


def test_editing_or_deleting_tests_does_not_change_the_grade(env):
    instance = next(i for i in env.instances if i["instance_id"] == TOOLZ)
    test_file = instance["FAIL_TO_PASS"][0].split("::")[0]
    # Without a fix: gut the failing test, add a conftest that passes everything, delete a folder.
    env.reset(options={"instance_id": TOOLZ})
    call(env, "bash", command=f"printf 'def test_nothing():\\n    pass\\n' > {test_file}")
    call(env, "edit_file", path="conftest.py", old_str="",
         new_str="import pytest\n@pytest.hookimpl(tryfirst=True)\n"
                 "def pytest_runtest_call(item):\n    pass\n")
    out = call(env, "bash", command="python -m pytest -q -p no:cacheprovider " + test_file)
    assert "1 passed" in out.observation.text  # inside the sandbox the tampering "works"
    obs, reward, _, _, info = call(env, "submit")
    assert reward == 0.0 and not info["success"]
    assert set(info["grade"]["ignored_changes"]) == {test_file, "conftest.py"}
    assert "Ignored" in obs.text
    # With the fix and the test suite deleted: the grade is that of the fix alone.
    env.reset(options={"instance_id": TOOLZ})
    assert not call(env, "bash", command=env.oracle_action().arguments["command"]).info.get(
        "invalid_action")
    call(env, "bash", command="rm -rf toolz/tests")
    obs, reward, _, _, info = call(env, "submit")
    assert reward == 1.0 and info["success"], obs.text


def test_bad_input_is_an_observation(env):
    env.reset(options={"instance_id": CACHETOOLS})
    checks = [
        (call(env, "edit_file", path="src/cachetools/keys.py", old_str="no such text here",
              new_str="x"), "does not occur"),
        (call(env, "edit_file", path="src/cachetools/__init__.py", old_str="self",
              new_str="me"), "occurs"),
        (call(env, "edit_file", path="../../etc/passwd", old_str="root", new_str="x"),
         "outside the repository"),
        (call(env, "view_file", path="/etc/shadow"), "outside the repository"),
        (call(env, "view_file", path="nope.py"), "No such file"),
        (call(env, "view_file", path="src/cachetools/keys.py", start_line="ten"), "integers"),
        (call(env, "bash", command=""), "non-empty"),
        (call(env, "bash", command="ls", timeout=10_000), "timeout"),
        (call(env, "bash"), "Bad arguments"),
        (call(env, "rm_rf", path="/"), "Unknown tool"),
        (env.step("ls"), "tool call"),
    ]
    for result, expected in checks:
        assert result.info.get("invalid_action") is True, result.observation.text
        assert expected in result.observation.text
    hang = call(env, "bash", command="sleep 100", timeout=2)
    assert "timed out after 2s" in hang.observation.text and not hang.terminated
    flood = call(env, "bash", command="yes flood | head -c 3000000")
    assert "output truncated" in flood.observation.text
    assert len(flood.observation.text) < env.max_output + 500
    bad_patch = call(env, "bash", command="printf 'not a patch' | git apply -")
    assert "[exit code 128]" in bad_patch.observation.text  # git's own error, not a crash
    listing = call(env, "view_file", path="src/cachetools", start_line=1)
    assert "keys.py" in listing.observation.text
    lines = call(env, "view_file", path="src/cachetools/keys.py", start_line=2, end_line=3)
    assert lines.observation.text.lstrip().startswith("2\t")
    # The sandbox still works, and losing .git is a clear grading message, not a crash.
    call(env, "bash", command="rm -rf .git")
    obs, reward, terminated, _, _info = call(env, "submit")
    assert (reward, terminated) == (0.0, True) and ".git" in obs.text
    after = call(env, "bash", command="ls")
    assert after.info["invalid_action"] and "episode is over" in after.observation.text


def test_killing_the_sandbox_ends_the_episode_not_the_run(env):
    env.reset(options={"instance_id": CACHETOOLS})
    obs, reward, terminated, _, info = call(env, "bash", command="kill -9 -1")
    assert (reward, terminated, info["sandbox_died"]) == (0.0, True, True)
    assert "stopped answering" in obs.text
    env.reset(options={"instance_id": CACHETOOLS})  # the next episode is unaffected
    assert "[exit code 0]" in call(env, "bash", command="true").observation.text


def test_check_env_on_one_instance():
    made = gym_agents.make("swe/starter-v0", instance_ids=[CACHETOOLS])
    try:
        check_env(made)
    finally:
        made.close()


def test_validate_finds_a_broken_instance():
    suite, instances = load_suite("starter")
    good = next(i for i in instances if i["instance_id"] == CACHETOOLS)
    broken = dict(good, instance_id="broken", FAIL_TO_PASS=good["PASS_TO_PASS"][:1],
                  PASS_TO_PASS=good["PASS_TO_PASS"][1:])
    checks = {c.instance_id: c for c in validate_suite(suite, [good, broken], jobs=2)}
    assert checks[CACHETOOLS].ok, checks[CACHETOOLS].problem
    assert not checks["broken"].ok and "pass on the bug" in checks["broken"].problem


def test_eval_cli_oracle(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli_main(["eval", "--env", "swe/starter-v0", "--agent", "oracle", "--episodes", "2",
                     "--concurrency", "2", "--env-arg", f"instance_ids={json.dumps(SUBSET[:2])}",
                     "--out", str(out), "--quiet"])
    assert code == 0
    episodes = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert len(episodes) == 2
    assert all(e["status"] == "ok" and e["success"] for e in episodes), episodes


def test_bash_only_scaffold_fixes_a_bug_with_a_scripted_model(env):
    env.reset(options={"instance_id": CACHETOOLS})
    fix = env.oracle_action().arguments["command"]
    replies = [f"THOUGHT: apply the fix.\n\n```bash\n{fix}```",
               "THOUGHT: no block this time",
               "THOUGHT: run the tests.\n\n```bash\npython -m pytest -q -x tests | tail -1\n```",
               "THOUGHT: done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```"]
    agent = make_agent("bash_only", llm=ScriptedLLM(replies, cycle=False),
                       sampling={"max_tokens": 4096})  # the patch is long
    episode = asyncio.run(run_episode(env, agent, env_id="swe/starter-v0", seed=0,
                                      options={"instance_id": CACHETOOLS}, model="scripted"))
    assert episode.status == "ok" and episode.success, episode
    assert episode.num_turns == 4
    assert "passed" in episode.turns[2].observation.text


def test_tool_calling_scaffold_uses_the_swe_tools(env):
    env.reset(options={"instance_id": CACHETOOLS})
    fix = env.oracle_action().arguments["command"]
    replies = [{"content": "", "tool_calls": [{"name": "view_file",
                                               "arguments": {"path": "src/cachetools/func.py",
                                                             "end_line": 3}}]},
               {"content": "", "tool_calls": [{"name": "bash", "arguments": {"command": fix}}]},
               {"content": "", "tool_calls": [{"name": "submit", "arguments": {}}]}]
    agent = make_agent("tool_calling", llm=ScriptedLLM(replies, cycle=False),
                       sampling={"max_tokens": 4096})
    episode = asyncio.run(run_episode(env, agent, env_id="swe/starter-v0", seed=0,
                                      options={"instance_id": CACHETOOLS}, model="scripted"))
    assert episode.status == "ok" and episode.success, episode
    assert [t.action.name for t in episode.turns] == ["view_file", "bash", "submit"]


def test_builder_on_a_package_it_was_never_tuned_on(tmp_path):
    """parse was not used while developing the builder (see environments/swe/README.md)."""
    from gym_agents.environments.swe.builder import build_suite

    out = build_suite(["parse==1.20.2"], name="untuned", out=tmp_path / "untuned", seed=0,
                      tasks=1, max_candidates=8, log=lambda line: None)
    suite, instances = load_suite(out)
    assert len(instances) == 1 and suite.packages[0].source_paths == ["parse.py"]
    assert all(c.ok for c in validate_suite(suite, instances, jobs=1))
    made = SweEnv(str(out))
    try:
        made.reset(seed=0)
        reward, info = play_oracle(made)
        assert reward == 1.0 and info["success"]
    finally:
        made.close()


def test_imported_swe_bench_instance_runs_in_its_own_image(tmp_path):
    """A SWE-bench-style instance: repo at /testbed in its image, tests added by test_patch."""
    from gym_agents.environments.swe.external import import_instances
    from gym_agents.environments.swe.suite import ensure_image
    from gym_agents.sandboxes.docker_engine import docker_client

    suite, instances = load_suite("starter")
    ours = next(i for i in instances if i["instance_id"] == CACHETOOLS)
    test_file = "tests/test_cached.py"
    with gym_agents.sandboxes.open("docker", image=ensure_image(suite)) as sb:
        original = sb.read_file(f"/opt/swe/repos/cachetools-5.5.0/{test_file}").decode()
    lines = original.splitlines(True)
    test_patch = (f"diff --git a/{test_file} b/{test_file}\nnew file mode 100644\n"
                  f"--- /dev/null\n+++ b/{test_file}\n@@ -0,0 +1,{len(lines)} @@\n"
                  + "".join("+" + line for line in lines))
    # The "user-provided image": the buggy repository at /testbed without the new tests.
    (tmp_path / "bug.patch").write_text(ours["bug_patch"])
    (tmp_path / "Dockerfile").write_text(
        f"FROM {ensure_image(suite)}\nUSER root\nCOPY bug.patch /tmp/bug.patch\n"
        "RUN cp -r /opt/swe/repos/cachetools-5.5.0 /testbed && cd /testbed "
        f"&& git apply /tmp/bug.patch && rm {test_file} && git init -q && git add -A "
        "&& git -c user.name=t -c user.email=t@t commit -qm base && chown -R 1000:1000 /testbed\n"
        "USER agent\nWORKDIR /testbed\n")
    image = "gym-agents-test/swe-external:latest"
    docker_client().images.build(path=str(tmp_path), tag=image, rm=True)
    passing = [t for t in ours["PASS_TO_PASS"] if t.startswith(test_file)][:5]
    row = {"instance_id": "pypi__cachetools-1", "repo": "tkem/cachetools", "version": "5.5.0",
           "base_commit": "HEAD", "patch": ours["patch"], "test_patch": test_patch,
           "problem_statement": ours["problem_statement"],
           "FAIL_TO_PASS": json.dumps(ours["FAIL_TO_PASS"]), "PASS_TO_PASS": json.dumps(passing)}
    (tmp_path / "lite.json").write_text(json.dumps([row]))
    out = import_instances(tmp_path / "lite.json", tmp_path / "imported", image=image,
                           name="imported",
                           test_cmd="PYTHONPATH=src python -m pytest -rA -p no:cacheprovider")
    imported_suite, imported = load_suite(out)
    assert imported[0]["FAIL_TO_PASS"] == ours["FAIL_TO_PASS"]
    assert [c.ok for c in validate_suite(imported_suite, imported, jobs=1)] == [True]
    made = SweEnv(str(out))
    try:
        obs, _ = made.reset(seed=0)
        assert "/testbed" in obs.text
        # Writing the test file ourselves changes nothing: the test patch decides.
        call(made, "edit_file", path=test_file, old_str="", new_str="def test_x():\n    pass\n")
        assert call(made, "submit").reward == 0.0
        made.reset(seed=0)
        reward, info = play_oracle(made)
        assert reward == 1.0 and info["success"], info
    finally:
        made.close()
