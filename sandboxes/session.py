"""The host's end of the session server: framing over a byte channel.

A `Channel` is whatever reaches the server's stdin/stdout: a pair of pipes to
a child process (`PipeChannel`, for bwrap and local) or a docker attach socket
(`docker_engine.AttachChannel`). `SessionClient` speaks the frame format that
`session_server.py` documents.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import select
import struct
import subprocess
import time
from pathlib import Path

from gym_agents.sandboxes.errors import SandboxError

HEADER = struct.Struct(">I")
SERVER_SOURCE = (Path(__file__).with_name("session_server.py")).read_bytes()
# The server's source goes over stdin, not on the command line, where every
# `ps` in the sandbox would show all of it.
BOOTSTRAP = f"import sys; exec(sys.stdin.buffer.read({len(SERVER_SOURCE)}))"
# Errors the server reports that mean the same on the host (a missing file...).
_PASSTHROUGH = {"FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
                "PermissionError", "FileExistsError"}


def server_argv(python: str, workdir: str, *, memory: int = 0, nproc: int = 0,
                kill_strangers: bool = False) -> list[str]:
    """The command line that starts the session server with a given Python."""
    argv = [python, "-u", "-c", BOOTSTRAP, "--workdir", workdir]
    if memory:
        argv += ["--memory", str(memory)]
    if nproc:
        argv += ["--nproc", str(nproc)]
    if kill_strangers:
        argv.append("--kill-strangers")
    return argv


class ChannelClosed(Exception):
    """The other end went away or did not answer in time."""


class Channel:
    def send(self, data: bytes) -> None:
        raise NotImplementedError

    def recv_exact(self, n: int, deadline: float) -> bytes:
        """`n` bytes, or ChannelClosed at EOF or when `time.monotonic()` passes `deadline`."""
        raise NotImplementedError

    def diagnostics(self) -> str:
        """What the server said on stderr, for error messages."""
        return ""

    def close(self) -> None:
        raise NotImplementedError


class PipeChannel(Channel):
    """The stdin/stdout of a child process that runs the server (directly or in bwrap)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self._fd = proc.stdout.fileno()

    def send(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise ChannelClosed(f"the server exited ({exc})") from exc

    def recv_exact(self, n: int, deadline: float) -> bytes:
        chunks, left = [], n
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self._fd], [], [], wait)[0]:
                raise ChannelClosed("no answer in time")
            chunk = os.read(self._fd, min(left, 1 << 20))
            if not chunk:
                raise ChannelClosed(f"the server exited with code {self.proc.poll()}")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def diagnostics(self) -> str:
        if self.proc.stderr is None or self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")[-2000:]

    def close(self) -> None:
        # Closing stdin makes the server kill what it started and exit.
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


class SessionClient:
    def __init__(self, channel: Channel, name: str = "sandbox") -> None:
        self.channel = channel
        self.name = name
        self.broken = False
        try:
            channel.send(SERVER_SOURCE)  # what BOOTSTRAP reads
        except ChannelClosed as exc:
            self.broken = True
            raise SandboxError(f"the {name} did not start: {exc}") from exc

    def call(self, request: dict, *payload: bytes, timeout: float) -> tuple[dict, list[bytes]]:
        header = json.dumps(dict(request, sizes=[len(p) for p in payload])).encode()
        deadline = time.monotonic() + timeout
        try:
            self.channel.send(HEADER.pack(len(header)) + header + b"".join(payload))
            size = HEADER.unpack(self.channel.recv_exact(HEADER.size, deadline))[0]
            reply = json.loads(self.channel.recv_exact(size, deadline))
            parts = [self.channel.recv_exact(n, deadline) if n else b"" for n in reply["sizes"]]
        except ChannelClosed as exc:
            # A half-read reply leaves the stream out of step: never reuse it.
            self.broken = True
            said = self.channel.diagnostics().strip()
            raise SandboxError(f"the {self.name} stopped answering: {exc}"
                               + (f"\n{said}" if said else "")) from exc
        if "error" in reply:
            kind = reply.get("kind")
            error = getattr(builtins, kind) if kind in _PASSTHROUGH else ValueError
            raise error(f"in the {self.name}: {reply['error']}")
        return reply, parts

    def close(self) -> None:
        self.broken = True
        self.channel.close()
