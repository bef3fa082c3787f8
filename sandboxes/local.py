"""`local`: a plain subprocess in a temporary folder. No isolation at all.

For debugging on machines with neither Docker nor bubblewrap. Commands run as
you, can read and write all you can and reach the network; only the timeout,
the output limit and the per-process memory rlimit hold. Asked for by name
only, and it warns every time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings

from gym_agents.sandboxes.base import Limits, Sandbox
from gym_agents.sandboxes.session import Channel, PipeChannel, server_argv


class LocalSandbox(Sandbox):
    backend = "local"

    def __init__(self, *, image: str | None = None, limits: Limits | None = None,
                 workdir: str | None = None) -> None:
        warnings.warn("the 'local' sandbox backend runs commands on this machine without any "
                      "isolation; use 'bwrap' or 'docker' for code you do not trust",
                      RuntimeWarning, stacklevel=3)
        self._tmp = tempfile.mkdtemp(prefix="gym-agents-local-")
        super().__init__(limits=limits, workdir=workdir or self._tmp)
        self._start()

    def _open_session(self, user: str | None) -> Channel:
        if user is not None:
            raise ValueError("the local sandbox runs all as the current user; pass user=None")
        argv = server_argv(sys.executable, self.workdir, memory=self.limits.memory)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.workdir, "LANG": "C.UTF-8"}
        # A session of its own: a Ctrl-C meant for the host does not hit the server first.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=self.workdir,
                                start_new_session=True)
        return PipeChannel(proc)

    def _destroy(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
