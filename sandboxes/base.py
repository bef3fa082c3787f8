"""The sandbox contract: `Limits`, `ExecResult` and the `Sandbox` base every backend shares.

A backend only has to start the session server (`session_server.py`) inside
its isolation and hand back a `Channel` to it; commands, files, archives,
timeouts and output limits work the same way everywhere.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError
from gym_agents.sandboxes import archive
from gym_agents.sandboxes.errors import SandboxError
from gym_agents.sandboxes.session import Channel, SessionClient

TRUNCATION_MARKER = "\n[gym-agents: output truncated, {} more bytes]\n"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(value: int | str, field_name: str) -> int:
    """Bytes from an int or a docker-style size ("512m", "2g", "1.5GiB")."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ConfigError(
                f"Limits.{field_name}: {value!r} is not a size such as '512m' or '2g'")
        number, unit = match.groups()
        size = int(float(number) * 1024 ** "bkmgt".index((unit or "b").lower()))
    if size <= 0:
        raise ConfigError(f"Limits.{field_name} must be positive, got {value!r}")
    return size


@dataclass(frozen=True)
class Limits:
    """What a sandbox may use. Every backend enforces these; see each backend for how."""

    memory: int | str = field(default="1g", metadata={"help": "memory of the sandbox"})
    cpus: float = field(default=1.0, metadata={"help": "CPU cores (fractional for docker)"})
    pids: int = field(default=256, metadata={"help": "max processes and threads"})
    disk: int | str = field(default="1g", metadata={"help": "size of the writable workdir"})
    network: bool = field(default=False, metadata={"help": "allow network access"})
    timeout: float = field(default=60.0, metadata={"help": "default seconds per exec()"})
    max_output: int | str = field(
        default="1m", metadata={"help": "bytes of stdout and of stderr kept per exec()"})

    def __post_init__(self) -> None:
        for name in ("memory", "disk", "max_output"):
            object.__setattr__(self, name, parse_size(getattr(self, name), name))
        if not self.cpus > 0:
            raise ConfigError(f"Limits.cpus must be positive, got {self.cpus!r}")
        if not isinstance(self.pids, int) or self.pids < 8:
            raise ConfigError(f"Limits.pids must be an int >= 8, got {self.pids!r}")
        if not self.timeout > 0:
            raise ConfigError(f"Limits.timeout must be positive, got {self.timeout!r}")


@dataclass(frozen=True)
class ExecResult:
    """What one command did. Output is decoded as UTF-8 with invalid bytes replaced."""

    exit_code: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def _decode(data: bytes, dropped: int) -> str:
    text = data.decode("utf-8", errors="replace")
    return text + TRUNCATION_MARKER.format(dropped) if dropped else text


# Every open sandbox in this process, so an interpreter exit closes what is left.
_LIVE: weakref.WeakSet[Sandbox] = weakref.WeakSet()


def close_all() -> None:
    """Close every sandbox this process still has open (also run at interpreter exit)."""
    for sandbox in list(_LIVE):
        with contextlib.suppress(Exception):  # closing the rest matters more than one failure
            sandbox.close()


atexit.register(close_all)


class Sandbox:
    """A place to run untrusted commands. Use as a context manager, or call `close()`.

    Relative paths are relative to `workdir`, the only place a command may write.
    Calls are serialized: one command at a time per sandbox.
    """

    backend = "base"

    def __init__(self, *, limits: Limits | None = None, workdir: str = "/work") -> None:
        self.limits = limits or Limits()
        self.workdir = workdir
        self._lock = threading.Lock()
        self._closed = False
        self._sessions: dict[str | None, SessionClient] = {}
        _LIVE.add(self)

    # -- what a backend provides -------------------------------------------------

    def _open_session(self, user: str | None) -> Channel:
        """Start a session server as `user` (None: the sandbox's default) and connect to it."""
        raise NotImplementedError

    def _destroy(self) -> None:
        """Remove everything the sandbox created. Must be safe to call twice."""
        raise NotImplementedError

    # -- the contract ------------------------------------------------------------

    def exec(self, cmd: str, *, timeout: float | None = None, cwd: str | None = None,
             env: dict[str, str] | None = None, user: str | None = None) -> ExecResult:
        """Run `cmd` with /bin/sh; on timeout kill it and all it started."""
        timeout = self.limits.timeout if timeout is None else float(timeout)
        request = {"op": "exec", "cmd": cmd, "timeout": timeout, "cwd": cwd, "env": env or {},
                   "max_output": self.limits.max_output}
        start = time.monotonic()
        header, (out, err) = self._call(request, user=user, deadline=timeout + 30)
        dropped_out, dropped_err = header["truncated"]
        return ExecResult(
            exit_code=_exit_code(header["exit_code"]), stdout=_decode(out, dropped_out),
            stderr=_decode(err, dropped_err), duration=time.monotonic() - start,
            timed_out=header["timed_out"], truncated=bool(dropped_out or dropped_err))

    def write_file(self, path: str, data: bytes | str, *, mode: int | None = None) -> None:
        data = data.encode() if isinstance(data, str) else bytes(data)
        self._call({"op": "write", "path": path, "mode": mode}, data)

    def read_file(self, path: str, *, max_size: int = 64 << 20) -> bytes:
        _, (data,) = self._call({"op": "read", "path": path, "max_size": max_size})
        return data

    def upload(self, src: str | os.PathLike, dst: str) -> None:
        """Copy a host file or folder's contents into the sandbox folder `dst`."""
        self._call({"op": "unpack", "path": dst}, archive.pack(src))

    def download(self, src: str, dst: str | os.PathLike) -> list[Path]:
        """Copy a sandbox file or folder into the host folder `dst`; return what was written."""
        _, (data,) = self._call({"op": "pack", "path": src})
        return archive.extract(data, dst)

    def remove(self, path: str) -> None:
        self._call({"op": "remove", "path": path})

    def ping(self) -> bool:
        """Whether the sandbox answers."""
        try:
            self._call({"op": "ping"}, deadline=10)
        except SandboxError:
            return False
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
        self._destroy()
        _LIVE.discard(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Last resort; close() or a with-block is the contract.
        if not getattr(self, "_closed", True):
            with contextlib.suppress(Exception):
                self.close()

    # -- async twins (each call runs in a worker thread) --------------------------

    async def exec_async(self, cmd: str, **kwargs: Any) -> ExecResult:
        return await asyncio.to_thread(self.exec, cmd, **kwargs)

    async def write_file_async(self, path: str, data: bytes | str, **kwargs: Any) -> None:
        await asyncio.to_thread(self.write_file, path, data, **kwargs)

    async def read_file_async(self, path: str, **kwargs: Any) -> bytes:
        return await asyncio.to_thread(self.read_file, path, **kwargs)

    async def upload_async(self, src: str | os.PathLike, dst: str) -> None:
        await asyncio.to_thread(self.upload, src, dst)

    async def download_async(self, src: str, dst: str | os.PathLike) -> list[Path]:
        return await asyncio.to_thread(self.download, src, dst)

    async def close_async(self) -> None:
        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_async()

    # -- plumbing -----------------------------------------------------------------

    def _start(self) -> None:
        """Open the default session now, so a sandbox that cannot start fails in open()."""
        try:
            self._session(None).call({"op": "ping"}, timeout=60)
        except BaseException:
            self.close()
            raise

    def _session(self, user: str | None) -> SessionClient:
        session = self._sessions.get(user)
        if session is None:
            session = SessionClient(self._open_session(user), name=f"{self.backend} sandbox")
            self._sessions[user] = session
        elif session.broken:
            # Its server died (killed from inside, or the sandbox is gone): state is lost.
            raise SandboxError(f"this {self.backend} sandbox died or stopped answering; "
                               "close it and open a new one")
        return session

    def _call(self, request: dict, *payload: bytes, user: str | None = None,
              deadline: float = 300.0) -> tuple[dict, list[bytes]]:
        if self._closed:
            raise SandboxError(f"this {self.backend} sandbox is closed")
        with self._lock:
            return self._session(user).call(request, *payload, timeout=deadline)


def _exit_code(code: int) -> int:
    # Popen reports death by signal N as -N; shells and docker say 128 + N.
    return 128 - code if code < 0 else code
