"""`SweEnv`: fix an injected bug in a real package, in a sandbox, graded by its test suite.

Each episode gets a fresh sandbox (docker, network off) with the repository at
/work/repo in its buggy state: one git commit, no history. The agent works
through four tools (`bash`, `view_file`, `edit_file`, `submit`); `submit`
grades the source changes in a second, clean sandbox (see `grader`).
"""

from __future__ import annotations

import posixpath
import random
import shlex
import time
from typing import Any

from gym_agents.core import Observation, StepResult, ToolCall, ToolSpec
from gym_agents.env import Env, check_action_kind
from gym_agents.environments.swe import external, grader
from gym_agents.environments.swe.suite import REPO_DIR, ensure_image, load_suite
from gym_agents.environments.swe.testrun import setup_repo
from gym_agents.errors import ConfigError
from gym_agents.sandboxes.errors import SandboxError

TRUNCATED = "\n[... output truncated: {} characters not shown ...]\n"
TOOLS = (
    ToolSpec("bash", "Run a shell command in the repository's root folder. No network.",
             {"type": "object", "properties": {
                 "command": {"type": "string", "description": "the command, run with /bin/sh"},
                 "timeout": {"type": "integer", "minimum": 1, "maximum": 600,
                             "description": "seconds before it is killed (default 60)"}},
              "required": ["command"]}),
    ToolSpec("view_file", "Show a file of the repository with line numbers, or list a folder.",
             {"type": "object", "properties": {
                 "path": {"type": "string",
                          "description": "relative to the repository's root folder"},
                 "start_line": {"type": "integer", "minimum": 1},
                 "end_line": {"type": "integer", "minimum": 1}},
              "required": ["path"]}),
    ToolSpec("edit_file", "Replace one exact occurrence of old_str with new_str in a file "
             "(old_str must occur exactly once). An empty old_str creates a new file.",
             {"type": "object", "properties": {
                 "path": {"type": "string"}, "old_str": {"type": "string"},
                 "new_str": {"type": "string"}},
              "required": ["path", "old_str", "new_str"]}),
    ToolSpec("submit", "Finish: your changes to the library are graded by its test suite.",
             {"type": "object", "properties": {}}),
)
INTRO = """\
You are working in a checkout of the Python package {name} {version} at {repo}.
{statement}

Use the tools to investigate and fix the bug in the library's source, then call submit.
Python, pytest and git are available; there is no network access."""


class SweEnv(Env):
    action_kinds = frozenset({"tool"})
    metadata = {"family": "swe"}

    def __init__(self, suite: str = "starter", *, backend: str = "docker", pool_size: int = 1,
                 instance_ids: list[str] | None = None, command_timeout: float = 60.0,
                 max_output: int = 10_000, time_limit: float = 3600.0,
                 runtime: str | None = None) -> None:
        self.suite, instances = load_suite(suite)
        if instance_ids:
            wanted = set(instance_ids)
            instances = [i for i in instances if i["instance_id"] in wanted]
            missing = wanted - {i["instance_id"] for i in instances}
            if missing:
                raise ConfigError(f"suite {self.suite.name!r} has no instances {sorted(missing)}")
        if not instances:
            raise ConfigError(f"suite {self.suite.name!r} has no instances")
        self.instances = instances
        self.backend, self.pool_size, self.runtime = backend, pool_size, runtime
        self.command_timeout, self.max_output, self.time_limit = (
            command_timeout, max_output, time_limit)
        self._pool = None
        self._sb = None
        self.instance: dict | None = None
        self.repo_dir = REPO_DIR
        self._done = True
        self._oracle_applied = False
        self._started = 0.0

    # -- episode -------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = options or {}
        self._release()
        if "instance_id" in options:
            matches = [i for i in self.instances if i["instance_id"] == options["instance_id"]]
            if not matches:
                raise ConfigError(f"no instance {options['instance_id']!r} in this suite")
            self.instance = matches[0]
        else:
            index = seed if seed is not None else random.randrange(len(self.instances))
            self.instance = self.instances[index % len(self.instances)]
        self.repo_dir = self.instance.get("repo_dir", REPO_DIR)
        self._sb = self._acquire()
        if not self.external:
            setup_repo(self._sb, self.package, self.instance["bug_patch"])
        self._done, self._oracle_applied = False, False
        self._started = time.monotonic()
        name = self.instance["repo"].removeprefix("pypi/")
        text = INTRO.format(name=name, version=self.instance.get("version", ""),
                            repo=self.repo_dir, statement=self.instance["problem_statement"])
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
        handler = getattr(self, f"_tool_{action.name}")
        try:
            return handler(**action.arguments)
        except TypeError as exc:  # missing or unexpected arguments
            return self._result(f"Bad arguments for {action.name}: {exc}", invalid=True)
        except SandboxError:
            if not self._sandboxes_still_start():
                raise  # the machinery is broken: an infra error, retried elsewhere
            # The sandbox died but new ones start: the agent's command killed it
            # (e.g. `kill -9 -1`). That ends the episode, unrewarded, like any other failure.
            self._done = True
            self._release()
            text = ("The sandbox stopped answering after that command (did it kill every "
                    "process?). Your changes are lost; the episode ends without reward.")
            return StepResult(Observation(text, tools=TOOLS), 0.0, True, False,
                              {**self._info(), "success": False, "sandbox_died": True})

    def oracle_action(self) -> ToolCall:
        """Apply the gold patch with `git apply` through the bash tool, then submit."""
        if self.instance is None:
            raise ConfigError("call reset() before oracle_action()")
        if self._oracle_applied:
            return ToolCall("submit", {})
        return ToolCall("bash", {"command": self._oracle_command()})

    def _oracle_command(self) -> str:
        marker = "GYM_AGENTS_GOLD_PATCH_EOF"
        return f"git apply - <<'{marker}'\n{self.instance['patch']}{marker}\n"

    def close(self) -> None:
        self._release()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- tools ---------------------------------------------------------------------

    def _tool_bash(self, command: str, timeout: int | float | None = None) -> StepResult:
        if not isinstance(command, str) or not command.strip():
            return self._result("bash needs a non-empty `command` string.", invalid=True)
        limit = self.command_timeout if timeout is None else timeout
        if not isinstance(limit, (int, float)) or not 0 < limit <= 600:
            return self._result("`timeout` must be a number of seconds from 1 to 600.",
                                invalid=True)
        if command == self._oracle_command():
            self._oracle_applied = True
        result = self._sb.exec(command, timeout=limit, cwd=self.repo_dir)
        text = result.stdout + (("\n" if result.stdout else "") + result.stderr
                                if result.stderr else "")
        status = (f"[timed out after {limit:g}s; the command and what it started were killed]"
                  if result.timed_out else f"[exit code {result.exit_code}]")
        return self._result(f"{self._truncate(text)}\n{status}".lstrip("\n"))

    def _tool_view_file(self, path: str, start_line: int | None = None,
                        end_line: int | None = None) -> StepResult:
        target, error = self._repo_path(path)
        for value in (start_line, end_line):
            if value is not None and (not isinstance(value, int) or value < 1):
                error = error or "start_line and end_line must be line numbers (integers >= 1)."
        if error:
            return self._result(error, invalid=True)
        listing = self._sb.exec(f"test -d {shlex.quote(target)} && ls -1Ap {shlex.quote(target)}",
                                timeout=30)
        if listing.ok:
            return self._result(self._truncate(listing.stdout) or "(empty folder)")
        data, error = self._read(target, path)
        if error:
            return self._result(error, invalid=True)
        lines = data.splitlines()
        start, end = start_line or 1, min(len(lines), end_line or len(lines))
        numbered = "\n".join(f"{n:6d}\t{lines[n - 1]}" for n in range(start, end + 1))
        return self._result(self._truncate(numbered) or "(no lines in that range)")

    def _tool_edit_file(self, path: str, old_str: str, new_str: str) -> StepResult:
        if not isinstance(old_str, str) or not isinstance(new_str, str):
            return self._result("old_str and new_str must be strings.", invalid=True)
        target, error = self._repo_path(path)
        if error:
            return self._result(error, invalid=True)
        if old_str == "":
            exists = self._sb.exec(f"test -e {shlex.quote(target)}", timeout=30).ok
            if exists:
                return self._result(f"{path} exists: an empty old_str only creates new files.",
                                    invalid=True)
            self._sb.exec(f"mkdir -p {shlex.quote(posixpath.dirname(target))}", timeout=30)
            self._sb.write_file(target, new_str)
            return self._result(f"Created {path}.")
        data, error = self._read(target, path)
        if error:
            return self._result(error, invalid=True)
        count = data.count(old_str)
        if count != 1:
            why = ("does not occur" if count == 0 else
                   f"occurs {count} times; include more surrounding lines to make it unique")
            return self._result(f"No edit made: old_str {why} in {path}.", invalid=True)
        self._sb.write_file(target, data.replace(old_str, new_str, 1))
        line = data[:data.index(old_str)].count("\n") + 1
        return self._result(f"Edited {path} at line {line}.")

    def _tool_submit(self) -> StepResult:
        self._done = True
        specs = (external.agent_pathspecs(self.instance) if self.external
                 else grader.source_pathspecs(self.package))
        patch, ignored, error = grader.collect_patch(
            self._sb, specs, self.instance.get("base_commit", ""), self.repo_dir)
        if patch is None:
            grade = grader.Grade(error=error)
        else:
            clean = self._acquire()
            try:
                grade = (external.grade(clean, self.instance, patch) if self.external
                         else grader.grade(clean, self.package, self.instance, patch))
            finally:
                self._give_back(clean)
        grade.ignored_changes = ignored
        lines = [f"Submitted. {'All tests pass: the bug is fixed.' if grade.resolved else ''}"]
        if not grade.resolved:
            lines.append(f"FAIL_TO_PASS fixed: {grade.fail_to_pass_fixed:.0%}; regressions: "
                         f"{len(grade.regressions)}.")
        if grade.error:
            lines.append(grade.error)
        if ignored:
            lines.append(f"Ignored (not library source): {', '.join(ignored[:10])}")
        info = {**self._info(), "success": grade.resolved, "grade": grade.to_info(),
                "reward_components": {"fail_to_pass_fixed": grade.fail_to_pass_fixed,
                                      "pass_to_pass_kept": grade.pass_to_pass_kept}}
        return StepResult(Observation("\n".join(lines).strip(), tools=TOOLS), grade.reward,
                          True, False, info)

    # -- plumbing ------------------------------------------------------------------

    @property
    def external(self) -> bool:
        """An imported SWE-bench / SWE-Gym instance, in its own image."""
        return bool(self.instance and self.instance.get("image"))

    @property
    def package(self):
        return self.suite.package(self.instance["repo"].removeprefix("pypi/"),
                                  self.instance["version"])

    def pool(self):
        if self._pool is None:
            from gym_agents.sandboxes import Limits, SandboxPool

            options = {"runtime": self.runtime} if self.runtime else {}
            image = ensure_image(self.suite, log=lambda _msg: None)
            self._pool = SandboxPool(
                self.backend, image=image, size=self.pool_size, **options,
                limits=Limits(memory="2g", pids=512, timeout=self.command_timeout,
                              max_output="1m"))
        return self._pool

    def _acquire(self):
        """A clean sandbox: from the suite's pool, or for an imported instance, its image."""
        if not self.external:
            return self.pool().acquire()
        from gym_agents import sandboxes

        options = {"runtime": self.runtime} if self.runtime else {}
        return sandboxes.open(self.backend, image=self.instance["image"], workdir=self.repo_dir,
                              limits=sandboxes.Limits(memory="4g", disk="8g", pids=1024,
                                                      timeout=self.command_timeout), **options)

    def _give_back(self, sb) -> None:
        if self._pool is not None and not self.external:
            self._pool.release(sb)
        else:
            sb.close()

    def _sandboxes_still_start(self) -> bool:
        try:
            sb = self._acquire()
        except SandboxError:
            return False
        try:
            return sb.ping()
        finally:
            self._give_back(sb)

    def _release(self) -> None:
        if self._sb is not None:
            self._give_back(self._sb)
        self._sb = None

    def _repo_path(self, path: Any) -> tuple[str, str]:
        if not isinstance(path, str) or not path.strip():
            return "", f"`path` must be a non-empty string, relative to {self.repo_dir}."
        full = posixpath.normpath(posixpath.join(self.repo_dir, path))
        if full != self.repo_dir and not full.startswith(self.repo_dir + "/"):
            return "", (f"{path} is outside the repository; view_file and edit_file work on "
                        f"files under {self.repo_dir} (use bash to look elsewhere).")
        return full, ""

    def _read(self, target: str, shown: str) -> tuple[str, str]:
        try:
            data = self._sb.read_file(target, max_size=4 << 20)
        except FileNotFoundError:
            return "", f"No such file: {shown}"
        except (OSError, ValueError) as exc:
            return "", f"Cannot read {shown}: {exc}"
        return data.decode("utf-8", errors="replace"), ""

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
        if self.instance is None:
            return {}
        return {"instance_id": self.instance["instance_id"], "repo": self.instance["repo"]}
