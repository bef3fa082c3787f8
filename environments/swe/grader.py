"""Grade a submission SWE-bench style: the agent's source changes, on a clean copy, real tests.

Only changes to the library's own source files are collected from the
episode's sandbox (a `git diff` against the buggy state's commit); edits to
tests, test configuration or anything else are reported and dropped. The diff
is applied in a fresh sandbox to the buggy state with the original tests, so
nothing the agent left behind (processes, edited tests, deleted files) can
change the grade.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field

from gym_agents.environments.swe.suite import REPO_DIR, Package
from gym_agents.environments.swe.testrun import run_tests, setup_repo

AGENT_PATCH = "/tmp/gym_swe_agent.patch"
# Test code and configuration, inside the source folders too (toolz/tests/...).
TEST_EXCLUDES = ("**/tests/**", "**/test/**", "**/testing/**", "**/test_*.py", "**/*_test.py",
                 "**/conftest.py")


@dataclass
class Grade:
    reward: float = 0.0
    resolved: bool = False
    fail_to_pass_fixed: float = 0.0  # share of FAIL_TO_PASS tests that pass
    pass_to_pass_kept: float = 0.0
    regressions: list[str] = field(default_factory=list)  # PASS_TO_PASS tests that now fail
    still_failing: list[str] = field(default_factory=list)
    ignored_changes: list[str] = field(default_factory=list)  # edits outside the library source
    patch_applied: bool = True
    error: str = ""

    def to_info(self) -> dict:
        info = asdict(self)
        info["regressions"] = info["regressions"][:20]
        info["still_failing"] = info["still_failing"][:20]
        return info


def source_pathspecs(package: Package) -> list[str]:
    specs = [f":(top){path}" for path in package.source_paths]
    return specs + [f":(top,glob,exclude){pattern}" for pattern in TEST_EXCLUDES]


def collect_patch(sb, specs: list[str], base_commit: str, repo_dir: str = REPO_DIR
                  ) -> tuple[str | None, list[str], str]:
    """(the agent's diff limited to `specs`, paths changed but ignored, error) from `sb`."""
    base = shlex.quote(base_commit or "HEAD")
    git = f"cd {repo_dir} && git add -A >/dev/null 2>&1 && git -c core.quotepath=off"
    specs = " ".join(shlex.quote(s) for s in specs)
    diff = sb.exec(f"{git} diff --cached --binary --no-ext-diff --no-textconv {base} -- {specs}",
                   timeout=60)
    if not diff.ok:
        return None, [], ("your changes could not be collected: `git diff` failed in "
                          f"{repo_dir} ({(diff.stderr or diff.stdout).strip()[:300]}). "
                          "Was the repository's .git folder removed?")
    names = sb.exec(f"{git} diff --cached --name-only --no-ext-diff {base}", timeout=60)
    kept = sb.exec(f"{git} diff --cached --name-only --no-ext-diff {base} -- {specs}", timeout=60)
    ignored = sorted(set(names.stdout.split()) - set(kept.stdout.split()))
    return diff.stdout, ignored, ""


def grade(sb, package: Package, instance: dict, patch: str) -> Grade:
    """Apply `patch` to the buggy state in the clean sandbox `sb` and run the original tests."""
    setup_repo(sb, package, instance["bug_patch"])
    problem = apply_patch(sb, patch)
    if problem:
        return Grade(patch_applied=False, error=f"your patch did not apply: {problem}")
    run = run_tests(sb, package)
    return score(instance, run.status, run.timed_out)


def apply_patch(sb, patch: str, repo_dir: str = REPO_DIR, path: str = AGENT_PATCH) -> str:
    """"" when `patch` applied (or is empty), else git's complaint."""
    if not patch.strip():
        return ""
    sb.write_file(path, patch)
    applied = sb.exec(f"cd {repo_dir} && git apply --whitespace=nowarn {path}", timeout=60)
    return "" if applied.ok else (applied.stderr or applied.stdout).strip()[:500]


def score(instance: dict, status, timed_out: bool) -> Grade:
    """Reward and partial credit from each test's status ("passed" or anything else)."""
    f2p, p2p = instance["FAIL_TO_PASS"], instance["PASS_TO_PASS"]
    still_failing = [t for t in f2p if status(t) != "passed"]
    regressions = [t for t in p2p if status(t) != "passed"]
    resolved = not still_failing and not regressions
    return Grade(
        reward=1.0 if resolved else 0.0, resolved=resolved,
        fail_to_pass_fixed=(len(f2p) - len(still_failing)) / max(1, len(f2p)),
        pass_to_pass_kept=(len(p2p) - len(regressions)) / max(1, len(p2p)),
        regressions=regressions, still_failing=still_failing,
        error="the test run timed out" if timed_out else "")
