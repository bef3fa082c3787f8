"""`gym-agents swe validate`: re-check every instance of a suite (bug fails, gold passes)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gym_agents.environments.swe import external, grader
from gym_agents.environments.swe.suite import Suite, ensure_image
from gym_agents.environments.swe.testrun import run_tests, setup_repo


@dataclass
class Check:
    instance_id: str
    ok: bool
    problem: str = ""
    seconds: float = 0.0


def check_instance(sb, suite: Suite, instance: dict) -> Check:
    package = suite.package(instance["repo"].removeprefix("pypi/"), instance["version"])
    f2p, p2p = instance["FAIL_TO_PASS"], instance["PASS_TO_PASS"]
    setup_repo(sb, package, instance["bug_patch"])
    buggy = run_tests(sb, package)
    problems = ["the test run on the bug timed out"] if buggy.timed_out else []
    passing_anyway = [t for t in f2p if buggy.status(t) == "passed"]
    if passing_anyway:
        problems.append(f"FAIL_TO_PASS tests pass on the bug: {passing_anyway[:3]}")
    broken = [t for t in p2p if buggy.status(t) != "passed"]
    if broken:
        problems.append(f"PASS_TO_PASS tests fail on the bug: {broken[:3]}")
    gold = grader.grade(sb, package, instance, instance["patch"])
    if not gold.resolved:
        problems.append(f"the gold patch does not resolve it: {gold.error or ''} "
                        f"still failing {gold.still_failing[:3]}, "
                        f"regressions {gold.regressions[:3]}".strip())
    return Check(instance["instance_id"], not problems, "; ".join(problems),
                 buggy.duration)


def check_external(backend: str, instance: dict) -> Check:
    """An imported instance in its own image: without the fix, then with the gold patch."""
    from gym_agents import sandboxes

    limits = sandboxes.Limits(memory="4g", disk="8g", pids=1024, timeout=1800)
    grades = []
    for patch in ("", instance["patch"]):
        with sandboxes.open(backend, image=instance["image"], workdir=instance["repo_dir"],
                            limits=limits) as sb:
            grades.append(external.grade(sb, instance, patch))
    buggy, gold = grades
    problems = []
    if buggy.fail_to_pass_fixed > 0:
        problems.append(f"FAIL_TO_PASS tests pass without the fix ({buggy.error})".strip())
    if buggy.regressions:
        problems.append(f"PASS_TO_PASS tests fail without the fix: {buggy.regressions[:3]}")
    if not gold.resolved:
        problems.append(f"the gold patch does not resolve it: {gold.error} still failing "
                        f"{gold.still_failing[:3]}, regressions {gold.regressions[:3]}")
    return Check(instance["instance_id"], not problems, "; ".join(problems))


def validate_suite(suite: Suite, instances: list[dict], *, backend: str = "docker",
                   jobs: int = 2, on_done: Callable[[Check], None] = lambda c: None
                   ) -> list[Check]:
    from gym_agents import sandboxes

    image = ensure_image(suite, log=lambda _msg: None) if suite.packages else None
    limits = sandboxes.Limits(memory="2g", pids=512, timeout=600)
    with sandboxes.SandboxPool(backend, image=image, size=jobs if image else 0,
                               limits=limits) as pool:
        def one(instance: dict) -> Check:
            try:
                if instance.get("image"):
                    check = check_external(backend, instance)
                else:
                    with pool.sandbox() as sb:
                        check = check_instance(sb, suite, instance)
            except Exception as exc:  # report it with the others rather than stop
                check = Check(instance["instance_id"], False, f"{type(exc).__name__}: {exc}")
            on_done(check)
            return check

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as workers:
            return list(workers.map(one, instances))
