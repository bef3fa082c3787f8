"""`MleEnv`: train a model on a micro dataset in a sandbox, submit predictions, get graded.

Each episode gets a fresh sandbox (docker, network off, 1 GiB memory) with the
task's `environment/` files in /work: train.csv, test.csv and
sample_submission.csv. The hidden labels stay on the host; `submit` reads
/work/submission.csv out of the sandbox and grades it here.

Rewards: with `reward="final"` (default) the submit turn pays the normalized
score (0 at the sample submission, 1 at the gold threshold). With
`reward="dense"`, stages pay as they are first reached (data loaded, model
trained, predictions written, submission valid, beats the sample) and the
submit turn pays the rest, so a full episode sums to the same scale.
"""

from __future__ import annotations

import posixpath
import random
import time
from pathlib import Path
from typing import Any

from gym_agents.core import Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env, check_action_kind
from gym_agents.environments.mle import grading
from gym_agents.environments.mle.suite import Task, ensure_image, load_suite
from gym_agents.errors import ConfigError, DependencyNotInstalled

WORKDIR = "/work"
PROBE_DIR = "/tmp/.gym_mle"
STAGE_FILE = f"{PROBE_DIR}/stages"
SUBMISSION = f"{WORKDIR}/submission.csv"
TRUNCATED = "\n[... output truncated: {} characters not shown ...]\n"
# Dense rewards: each stage pays once; the submit turn pays FINAL_WEIGHT x normalized score.
STAGES = {"data_loaded": 0.05, "model_trained": 0.05, "predictions_written": 0.05,
          "submission_valid": 0.05, "beats_baseline": 0.1}
FINAL_WEIGHT = 1.0 - sum(STAGES.values())
_TIMEOUT = {"type": "integer", "minimum": 1, "maximum": 600,
            "description": "seconds before it is killed (default 60)"}
TOOLS = (
    ToolSpec("bash", "Run a shell command in /work. No network.",
             {"type": "object", "properties": {
                 "command": {"type": "string", "description": "the command, run with /bin/sh"},
                 "timeout": _TIMEOUT}, "required": ["command"]}),
    ToolSpec("write_file", "Write a text file under /work (creating folders).",
             {"type": "object", "properties": {
                 "path": {"type": "string", "description": "relative to /work"},
                 "content": {"type": "string"}}, "required": ["path", "content"]}),
    ToolSpec("run_python", "Run a Python program in /work with numpy, pandas and scikit-learn; "
             "its stdout and stderr come back.",
             {"type": "object", "properties": {
                 "code": {"type": "string", "description": "the program's source"},
                 "timeout": _TIMEOUT}, "required": ["code"]}),
    ToolSpec("submit", "Finish: /work/submission.csv is graded on the hidden test labels.",
             {"type": "object", "properties": {}}),
)
INTRO = """{instruction}

## How you work
Tools: bash, write_file, run_python (Python 3 with numpy, pandas, scikit-learn), submit.
Commands run in /work with no network, {memory} of memory and a time limit each.
Call submit once /work/submission.csv is ready; the episode ends there."""


class MleEnv(Env):
    action_kinds = frozenset({"tool"})
    metadata = {"family": "mle"}

    def __init__(self, suite: str = "micro", *, task_ids: list[str] | None = None,
                 reward: str = "final", backend: str = "docker", pool_size: int = 1,
                 command_timeout: float = 60.0, max_output: int = 10_000,
                 memory: str = "1g", time_limit: float = 3600.0,
                 runtime: str | None = None) -> None:
        try:  # grading runs here, on the host, with pandas
            import pandas  # noqa: F401
        except ImportError as exc:
            raise DependencyNotInstalled("the MLE envs grade with pandas: "
                                         "pip install 'gym-agents[mle]'") from exc
        if reward not in ("final", "dense"):
            raise ConfigError(f"reward must be 'final' or 'dense', got {reward!r}")
        tasks = load_suite(suite)
        if task_ids:
            known = {t.name for t in tasks}
            unknown = sorted(set(task_ids) - known)
            if unknown:
                raise ConfigError(f"suite {suite!r} has no tasks {unknown}; it has "
                                  f"{sorted(known)}")
            tasks = [t for t in tasks if t.name in set(task_ids)]
        self.tasks = tasks
        self.reward_mode = reward
        self.backend, self.pool_size, self.runtime, self.memory = (
            backend, pool_size, runtime, memory)
        self.command_timeout, self.max_output, self.time_limit = (
            command_timeout, max_output, time_limit)
        self.task: Task | None = None
        self._pool = None
        self._sb = None
        self._done = True
        self._stages: set[str] = set()
        self._oracle_ran = False
        self._started = 0.0

    # -- episode -------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = options or {}
        self._release()
        if "task_id" in options:
            matches = [t for t in self.tasks if t.name == options["task_id"]]
            if not matches:
                raise ConfigError(f"no task {options['task_id']!r} in this suite")
            self.task = matches[0]
        else:
            index = seed if seed is not None else random.randrange(len(self.tasks))
            self.task = self.tasks[index % len(self.tasks)]
        self._sb = self.pool().acquire()
        self._sb.upload(self.task.environment_dir, WORKDIR)
        self._sb.write_file(f"{PROBE_DIR}/sitecustomize.py",
                            Path(__file__).with_name("instrument.py").read_text())
        self._done, self._oracle_ran, self._stages = False, False, set()
        self._started = time.monotonic()
        text = INTRO.format(instruction=self.task.instruction.strip(), memory=self.memory)
        return Observation(text, tools=TOOLS), self._info()

    def step(self, action) -> StepResult:
        problem = check_action_kind(self, action)
        if problem is None and self._done:
            problem = "The episode is over; call reset() to start a new one."
        if problem is None and action.name not in {t.name for t in TOOLS}:
            problem = (f"Unknown tool {action.name!r}; the tools are "
                       f"{', '.join(t.name for t in TOOLS)}.")
        if problem is not None:
            return self._result(problem, invalid=True)
        if time.monotonic() - self._started > self.time_limit:
            self._done = True
            return StepResult(Observation(f"Time is up ({self.time_limit:.0f}s); the episode "
                                          "ended without a submission.", tools=TOOLS),
                              0.0, False, True, {**self._info(), "success": False})
        arguments = action.arguments if isinstance(action.arguments, dict) else {}
        try:
            return getattr(self, f"_tool_{action.name}")(**arguments)
        except TypeError as exc:  # missing or unexpected arguments
            return self._result(f"Bad arguments for {action.name}: {exc}", invalid=True)

    def oracle_action(self) -> ToolCall:
        """Run the task's reference solution with run_python, then submit."""
        if self.task is None:
            raise ConfigError("call reset() before oracle_action()")
        if self._oracle_ran:
            return ToolCall("submit", {})
        return ToolCall("run_python", {"code": self.task.solution, "timeout": 300})

    def close(self) -> None:
        self._release()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- tools ---------------------------------------------------------------------

    def _tool_bash(self, command: str, timeout: Any = None) -> StepResult:
        if not isinstance(command, str) or not command.strip():
            return self._result("bash needs a non-empty `command` string.", invalid=True)
        return self._run(command, timeout)

    def _tool_run_python(self, code: str, timeout: Any = None) -> StepResult:
        if not isinstance(code, str) or not code.strip():
            return self._result("run_python needs a non-empty `code` string.", invalid=True)
        if self.task is not None and code == self.task.solution:
            self._oracle_ran = True
        self._sb.write_file(f"{PROBE_DIR}/cell.py", code)
        return self._run(f"python3 {PROBE_DIR}/cell.py", timeout)

    def _tool_write_file(self, path: str, content: str) -> StepResult:
        if not isinstance(content, str):
            return self._result("`content` must be a string.", invalid=True)
        if not isinstance(path, str) or not path.strip():
            return self._result("`path` must be a non-empty string, relative to /work.",
                                invalid=True)
        full = posixpath.normpath(posixpath.join(WORKDIR, path))
        if not full.startswith(WORKDIR + "/"):
            return self._result(f"{path} is outside /work; write_file writes under /work.",
                                invalid=True)
        try:
            self._sb.write_file(full, content)
        except (OSError, ValueError) as exc:
            return self._result(f"Could not write {path}: {exc}", invalid=True)
        return self._staged(f"Wrote {len(content.encode())} bytes to {full}.")

    def _tool_submit(self) -> StepResult:
        self._done = True
        try:
            data = self._sb.read_file(SUBMISSION, max_size=16 << 20)
        except FileNotFoundError:
            grade = grading.Grade(False, "there is no /work/submission.csv: write it first "
                                  "(see sample_submission.csv for the format).", self.task.metric)
        except (OSError, ValueError) as exc:
            grade = grading.Grade(False, f"cannot read /work/submission.csv: {exc}",
                                  self.task.metric)
        else:
            grade = grading.grade(self.task, data)
        reward = grade.normalized
        if self.reward_mode == "dense":
            earned = self._earn({"predictions_written"} if grade.valid else set())
            earned += self._earn({"submission_valid"} if grade.valid else set())
            earned += self._earn({"beats_baseline"} if grade.beats_baseline else set())
            reward = earned + FINAL_WEIGHT * grade.normalized
        info = {**self._info(), "success": grade.medal is not None, "grade": grade.to_info(),
                "metric": grade.metric, "score": grade.score, "medal": grade.medal,
                "reward_components": {"normalized_score": grade.normalized,
                                      **{s: float(s in self._stages) for s in STAGES}}}
        return StepResult(Observation(f"Submitted. {grade.summary()}", tools=TOOLS), reward,
                          True, False, info)

    # -- plumbing ------------------------------------------------------------------

    def _run(self, command: str, timeout: Any) -> StepResult:
        limit = self.command_timeout if timeout is None else timeout
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit <= 600:
            return self._result("`timeout` must be a number of seconds from 1 to 600.",
                                invalid=True)
        env = {"PYTHONPATH": PROBE_DIR, "GYM_MLE_STAGES": STAGE_FILE}
        result = self._sb.exec(command, timeout=limit, cwd=WORKDIR, env=env)
        text = result.stdout + (("\n" if result.stdout else "") + result.stderr
                                if result.stderr else "")
        if result.timed_out:
            status = f"[timed out after {limit:g}s; the command and what it started were killed]"
        elif result.exit_code == 137:
            status = (f"[exit code 137: killed, most likely for using more than the "
                      f"{self.memory} of memory this sandbox has]")
        else:
            status = f"[exit code {result.exit_code}]"
        return self._staged(f"{self._truncate(text).rstrip(chr(10))}\n{status}".lstrip("\n"))

    def _staged(self, text: str) -> StepResult:
        """A tool's result; in dense mode, paying for stages this turn reached."""
        reward = 0.0
        if self.reward_mode == "dense":
            probe = self._sb.exec(f"cat {STAGE_FILE} 2>/dev/null; test -s {SUBMISSION} && "
                                  "echo predictions_written", timeout=30)
            reward = self._earn(set(probe.stdout.split()) & set(STAGES))
        return StepResult(Observation(text, tools=TOOLS), reward, False, False, self._info())

    def _earn(self, stages: set[str]) -> float:
        new = stages - self._stages
        self._stages |= new
        return sum(STAGES[s] for s in new)

    def pool(self):
        if self._pool is None:
            from gym_agents.sandboxes import Limits, SandboxPool

            options = {"runtime": self.runtime} if self.runtime else {}
            image = ensure_image(log=lambda _msg: None) if self.backend == "docker" else None
            self._pool = SandboxPool(
                self.backend, image=image, size=self.pool_size, **options,
                limits=Limits(memory=self.memory, cpus=1.0, pids=256,
                              timeout=self.command_timeout, max_output="1m"))
        return self._pool

    def _release(self) -> None:
        if self._sb is not None and self._pool is not None:
            self._pool.release(self._sb)
        self._sb = None

    def _truncate(self, text: str) -> str:
        if len(text) <= self.max_output:
            return text
        half = self.max_output // 2
        return text[:half] + TRUNCATED.format(len(text) - 2 * half) + text[-half:]

    def _result(self, text: str, *, invalid: bool = False) -> StepResult:
        info = self._info()
        if invalid:
            info["invalid_action"] = True
        return StepResult(Observation(text, tools=TOOLS), 0.0, False, False, info)

    def _info(self) -> dict:
        if self.task is None:
            return {}
        return {"task_id": self.task.name, "metric": self.task.metric}
