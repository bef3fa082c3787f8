"""`gym-agents mle validate`: every task's reference solution, run in a sandbox, gets a medal;
its sample submission does not; its hidden labels are not among the uploaded files."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gym_agents.environments.mle import grading
from gym_agents.environments.mle.suite import Task, ensure_image


@dataclass
class Check:
    task: str
    ok: bool
    problem: str = ""
    score: float | None = None
    medal: str | None = None
    seconds: float = 0.0


def check_task(sb, task: Task) -> Check:
    problems = []
    uploaded = {p.name for p in task.environment_dir.iterdir()}
    if uploaded != {"train.csv", "test.csv", "sample_submission.csv"}:
        problems.append(f"environment/ must hold exactly train.csv, test.csv and "
                        f"sample_submission.csv, not {sorted(uploaded)}")
    sample = grading.grade(task, (task.environment_dir / "sample_submission.csv").read_bytes())
    if not sample.valid:
        problems.append(f"the sample submission is invalid: {sample.error}")
    elif sample.medal:
        problems.append(f"the sample submission gets a {sample.medal} medal")
    sb.upload(task.environment_dir, "/work")
    sb.write_file("/work/solve.py", task.solution)
    run = sb.exec("python3 solve.py", timeout=300, cwd="/work")
    if not run.ok:
        problems.append(f"solution/solve.py failed ({run.exit_code}): {run.stderr[-500:]}")
        return Check(task.name, False, "; ".join(problems), seconds=run.duration)
    grade = grading.grade(task, sb.read_file("/work/submission.csv"))
    if not grade.valid:
        problems.append(f"the reference submission is invalid: {grade.error}")
    elif grade.medal is None:
        problems.append(f"the reference scores {grade.score:.5g}: no medal "
                        f"(bronze needs {task.grading['bronze']:.5g})")
    return Check(task.name, not problems, "; ".join(problems), grade.score, grade.medal,
                 run.duration)


def validate_suite(tasks: list[Task], *, backend: str = "docker", jobs: int = 2,
                   on_done: Callable[[Check], None] = lambda c: None) -> list[Check]:
    from gym_agents import sandboxes

    image = ensure_image(log=lambda _msg: None) if backend == "docker" else None
    limits = sandboxes.Limits(memory="1g", pids=256, timeout=300)
    with sandboxes.SandboxPool(backend, image=image, size=jobs, limits=limits) as pool:
        def one(task: Task) -> Check:
            try:
                with pool.sandbox() as sb:
                    check = check_task(sb, task)
            except Exception as exc:  # report it with the others rather than stop
                check = Check(task.name, False, f"{type(exc).__name__}: {exc}")
            on_done(check)
            return check

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as workers:
            return list(workers.map(one, tasks))
