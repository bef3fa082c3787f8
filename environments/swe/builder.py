"""`gym-agents swe build`: PyPI sdists -> injected bugs -> SWE-bench instances.

For each package: run its suite twice on the original code in a sandbox (the
tests that pass both times are the baseline), then try mutations in a seeded
order. A mutation becomes a task when some baseline tests fail (FAIL_TO_PASS)
and every other baseline test still passes (PASS_TO_PASS); runs that time out,
break collection, or fail more than half the suite are dropped. The bug patch
sets the repository up, its inverse is the gold patch.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gym_agents.environments.swe import mutators
from gym_agents.environments.swe.suite import (
    REPO_DIR,
    Package,
    Suite,
    detect_layout,
    detect_test_deps,
    ensure_image,
    extract_sdist,
    fetch_sdist,
    is_test_file,
    parse_spec,
)
from gym_agents.environments.swe.testrun import SuiteRun, run_tests, setup_repo
from gym_agents.errors import ConfigError, EnvInfraError

Log = Callable[[str], None]
SKIP_FILES = {"_version.py", "version.py", "__main__.py", "_compat.py", "compatibility.py"}
COMBINED_SHARE = 0.2  # this share of candidates carry a second mutation in the same file


@dataclass(frozen=True)
class Candidate:
    path: str  # relative to the repository root
    mutations: tuple[tuple[str, int], ...]  # (kind, site index), applied in order


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        f"a/{path}", f"b/{path}"))


def source_files(repo: Path, package: Package) -> list[str]:
    """The library's own .py files that bugs may go in."""
    files = []
    for source in package.source_paths:
        root = repo / source
        found = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in found:
            rel = path.relative_to(repo).as_posix()
            if not is_test_file(rel) and path.name not in SKIP_FILES:
                files.append(rel)
    return files


def candidates(repo: Path, files: list[str], rng: random.Random) -> list[Candidate]:
    """Every single-site mutation of `files`, shuffled, some paired into combined bugs."""
    singles = []
    for rel in files:
        source = (repo / rel).read_text()
        if not source.endswith("\n"):
            continue  # a diff of a file without a final newline needs a marker git may reject
        for kind, count in mutators.sites(source).items():
            singles += [Candidate(rel, ((kind, i),)) for i in range(count)]
    rng.shuffle(singles)
    result = []
    for candidate in singles:
        if rng.random() < COMBINED_SHARE:
            partners = [c for c in singles[:200] if c.path == candidate.path
                        and c.mutations[0][0] != candidate.mutations[0][0]]
            if partners:
                candidate = Candidate(candidate.path,
                                      candidate.mutations + rng.choice(partners).mutations)
        result.append(candidate)
    return result


def apply_candidate(source: str, candidate: Candidate) -> str | None:
    current = source
    for kind, index in candidate.mutations:
        changed = mutators.mutate(current, kind, index)
        if changed is None:
            return None
        current = changed
    return current


def problem_statement(package: Package, fail_to_pass: list[str], run: SuiteRun) -> str:
    """What a user would report: which tests fail and how. Never where the bug is."""
    shown = fail_to_pass[:8]
    lines = [f"Some behaviour of {package.name} {package.version} is broken: "
             f"{len(fail_to_pass)} test(s) of its own test suite fail.", "",
             "Failing tests:"]
    lines += [f"  - {test}" for test in shown]
    if len(fail_to_pass) > len(shown):
        lines.append(f"  - ... and {len(fail_to_pass) - len(shown)} more")
    for test in fail_to_pass[:3]:
        record = run.failures.get(test)
        if not record:
            lines += ["", f"{test}: did not finish"]
            continue
        lines += ["", f"{test} fails with:"]
        lines += [f"    {line}" for line in record.get("test_lines", [])]
        lines.append(f"    {record.get('message', '').strip()}"[:600])
    lines += ["", "Fix the library so these tests pass without breaking any other test. "
                  "The tests are correct; changes to test files are discarded before grading."]
    return "\n".join(lines)


def prepare_package(spec: str, workdir: Path, extra_deps: list[str]) -> tuple[Package, Path]:
    name, version = parse_spec(spec)
    package = Package(name, version)
    repo = extract_sdist(fetch_sdist(package), workdir / package.dirname)
    package.source_paths, package.test_paths = detect_layout(repo)
    if not package.source_paths:
        raise ConfigError(f"{spec}: found no Python package or module in its sdist")
    if not package.test_paths:
        raise ConfigError(f"{spec}: its sdist ships no tests (no tests/ or test/ folder, "
                          "no test_*.py); the builder needs the package's own test suite")
    package.test_deps = sorted(set(detect_test_deps(repo)) | set(extra_deps))
    return package, repo


def baseline(sb, package: Package, log: Log) -> tuple[set[str], float]:
    """Tests that pass twice on the original code (flaky ones are left out), and the
    slowest run's seconds."""
    setup_repo(sb, package, "")
    runs = [run_tests(sb, package, timeout=900) for _ in range(2)]
    passing = runs[0].passed() & runs[1].passed()
    if not passing:
        raise EnvInfraError(f"no test of {package.spec} passes on its original code; output:\n"
                            f"{runs[0].output[-2000:]}")
    slowest = max(r.duration for r in runs)
    # Graders wait long (a loaded machine must not fail a correct fix); the builder drops a
    # mutation past its shorter candidate timeout, so a slow run only costs one candidate.
    package.test_timeout = float(round(max(60.0, 10 * slowest + 30)))
    log(f"{package.spec}: {len(passing)} tests pass on the original ({slowest:.1f}s a run)")
    return passing, slowest


def build_package_tasks(sb, package: Package, repo: Path, *, seed: int, tasks: int,
                        max_candidates: int, log: Log,
                        progress: Callable[[int], None] = lambda n: None) -> list[dict]:
    passing, slowest = baseline(sb, package, log)
    candidate_timeout = max(15.0, 5 * slowest + 10)
    rng = random.Random(f"{seed}/{package.spec}")
    found: list[dict] = []
    tried = 0
    seen: set[str] = set()
    for candidate in candidates(repo, source_files(repo, package), rng):
        if len(found) >= tasks or tried >= max_candidates:
            break
        original = (repo / candidate.path).read_text()
        mutated = apply_candidate(original, candidate)
        if mutated is None or mutated in seen:
            continue
        seen.add(mutated)
        tried += 1
        progress(1)
        target = f"{REPO_DIR}/{candidate.path}"
        sb.write_file(target, mutated)
        try:
            run = run_tests(sb, package, timeout=candidate_timeout)
        finally:
            sb.write_file(target, original)
        instance = to_instance(package, candidate, original, mutated, passing, run)
        if instance is not None:
            found.append(instance)
            log(f"  task {instance['instance_id']}: {len(instance['FAIL_TO_PASS'])} failing")
    log(f"{package.spec}: {len(found)} tasks from {tried} candidates")
    return found


def to_instance(package: Package, candidate: Candidate, original: str, mutated: str,
                passing: set[str], run: SuiteRun) -> dict | None:
    """The SWE-bench instance for a mutation, or None when it is not a valid task."""
    if run.timed_out or any(r.get("when") == "collect" for r in run.failures.values()):
        return None
    fail_to_pass = sorted(t for t in passing if run.status(t) != "passed")
    if not fail_to_pass or len(fail_to_pass) > len(passing) // 2:
        return None
    pass_to_pass = sorted(passing - set(fail_to_pass))
    patch = unified_diff(candidate.path, original, mutated)
    kinds = [kind for kind, _ in candidate.mutations]
    digest = hashlib.sha256(patch.encode()).hexdigest()[:8]
    changed = sum(1 for line in patch.splitlines()
                  if line[:1] in "+-" and not line.startswith(("+++", "---")))
    return {
        "instance_id": f"{package.name}-{package.version}__{'+'.join(kinds)}-{digest}",
        "repo": f"pypi/{package.name}",
        "version": package.version,
        "base_commit": "",  # filled in from the sandbox: the buggy state's commit
        "patch": unified_diff(candidate.path, mutated, original),
        "test_patch": "",
        "bug_patch": patch,
        "problem_statement": problem_statement(package, fail_to_pass, run),
        "FAIL_TO_PASS": fail_to_pass,
        "PASS_TO_PASS": pass_to_pass,
        "difficulty": {"lines_changed": changed, "files": 1, "tests_failing": len(fail_to_pass),
                       "mutations": kinds},
    }


def build_suite(specs: list[str], *, name: str, out: Path, seed: int = 0, tasks: int = 8,
                max_candidates: int = 60, test_deps: list[str] | None = None,
                backend: str = "docker", log: Log = print,
                progress: Callable[[int], None] = lambda n: None) -> Path:
    """Build a suite folder (suite.json + instances.jsonl) from pinned PyPI packages."""
    from gym_agents import sandboxes

    if not specs:
        raise ConfigError("give at least one package as NAME==VERSION")
    with tempfile.TemporaryDirectory(prefix="gym-agents-swe-build-") as tmp:
        prepared = [prepare_package(s, Path(tmp), test_deps or []) for s in specs]
        suite = Suite(name, [p for p, _ in prepared])
        log(f"image {ensure_image(suite, log=log)}")
        instances: list[dict] = []
        limits = sandboxes.Limits(memory="2g", cpus=1.0, pids=512, timeout=900)
        for package, repo in prepared:
            with sandboxes.open(backend, image=suite.image, limits=limits) as sb:
                instances += build_package_tasks(sb, package, repo, seed=seed, tasks=tasks,
                                                 max_candidates=max_candidates, log=log,
                                                 progress=progress)
                for instance in instances:
                    if instance["repo"] == f"pypi/{package.name}":
                        instance["base_commit"] = base_commit(sb, package, instance)
    out.mkdir(parents=True, exist_ok=True)
    # The image tag hashes suite.json, so it is written after test timeouts are known.
    (out / "suite.json").write_text(suite.to_json())
    (out / "instances.jsonl").write_text(
        "".join(json.dumps(i, sort_keys=True) + "\n" for i in instances))
    return out


def base_commit(sb, package: Package, instance: dict) -> str:
    setup_repo(sb, package, instance["bug_patch"])
    return sb.exec(f"git -C {REPO_DIR} rev-parse HEAD", timeout=30).stdout.strip()
