"""`docker`: a container per sandbox, through the Docker Engine API (the `docker` SDK).

The container's main process is the session server, attached over its
stdin/stdout: a command is one round trip on that socket instead of a
`docker exec`. The container starts with `stdin_once` and `auto_remove`, so
if this process dies, even by SIGKILL, the server sees EOF, exits, and the
daemon removes the container; labels let `reap()` catch anything else.

Defaults: no network, memory (no swap), CPU and pids limits in the cgroup, a
non-root user, every capability dropped, `no-new-privileges`, a read-only
root with the workdir and /tmp as tmpfs of `limits.disk` bytes each (what is
written there counts towards the memory limit too; the image's own workdir
content is copied in at start), and an init (tini) as PID 1.
`exec(..., user="root")` opens a second session as that user with `docker
exec`. `runtime="runsc"` runs the container under gVisor where the daemon
has it registered (Debian 12's runsc is too old for bookworm's coreutils).
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import tarfile
import threading
import time
import uuid

from gym_agents.errors import require
from gym_agents.sandboxes import reaper
from gym_agents.sandboxes.base import Limits, Sandbox
from gym_agents.sandboxes.errors import SandboxError
from gym_agents.sandboxes.session import Channel, ChannelClosed, server_argv

DEFAULT_IMAGE = "gym-agents/base:latest"
DEFAULT_USER = "1000:1000"  # `agent` in our images; numeric, so any image works
DOCTOR = "run `gym-agents sandbox doctor` to see what is missing and how to fix it"
_FRAME = struct.Struct(">BxxxI")  # docker's multiplexed stream: kind (1 out, 2 err), size

# image id -> tar of the image's workdir (None when empty). The workdir is a
# tmpfs that hides what the image put there, so we copy it in at start.
_workdir_seeds: dict[str, bytes | None] = {}
_seeds_lock = threading.Lock()
_client = None
_client_lock = threading.Lock()


def docker_client():
    """This process's client for the local Docker Engine, or a SandboxError saying how to fix it."""
    global _client
    docker = require("docker", "docker", "the docker sandbox backend")
    with _client_lock:
        if _client is None:
            try:
                # Pools talk to the daemon from several threads: room for them all.
                client = docker.from_env(timeout=120, max_pool_size=32)
                client.ping()
            except docker.errors.DockerException as exc:
                raise SandboxError(
                    f"the Docker Engine is not reachable ({exc}); start it (`dockerd &` or "
                    f"`systemctl start docker`), or {DOCTOR}") from exc
            _client = client
        return _client


class AttachChannel(Channel):
    """A hijacked docker stream (attach or exec) to the server's stdin/stdout."""

    def __init__(self, sock) -> None:
        self._io = sock  # the SDK's SocketIO: keep it, it owns the HTTP response
        self._sock = getattr(sock, "_sock", sock)
        self._buffer = bytearray()
        self._stderr = bytearray()

    def send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ChannelClosed(f"the container went away ({exc})") from exc

    def _recv(self, n: int, deadline: float) -> bytes:
        wait = deadline - time.monotonic()
        if wait <= 0:
            raise ChannelClosed("no answer in time")
        self._sock.settimeout(wait)
        try:
            chunk = self._sock.recv(n)
        except TimeoutError as exc:
            raise ChannelClosed("no answer in time") from exc
        except OSError as exc:
            raise ChannelClosed(f"the container went away ({exc})") from exc
        if not chunk:
            raise ChannelClosed("the container's server exited")
        return chunk

    def _recv_exact_raw(self, n: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < n:
            data += self._recv(n - len(data), deadline)
        return bytes(data)

    def recv_exact(self, n: int, deadline: float) -> bytes:
        while len(self._buffer) < n:
            kind, size = _FRAME.unpack(self._recv_exact_raw(_FRAME.size, deadline))
            frame = self._recv_exact_raw(size, deadline)
            if kind == 2:
                self._stderr = (self._stderr + frame)[-4000:]
            else:
                self._buffer += frame
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def diagnostics(self) -> str:
        return self._stderr.decode(errors="replace")

    def close(self) -> None:
        for closer in (lambda: self._sock.shutdown(socket.SHUT_RDWR), self._sock.close,
                       self._io.close):
            with contextlib.suppress(OSError):
                closer()


class DockerSandbox(Sandbox):
    backend = "docker"

    def __init__(self, *, image: str | None = None, limits: Limits | None = None,
                 workdir: str = "/work", user: str = DEFAULT_USER, runtime: str | None = None,
                 labels: dict[str, str] | None = None, client=None) -> None:
        super().__init__(limits=limits, workdir=workdir)
        self.image = image or DEFAULT_IMAGE
        self.user = user
        self.runtime = runtime
        self._docker = require("docker", "docker", "the docker sandbox backend")
        self.client = client or docker_client()
        reaper.reap_once(self.client)
        self.name = f"gym-agents-{uuid.uuid4().hex[:12]}"
        self.container = None
        self._main_channel: AttachChannel | None = None
        try:
            self._create(labels)
            self._start()
            seed = self._workdir_seed()
            if seed:
                self._call({"op": "unpack", "path": "."}, seed)
        except self._docker.errors.ImageNotFound as exc:
            self.close()
            raise SandboxError(f"no image {self.image!r}: build it with `gym-agents sandbox "
                               f"build` (or `docker pull` it), or {DOCTOR}") from exc
        except self._docker.errors.APIError as exc:
            self.close()
            raise SandboxError(f"docker could not start the sandbox: {exc}") from exc
        except BaseException:  # Ctrl-C or a failure half-way: leave nothing behind
            self.close()
            raise

    def _create(self, labels: dict[str, str] | None) -> None:
        limits = self.limits
        tmpfs_owner = ""
        uid, _, gid = self.user.partition(":")
        if uid.isdigit():
            tmpfs_owner = f",uid={uid},gid={gid or uid}"
        api = self.client.api
        host_config = api.create_host_config(
            auto_remove=True, init=True, network_mode="bridge" if limits.network else "none",
            mem_limit=limits.memory, memswap_limit=limits.memory,
            nano_cpus=int(limits.cpus * 1e9), pids_limit=limits.pids,
            read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
            tmpfs={self.workdir: f"size={limits.disk},mode=0755{tmpfs_owner}",
                   "/tmp": f"size={limits.disk},mode=1777"},
            runtime=self.runtime)
        # detach=False with stdin_open is how the SDK spells StdinOnce (`docker run -i`).
        created = api.create_container(
            self.image, command=server_argv("python3", self.workdir, kill_strangers=True),
            name=self.name, hostname="sandbox", user=self.user, working_dir=self.workdir,
            environment={"HOME": self.workdir, "LANG": "C.UTF-8"},
            stdin_open=True, detach=False, tty=False, labels=reaper.owner_labels(labels),
            host_config=host_config)
        self.container = container = self.client.containers.get(created["Id"])
        # Attach before start, as `docker run -i` does: nothing is lost, and
        # this first attach owns stdin (stdin_once), so its end is the server's EOF.
        sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1,
                                               "stream": 1})
        self._main_channel = AttachChannel(sock)
        container.start()

    def _workdir_seed(self) -> bytes | None:
        """What the image has in the workdir, as a tar, read once per image."""
        image_id = self.container.attrs.get("Image") or self.image
        with _seeds_lock:
            if image_id in _workdir_seeds:
                return _workdir_seeds[image_id]
        # A created container shows the image's files (the tmpfs is not mounted in it).
        probe = self.client.containers.create(self.image, command=["true"],
                                              labels=reaper.owner_labels())
        try:
            stream, _ = probe.get_archive(self.workdir)
            data = b"".join(stream)
        except self._docker.errors.NotFound:
            data = b""
        finally:
            probe.remove(force=True)
        seed = _strip_top_folder(data) if data else None
        with _seeds_lock:
            _workdir_seeds[image_id] = seed
        return seed

    def _open_session(self, user: str | None) -> Channel:
        if user is None or user == self.user:
            channel, self._main_channel = self._main_channel, None
            if channel is None:
                raise SandboxError("the sandbox's main session is gone; open a new sandbox")
            return channel
        exec_id = self.client.api.exec_create(
            self.container.id, server_argv("python3", self.workdir), stdin=True, user=user,
            workdir=self.workdir)["Id"]
        return AttachChannel(self.client.api.exec_start(exec_id, socket=True))

    def _destroy(self) -> None:
        if getattr(self, "_main_channel", None) is not None:
            self._main_channel.close()
        if self.container is None:
            return
        try:
            self.container.remove(force=True)
        except self._docker.errors.NotFound:
            pass  # auto-removed when its server exited
        except self._docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: auto-removal already under way
                raise


def _strip_top_folder(data: bytes) -> bytes | None:
    """docker's archive of /work has members `work/...`: re-root them at `.`, None if empty."""
    out = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src:
            _, _, rest = member.name.partition("/")
            if not rest:
                continue
            member.name = rest
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
            count += 1
    return out.getvalue() if count else None
