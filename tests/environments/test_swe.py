"""SWE family, no Docker: mutators, task selection, suite data, layout detection, CLI errors.

The episodes themselves (sandboxes, grading, oracle, bad input) are in test_swe_docker.py.
"""

from __future__ import annotations

import json
import random
import subprocess
import textwrap

import pytest

import gym_agents
from gym_agents.cli.main import main as cli_main
from gym_agents.environments.swe import builder, mutators
from gym_agents.environments.swe.grader import source_pathspecs
from gym_agents.environments.swe.suite import (
    Package,
    detect_layout,
    detect_test_deps,
    is_test_file,
    load_suite,
    parse_spec,
)
from gym_agents.environments.swe.testrun import SuiteRun
from gym_agents.errors import ConfigError
from gym_agents.scaffolds.bash_only import SUBMIT_COMMAND, parse_bash

SOURCE = textwrap.dedent("""\
    LIMIT = 3 + 4

    @decorate(1, 2)
    def clamp(values, low, high):
        out = []
        for v in values:
            if v < low:
                v = low
            out.append(min(v, high))
        return out and [x * 2 for x in out]
    """)
SWE_BENCH_KEYS = {"instance_id", "repo", "version", "base_commit", "patch", "test_patch",
                  "problem_statement", "FAIL_TO_PASS", "PASS_TO_PASS"}


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False)
            if a != b]


def test_each_mutator_changes_one_site_inside_functions_only():
    sites = mutators.sites(SOURCE)
    assert sites == {"flip_comparison": 1, "swap_operator": 2, "invert_condition": 1,
                     "off_by_one": 1, "remove_statement": 3, "swap_arguments": 1}
    assert changed_lines(SOURCE, mutators.mutate(SOURCE, "flip_comparison", 0)) == [
        ("        if v < low:", "        if v >= low:")]
    assert changed_lines(SOURCE, mutators.mutate(SOURCE, "swap_arguments", 0)) == [
        ("        out.append(min(v, high))", "        out.append(min(high, v))")]
    assert changed_lines(SOURCE, mutators.mutate(SOURCE, "invert_condition", 0)) == [
        ("        if v < low:", "        if not (v < low):")]
    swapped = mutators.mutate(SOURCE, "swap_operator", 1)
    assert "return out or [x * 2 for x in out]" in swapped
    assert "LIMIT = 3 + 4" in swapped and "@decorate(1, 2)" in swapped
    removed = mutators.mutate(SOURCE, "remove_statement", 0)
    assert "out = []" not in removed
    assert "[x * 1 for x in out]" in mutators.mutate(SOURCE, "off_by_one", 0)
    assert mutators.mutate(SOURCE, "off_by_one", 1) is None  # no such site: nothing changes


def test_off_by_one_and_bad_sources():
    source = "def f(xs):\n    return xs[0] + xs[-2]\n"
    assert mutators.sites(source)["off_by_one"] == 2
    assert "xs[1]" in mutators.mutate(source, "off_by_one", 0)
    assert "xs[-1]" in mutators.mutate(source, "off_by_one", 1)
    assert mutators.sites("def broken(:\n")["flip_comparison"] == 0


def test_candidates_are_deterministic_per_seed(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "core.py").write_text(SOURCE)
    first = builder.candidates(tmp_path, ["pkg/core.py"], random.Random("0/pkg"))
    again = builder.candidates(tmp_path, ["pkg/core.py"], random.Random("0/pkg"))
    other = builder.candidates(tmp_path, ["pkg/core.py"], random.Random("1/pkg"))
    assert first == again and first != other
    assert len({c.mutations[0] for c in first}) == sum(mutators.sites(SOURCE).values())


def test_bug_and_gold_patches_are_inverse_and_apply_with_git(tmp_path):
    mutated = mutators.mutate(SOURCE, "flip_comparison", 0)
    (tmp_path / "pkg").mkdir()
    target = tmp_path / "pkg" / "core.py"
    target.write_text(SOURCE)
    bug = builder.unified_diff("pkg/core.py", SOURCE, mutated)
    gold = builder.unified_diff("pkg/core.py", mutated, SOURCE)
    subprocess.run(["git", "apply", "-"], input=bug, text=True, cwd=tmp_path, check=True)
    assert target.read_text() == mutated
    subprocess.run(["git", "apply", "-"], input=gold, text=True, cwd=tmp_path, check=True)
    assert target.read_text() == SOURCE


def make_run(outcomes: dict[str, str], **kwargs) -> SuiteRun:
    failures = {t: {"nodeid": t, "when": "call", "outcome": "failed", "message": "assert 1 == 2",
                    "test_lines": ["    def test_x():", ">       assert f() == 2"]}
                for t, o in outcomes.items() if o == "failed"}
    return SuiteRun(outcomes=outcomes, failures=failures, **kwargs)


def test_a_mutation_is_a_task_only_when_some_tests_fail_and_the_rest_pass():
    package = Package("pkg", "1.0", source_paths=["pkg"], test_paths=["tests"])
    passing = {f"tests/test_a.py::test_{i}" for i in range(6)}
    candidate = builder.Candidate("pkg/core.py", (("flip_comparison", 0),))
    mutated = mutators.mutate(SOURCE, "flip_comparison", 0)

    def instance(outcomes, **kwargs):
        return builder.to_instance(package, candidate, SOURCE, mutated, passing,
                                   make_run(outcomes, **kwargs))

    all_pass = dict.fromkeys(passing, "passed")
    assert instance(all_pass) is None  # the tests do not notice the bug
    assert instance({**all_pass, "tests/test_a.py::test_0": "failed"}, timed_out=True) is None
    assert instance(dict.fromkeys(passing, "failed")) is None  # breaks most of the suite
    one_missing = {t: o for t, o in all_pass.items() if t != "tests/test_a.py::test_1"}
    task = instance({**one_missing, "tests/test_a.py::test_0": "failed"})
    assert task["FAIL_TO_PASS"] == ["tests/test_a.py::test_0", "tests/test_a.py::test_1"]
    assert set(task["PASS_TO_PASS"]) == passing - set(task["FAIL_TO_PASS"])
    assert set(task) >= SWE_BENCH_KEYS
    assert "pkg/core.py" not in task["problem_statement"]  # never where the bug is
    assert "assert f() == 2" in task["problem_statement"]
    assert task["difficulty"]["lines_changed"] == 2


def test_starter_suite_is_well_formed():
    suite, instances = load_suite("starter")
    assert len(instances) >= 20
    assert {p.name for p in suite.packages} >= {"toolz", "cachetools", "tabulate"}
    assert all(len(p.sha256) == 64 for p in suite.packages)
    ids = [i["instance_id"] for i in instances]
    assert len(ids) == len(set(ids))
    for instance in instances:
        assert set(instance) >= SWE_BENCH_KEYS
        assert instance["FAIL_TO_PASS"] and not set(instance["FAIL_TO_PASS"]) & set(
            instance["PASS_TO_PASS"])
        changed = instance["patch"].splitlines()[0].removeprefix("--- a/")
        assert changed not in instance["problem_statement"]
        assert not is_test_file(changed)
        assert len(instance["base_commit"]) == 40


def test_layout_and_test_deps_detection(tmp_path):
    for folder in ("src/lib", "src/lib/tests", "docs"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "src/lib/__init__.py").write_text("")
    (tmp_path / "src/extra.py").write_text("")
    (tmp_path / "src/setup.py").write_text("")
    (tmp_path / "test_top.py").write_text("")
    (tmp_path / "tox.ini").write_text("[testenv]\ndeps =\n    pytest\n    pytest-cov\n"
                                      "    hypothesis>=6  # property tests\n    -rreq.txt\n")
    assert detect_layout(tmp_path) == (["src/extra.py", "src/lib"],
                                       ["test_top.py", "src/lib/tests"])
    assert detect_test_deps(tmp_path) == ["hypothesis>=6"]
    assert is_test_file("pkg/tests/helpers.py") and is_test_file("conftest.py")
    assert not is_test_file("pkg/testsupport.py")


def test_grader_collects_only_library_source():
    specs = source_pathspecs(Package("toolz", "1.0.0", source_paths=["toolz", "tlz"]))
    assert specs[:2] == [":(top)toolz", ":(top)tlz"]
    assert ":(top,glob,exclude)**/tests/**" in specs
    assert ":(top,glob,exclude)**/conftest.py" in specs


def test_registered_and_bad_specs():
    gym_agents.registration.load_plugins()
    assert "swe/starter-v0" in gym_agents.registration.registry
    with pytest.raises(ConfigError, match="NAME==VERSION"):
        parse_spec("toolz>=1")
    with pytest.raises(ConfigError, match="no SWE suite"):
        load_suite("no-such-suite")


def test_cli_errors_say_what_to_do(capsys):
    assert cli_main(["swe", "build", "toolz", "--out", "/tmp/never"]) == 2
    assert "NAME==VERSION" in capsys.readouterr().err
    assert cli_main(["swe", "validate", "no-such-suite"]) == 2
    assert "shipped suites" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["swe", "build", "--help"])
    assert "examples" in capsys.readouterr().out


def test_instances_are_json_lines():
    _, instances = load_suite("starter")
    assert json.loads(json.dumps(instances[0])) == instances[0]


def test_bash_only_reads_exactly_one_bash_block():
    assert parse_bash("THOUGHT: look\n\n```bash\nls -la\n```") == ("ls -la", None)
    assert parse_bash(f"done\n```sh\n{SUBMIT_COMMAND}\n```")[0] == SUBMIT_COMMAND
    for reply in ("just words", "```bash\nls\n```\n```bash\npwd\n```", "```bash\n\n```"):
        command, problem = parse_bash(reply)
        assert command is None and "exactly one bash block" in problem


def test_swe_bench_instances_import_and_pytest_summaries_parse(tmp_path):
    from gym_agents.environments.swe import external

    row = {"instance_id": "astropy__astropy-12907", "repo": "astropy/astropy",
           "base_commit": "abc", "patch": "", "problem_statement": "p",
           "test_patch": "diff --git a/tests/test_new.py b/tests/test_new.py\n",
           "FAIL_TO_PASS": '["tests/test_new.py::test_a"]', "PASS_TO_PASS": "[]"}
    (tmp_path / "in.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(ConfigError, match="--image"):
        external.import_instances(tmp_path / "in.jsonl", tmp_path / "out", image=None, name="x")
    out = external.import_instances(tmp_path / "in.jsonl", tmp_path / "out", name="x",
                                    image="sweb.eval.x86_64.{instance_id}:latest")
    _, [instance] = load_suite(out)
    assert instance["image"] == "sweb.eval.x86_64.astropy__astropy-12907:latest"
    assert instance["FAIL_TO_PASS"] == ["tests/test_new.py::test_a"]
    assert instance["repo_dir"] == "/testbed"
    assert external.agent_pathspecs(instance)[-1] == ":(top,exclude)tests/test_new.py"
    (tmp_path / "bad.json").write_text(json.dumps([{"instance_id": "x"}]))
    with pytest.raises(ConfigError, match="lacks"):
        external.read_instances(tmp_path / "bad.json")
    summary = ("PASSED tests/a.py::test_one\nFAILED tests/a.py::test_two - assert 0\n"
               "ERROR tests/b.py::test_three\nXFAIL tests/b.py::test_four\n")
    assert external.parse_results(summary) == {
        "tests/a.py::test_one": "passed", "tests/a.py::test_two": "failed",
        "tests/b.py::test_three": "failed", "tests/b.py::test_four": "skipped"}
