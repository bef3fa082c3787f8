"""Run a package's test suite in a sandbox and read back each test's outcome."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from gym_agents.environments.swe.suite import REPO_DIR, Package
from gym_agents.errors import EnvInfraError

REPORT = "/tmp/gym_swe_report.jsonl"
# Fixed dates make the buggy state's commit hash the same in every sandbox.
GIT_ENV = {"GIT_AUTHOR_NAME": "gym-agents", "GIT_AUTHOR_EMAIL": "swe@gym-agents.invalid",
           "GIT_COMMITTER_NAME": "gym-agents", "GIT_COMMITTER_EMAIL": "swe@gym-agents.invalid",
           "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}


@dataclass
class SuiteRun:
    """Each test's outcome: "passed", "failed" or "skipped" (a test that never reported is
    missing, which graders count as failed)."""

    outcomes: dict[str, str] = field(default_factory=dict)
    failures: dict[str, dict] = field(default_factory=dict)
    timed_out: bool = False
    duration: float = 0.0
    output: str = ""

    def passed(self) -> set[str]:
        return {t for t, o in self.outcomes.items() if o == "passed"}

    def status(self, test: str) -> str:
        return self.outcomes.get(test, "missing")


def test_command(package: Package) -> str:
    paths = " ".join(shlex.quote(p) for p in package.test_paths)
    # addopts is cleared so a repo's coverage or plugin options cannot break the run.
    return (f"rm -f {REPORT}; GYM_SWE_REPORT={REPORT} python -m pytest -p gym_swe_report "
            f"-p no:cacheprovider -o addopts= -q --tb=short -W ignore {paths}")


def run_tests(sb, package: Package, *, timeout: float | None = None) -> SuiteRun:
    """Run the package's tests in `sb` (repo at REPO_DIR); a run past `timeout` is killed."""
    result = sb.exec(test_command(package), cwd=REPO_DIR,
                     timeout=timeout or package.test_timeout)
    try:
        raw = sb.read_file(REPORT).decode("utf-8", errors="replace")
    except Exception:  # no report at all: pytest never started
        raw = ""
    run = SuiteRun(timed_out=result.timed_out, duration=result.duration,
                  output=(result.stdout + result.stderr)[-4000:])
    for line in raw.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line of a killed run may be cut short
        test, outcome = record["nodeid"], record["outcome"]
        if outcome == "failed":
            run.outcomes[test] = "failed"
            run.failures.setdefault(test, record)
        elif run.outcomes.get(test) != "failed":
            run.outcomes[test] = outcome
    if not raw and not result.timed_out and result.exit_code not in (0, 1):
        raise EnvInfraError(f"the test run produced no report (exit {result.exit_code}):\n"
                            f"{run.output[-2000:]}")
    return run


def setup_repo(sb, package: Package, bug_patch: str) -> None:
    """Put the package at /work/repo in its buggy state: one commit, no history to read."""
    apply = ""
    if bug_patch:
        sb.write_file("/tmp/gym_swe_bug.patch", bug_patch)
        apply = "&& git apply /tmp/gym_swe_bug.patch && rm /tmp/gym_swe_bug.patch "
    cmd = (f"rm -rf {REPO_DIR} && cp -r {package.repo_in_image} {REPO_DIR} && cd {REPO_DIR} "
           f"{apply}&& git init -q -b main && git add -A && git commit -q -m 'buggy state'")
    result = sb.exec(cmd, timeout=120, env=GIT_ENV)
    if not result.ok:
        raise EnvInfraError(f"could not set up {package.dirname} in the sandbox: "
                            f"{(result.stdout + result.stderr)[-2000:]}")
