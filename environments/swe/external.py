"""Existing SWE-bench / SWE-Gym instances, each in its own user-provided docker image.

`gym-agents swe import FILE --image TEMPLATE --out DIR` turns an instance file
(a JSON list or JSONL in the SWE-bench schema; FAIL_TO_PASS / PASS_TO_PASS may
be JSON-encoded strings, as SWE-bench ships them) into a suite folder whose
instances carry `image` (the repository at `base_commit` in `repo_dir`, with
its test environment installed, e.g. SWE-bench's per-instance eval images),
`repo_dir` (default /testbed) and `test_cmd` (a pytest command; `-rA` output
is parsed). Grading applies the agent's diff (test files excluded) and then
the instance's `test_patch` in a fresh container of the same image, and runs
`test_cmd` on the test files of FAIL_TO_PASS and PASS_TO_PASS.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from gym_agents.environments.swe import grader
from gym_agents.errors import ConfigError

DEFAULT_REPO_DIR = "/testbed"
DEFAULT_TEST_CMD = "python -m pytest -rA -p no:cacheprovider"
TEST_PATCH = "/tmp/gym_swe_test.patch"
REQUIRED = ("instance_id", "repo", "base_commit", "patch", "problem_statement",
            "FAIL_TO_PASS", "PASS_TO_PASS")
_RESULT = re.compile(r"^(PASSED|FAILED|ERROR|XPASS|XFAIL|SKIPPED)\s+(\S+)", re.M)
_DIFF_FILE = re.compile(r"^diff --git a/(\S+) b/", re.M)


def read_instances(path: Path) -> list[dict]:
    """SWE-bench instances from a JSON list or JSONL, with test lists decoded."""
    text = Path(path).read_text()
    try:
        data = json.loads(text)
        rows = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            raise ConfigError(f"{path}: instance {row.get('instance_id', '?')} lacks {missing}; "
                              "is this a SWE-bench / SWE-Gym instance file?")
        for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


def import_instances(path: Path, out: Path, *, image: str | None, name: str,
                     test_cmd: str = DEFAULT_TEST_CMD, repo_dir: str = DEFAULT_REPO_DIR) -> Path:
    """Write a suite folder for existing instances; `image` may use {instance_id}."""
    instances = read_instances(path)
    for instance in instances:
        template = instance.get("image") or image
        if not template:
            raise ConfigError(f"instance {instance['instance_id']} names no image: give "
                              "--image TEMPLATE, e.g. 'sweb.eval.x86_64.{instance_id}:latest'")
        instance["image"] = template.format(instance_id=instance["instance_id"])
        instance.setdefault("repo_dir", repo_dir)
        instance.setdefault("test_cmd", test_cmd)
        instance.setdefault("test_patch", "")
        instance.setdefault("version", "")
    out.mkdir(parents=True, exist_ok=True)
    (out / "suite.json").write_text(json.dumps({"name": name, "packages": [],
                                                "python_deps": []}, indent=2) + "\n")
    (out / "instances.jsonl").write_text(
        "".join(json.dumps(i, sort_keys=True) + "\n" for i in instances))
    return out


def test_patch_files(instance: dict) -> list[str]:
    return sorted(set(_DIFF_FILE.findall(instance.get("test_patch") or "")))


def agent_pathspecs(instance: dict) -> list[str]:
    """Everything but test code and the files the test patch writes."""
    excludes = [f":(top,glob,exclude){p}" for p in grader.TEST_EXCLUDES]
    return [":/"] + excludes + [f":(top,exclude){p}" for p in test_patch_files(instance)]


def parse_results(output: str) -> dict[str, str]:
    """pytest -rA summary lines -> {test id: "passed" | "failed" | "skipped"}."""
    outcomes: dict[str, str] = {}
    for word, test in _RESULT.findall(output):
        outcome = {"PASSED": "passed", "XFAIL": "skipped", "SKIPPED": "skipped"}.get(word,
                                                                                     "failed")
        if outcomes.get(test) != "failed":
            outcomes[test] = outcome
    return outcomes


def grade(sb, instance: dict, patch: str, *, timeout: float = 1800) -> grader.Grade:
    """Agent diff, then test_patch, on the image's clean repository; run the listed tests."""
    repo_dir = instance["repo_dir"]
    problem = grader.apply_patch(sb, patch, repo_dir)
    if problem:
        return grader.Grade(patch_applied=False, error=f"your patch did not apply: {problem}")
    problem = grader.apply_patch(sb, instance.get("test_patch", ""), repo_dir, TEST_PATCH)
    if problem:
        return grader.Grade(patch_applied=False,
                            error=f"the instance's test_patch did not apply: {problem}")
    files = sorted({t.split("::")[0] for t in instance["FAIL_TO_PASS"] + instance["PASS_TO_PASS"]})
    run = sb.exec(f"{instance['test_cmd']} {' '.join(shlex.quote(f) for f in files)}",
                  cwd=repo_dir, timeout=timeout)
    outcomes = parse_results(run.stdout + "\n" + run.stderr)
    return grader.score(instance, lambda t: outcomes.get(t, "missing"), run.timed_out)
