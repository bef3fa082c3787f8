"""`bwrap`: bubblewrap namespaces, for fast local runs where Docker is not available.

Each sandbox is one `bwrap` process with new user, pid, network, ipc, uts and
cgroup namespaces; the system folders are bound read-only and the workdir and
/tmp are private size-limited tmpfs, so nothing a command writes reaches the
host; the rest of the tree is read-only. When this process runs as root,
bwrap runs as `nobody` so the sandbox cannot read root-only host files
through the read-only binds.

Limits are rlimits set on each command: `memory` is RLIMIT_AS (per process),
`pids` is RLIMIT_NPROC counted in the sandbox's own user namespace, `disk` is
the workdir tmpfs size. `cpus` is not enforced (that needs cgroups: use the
docker backend).
"""

from __future__ import annotations

import os
import shutil
import subprocess

from gym_agents.sandboxes.base import Limits, Sandbox
from gym_agents.sandboxes.errors import SandboxError
from gym_agents.sandboxes.session import Channel, PipeChannel, server_argv

NOBODY = 65534
SANDBOX_UID = 1000  # what commands see as their uid, like the docker images' `agent` user
PYTHON = "/usr/bin/python3"


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap is not installed: apt-get install bubblewrap "
                           "(run `gym-agents sandbox doctor` to check this machine)")
    return path


def system_binds() -> list[str]:
    """Read-only views of the host's programs and libraries; merged-/usr symlinks kept as links."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


class BwrapSandbox(Sandbox):
    backend = "bwrap"

    def __init__(self, *, image: str | None = None, limits: Limits | None = None,
                 workdir: str = "/work") -> None:
        if image is not None:
            raise ValueError("the bwrap backend runs the host's own system read-only and takes "
                             "no image; use the docker backend for images")
        super().__init__(limits=limits, workdir=workdir)
        self._bwrap = bwrap_path()
        if not os.path.exists(PYTHON):
            raise SandboxError(f"the bwrap backend needs {PYTHON} on the host: "
                               "apt-get install python3")
        self._start()

    def argv(self) -> list[str]:
        limits = self.limits
        args = [self._bwrap, "--unshare-all", "--new-session", "--hostname", "sandbox",
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        if limits.network:
            args.append("--share-net")
        args += system_binds()
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--size", str(limits.disk), "--tmpfs", "/tmp",
                 "--size", str(limits.disk), "--tmpfs", self.workdir,
                 # bwrap's own root is a writable tmpfs: freeze it once every mount is made.
                 "--remount-ro", "/",
                 "--chdir", self.workdir, "--clearenv",
                 "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                 "--setenv", "HOME", self.workdir, "--setenv", "LANG", "C.UTF-8", "--"]
        return args + server_argv(PYTHON, self.workdir, memory=limits.memory,
                                  nproc=limits.pids, kill_strangers=True)

    def _open_session(self, user: str | None) -> Channel:
        if user is not None:
            raise ValueError("the bwrap sandbox has a single user; pass user=None")
        drop = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}
        proc = subprocess.Popen(self.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, cwd="/", **drop)
        return PipeChannel(proc)

    def _destroy(self) -> None:
        pass  # closing the session's stdin ends bwrap and its whole pid namespace
