"""The persistent session that runs inside a sandbox and executes commands for the host.

This file is sent as source (`python3 -c ...`) to whatever Python 3 the sandbox
has, so it imports only the standard library and nothing from gym_agents.
Starting it once per sandbox and talking to it over stdin/stdout makes a
command cost a fork and a pipe round trip instead of a `docker exec` (one API
call, a new process in the container, a new stream).

Wire format, both ways: a 4-byte big-endian length, a JSON header of that
length, then `sum(header["sizes"])` bytes of payload (file data, stdout and
stderr). Requests are served one at a time.

Each command runs in its own session and process group with the sandbox's
rlimits. On timeout the group is killed, and when the sandbox owns its pid
namespace (--kill-strangers) so is every process the command started that
escaped the group (setsid, double fork): the sandbox stays usable.
When stdin closes (the host went away, even by SIGKILL) the server kills
what it started and exits, which tears the sandbox down with it.
"""

import argparse
import contextlib
import io
import json
import os
import resource
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import time

HEADER = struct.Struct(">I")
# After a command exits, how long to keep reading output that its background
# children still write to the inherited pipes before returning.
DRAIN_GRACE_S = 0.05
# Where there is no pidfd (gVisor), how often to check whether a command exited.
POLL_S = 0.002


def read_exact(stream, n):
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send(out, header, *payload):
    header = dict(header, sizes=[len(p) for p in payload])
    data = json.dumps(header).encode()
    out.write(HEADER.pack(len(data)) + data + b"".join(payload))
    out.flush()


def resolve(workdir, path):
    return os.path.normpath(os.path.join(workdir, path))


def all_pids():
    return {int(name) for name in os.listdir("/proc") if name.isdigit()}


class Server:
    def __init__(self, args):
        self.workdir = args.workdir
        self.memory = args.memory
        self.nproc = args.nproc
        self.kill_strangers = args.kill_strangers
        self.live_groups = set()
        self.baseline = all_pids() if self.kill_strangers else set()
        self.before_spawn = set()

    # -- commands --------------------------------------------------------------

    def apply_limits(self):
        """rlimits on the server itself, inherited by every command it starts.

        Set here once rather than in a preexec_fn, so that Popen can use vfork:
        that halves the cost of a command.
        """
        if self.memory:
            resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        if self.nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.nproc, self.nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    @staticmethod
    def prefer_for_oom_kill(pid):
        """Make the command, not this server, the OOM killer's pick (raising needs no privilege)."""
        try:
            with open(f"/proc/{pid}/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass

    def op_exec(self, req, _payload):
        env = dict(os.environ)
        env.update(req.get("env") or {})
        cwd = resolve(self.workdir, req.get("cwd") or ".")
        limit = int(req["max_output"])
        start = time.monotonic()
        try:
            proc = self.spawn(req["cmd"], cwd, env)
        except OSError as exc:
            return {"exit_code": 126, "timed_out": False, "truncated": [0, 0]}, [
                b"", f"could not start the command: {exc}\n".encode()]
        before = self.before_spawn
        self.live_groups.add(proc.pid)
        self.prefer_for_oom_kill(proc.pid)
        outputs, dropped, timed_out = self.collect(proc, limit, start + float(req["timeout"]))
        if timed_out:
            self.kill_tree(proc.pid, before)
        proc.wait()
        self.live_groups.discard(proc.pid)
        header = {"exit_code": proc.returncode, "timed_out": timed_out, "truncated": dropped,
                  "duration": time.monotonic() - start}
        return header, outputs

    def spawn(self, cmd, cwd, env):
        self.before_spawn = all_pids() if self.kill_strangers else set()
        try:
            return subprocess.Popen(
                ["/bin/sh", "-c", cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except BlockingIOError:
            if not self.kill_strangers:
                raise
        # Every pid is taken: a fork bomb an earlier command left running. Clear
        # the sandbox back to what it was when this server started, then retry.
        self.kill_tree(None, self.baseline)
        self.before_spawn = all_pids()
        return subprocess.Popen(
            ["/bin/sh", "-c", cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)

    def collect(self, proc, limit, deadline):
        """Read stdout/stderr, keeping the first `limit` bytes of each, until exit or deadline."""
        outputs, dropped = [bytearray(), bytearray()], [0, 0]
        sel = selectors.DefaultSelector()
        for index, pipe in enumerate((proc.stdout, proc.stderr)):
            os.set_blocking(pipe.fileno(), False)
            sel.register(pipe, selectors.EVENT_READ, index)
        try:
            pidfd = os.pidfd_open(proc.pid)
            sel.register(pidfd, selectors.EVENT_READ, "exit")
        except OSError:  # gVisor has no pidfd_open: poll for the exit instead
            pidfd = None
        pipes_open, exited_at, timed_out = 2, None, False
        while True:
            now = time.monotonic()
            if exited_at is None and pidfd is None and proc.poll() is not None:
                exited_at = now
            if exited_at is None and now >= deadline:
                timed_out = True
                break
            if exited_at is not None and (not pipes_open or now - exited_at >= DRAIN_GRACE_S):
                break
            wait = deadline - now if exited_at is None else DRAIN_GRACE_S - (now - exited_at)
            if pidfd is None and exited_at is None:
                wait = min(wait, POLL_S)
            if not sel.get_map():
                time.sleep(max(wait, 0))
                continue
            for key, _ in sel.select(max(wait, 0)):
                if key.data == "exit":
                    sel.unregister(pidfd)
                    exited_at = time.monotonic()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    pipes_open -= 1
                    continue
                keep = max(0, limit - len(outputs[key.data]))
                outputs[key.data] += chunk[:keep]
                dropped[key.data] += len(chunk) - min(keep, len(chunk))
        sel.close()
        if pidfd is not None:
            os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
        return [bytes(o) for o in outputs], dropped, timed_out

    def kill_tree(self, pgid, before):
        """SIGKILL the command's group and, in our own pid namespace, all it started."""
        me = os.getpid()
        for _ in range(200):  # a fork bomb keeps spawning while we kill; repeat until quiet
            if pgid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)
            strangers = (all_pids() - before - {me}) if self.kill_strangers else set()
            strangers.discard(pgid)  # our own child: reaped by wait(), not a stranger
            for pid in strangers:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if not strangers:
                return
            time.sleep(0.005)

    def shutdown(self):
        for pgid in list(self.live_groups):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)

    # -- files -----------------------------------------------------------------

    def op_write(self, req, payload):
        path = resolve(self.workdir, req["path"])
        if req.get("parents", True):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(payload[0])
        if req.get("mode") is not None:
            os.chmod(path, req["mode"])
        return {}, []

    def op_read(self, req, _payload):
        path = resolve(self.workdir, req["path"])
        with open(path, "rb") as f:
            data = f.read(int(req["max_size"]) + 1)
        if len(data) > int(req["max_size"]):
            raise ValueError(f"{req['path']} is larger than {req['max_size']} bytes; "
                             "use download() for large files")
        return {}, [data]

    def op_pack(self, req, _payload):
        path = resolve(self.workdir, req["path"])
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such file or directory in the sandbox: {req['path']}")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(path, arcname=".", recursive=True)
        return {}, [buf.getvalue()]

    def op_unpack(self, req, payload):
        path = resolve(self.workdir, req["path"])
        os.makedirs(path, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(payload[0]), mode="r") as tar:
            # The host packed this archive, and the sandbox confines where it lands;
            # still refuse escaping members where this Python can (3.11.4+).
            if hasattr(tarfile, "data_filter"):
                tar.extractall(path, filter="data")
            else:
                tar.extractall(path)
        return {}, []

    def op_remove(self, req, _payload):
        path = resolve(self.workdir, req["path"])
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)
        return {}, []

    def op_ping(self, _req, _payload):
        return {"pid": os.getpid(), "uid": os.getuid()}, []

    # -- loop ------------------------------------------------------------------

    def serve(self, inp, out):
        while True:
            raw = read_exact(inp, HEADER.size)
            if raw is None:
                return
            req = json.loads(read_exact(inp, HEADER.unpack(raw)[0]))
            payload = [read_exact(inp, n) for n in req.get("sizes", [])]
            handler = getattr(self, "op_" + req["op"], None)
            try:
                if handler is None:
                    raise ValueError(f"unknown op {req['op']!r}")
                header, parts = handler(req, payload)
            except Exception as exc:  # report it to the host and keep serving
                send(out, {"error": f"{type(exc).__name__}: {exc}", "kind": type(exc).__name__})
                continue
            send(out, header, *parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--memory", type=int, default=0, help="RLIMIT_AS of each command")
    parser.add_argument("--nproc", type=int, default=0, help="RLIMIT_NPROC of each command")
    parser.add_argument("--kill-strangers", action="store_true",
                        help="the sandbox owns its pid namespace: a timeout kills all it started")
    args = parser.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    server = Server(args)
    server.apply_limits()
    try:
        server.serve(sys.stdin.buffer, sys.stdout.buffer)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
