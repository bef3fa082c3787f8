"""What a command inside an isolating sandbox must not be able to do, on bwrap and docker.

Each protection has a positive control beside it where one is cheap (the same
probe with the protection off, or below the limit, succeeds), so a test
that passes proves the protection and not a broken probe.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from dataclasses import replace

import pytest

from tests.sandboxes.conftest import TEST_LIMITS

PROBE_CONNECT = """python3 - <<'EOF'
import socket, sys
ok = []
for host in sys.argv[1:] or {hosts!r}:
    try:
        socket.create_connection((host, {port}), timeout=2).close()
        ok.append(host)
    except OSError:
        pass
print("connected:" + ",".join(ok))
EOF"""


def host_addresses() -> list[str]:
    """Loopback, this machine's outward address and docker's bridge gateway."""
    addresses = ["127.0.0.1"]
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent; picks the outward interface
        addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    addresses.append("172.17.0.1")
    return addresses


@pytest.fixture
def host_server():
    """A TCP server on every host interface; yields its port."""
    server = socket.create_server(("0.0.0.0", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_no_network(make_sandbox, host_server):
    sb = make_sandbox()
    r = sb.exec(PROBE_CONNECT.format(hosts=host_addresses(), port=host_server))
    assert r.stdout.strip() == "connected:", r


def test_network_when_asked_reaches_the_host(make_sandbox, host_server):
    # The control for test_no_network: with network on, the same probe gets through.
    sb = make_sandbox(replace(TEST_LIMITS, network=True))
    r = sb.exec(PROBE_CONNECT.format(hosts=host_addresses(), port=host_server))
    assert r.stdout.strip() != "connected:", r


def test_no_write_outside_the_workdir(backend, sandbox, tmp_path):
    host_dir = tmp_path / "host-visible"
    host_dir.mkdir()
    host_dir.chmod(0o777)
    r = sandbox.exec(f"for p in /etc/x /usr/x /x {host_dir}/x $HOME/../x; do "
                     "(echo pwned > $p) 2>/dev/null && echo wrote $p; done; "
                     "echo fine > inside && cat inside")
    assert r.stdout == "fine\n", r
    assert not (host_dir / "x").exists()
    if backend == "docker":
        # /home/agent belongs to the sandbox user: only the read-only root stops this write.
        r = sandbox.exec("touch /home/agent/x")
        assert r.exit_code != 0 and "Read-only file system" in r.stderr


def test_fork_bomb_is_contained_by_the_pids_limit(make_sandbox):
    sb, neighbour = make_sandbox(), make_sandbox()
    r = sb.exec("bomb() { bomb | bomb & }; bomb; while :; do :; done", timeout=4)
    assert r.timed_out
    assert "fork" in r.stderr.lower()  # it did hit the limit before the timeout
    assert sb.exec("echo alive").stdout == "alive\n"
    assert neighbour.exec("echo alive").stdout == "alive\n"
    assert subprocess.run(["true"]).returncode == 0  # the host can still start processes


def test_a_fork_bomb_left_running_does_not_lock_the_sandbox(sandbox):
    r = sandbox.exec("bomb() { bomb | bomb & }; bomb", timeout=4)
    assert not r.timed_out
    time.sleep(0.5)  # let it fill every pid
    assert sandbox.exec("echo alive").stdout == "alive\n"


def test_memory_hog_is_killed_at_the_memory_limit(sandbox):
    below = sandbox.exec("python3 -c 'b = bytearray(64 << 20); print(len(b))'")
    assert below.stdout.strip() == str(64 << 20), below
    hog = sandbox.exec("python3 -c 'b = bytearray(1 << 30); print(len(b))'")
    assert hog.exit_code != 0 and hog.stdout == "", hog
    assert sandbox.exec("echo alive").stdout == "alive\n"


def test_infinite_loop_and_everything_it_started_die_at_the_timeout(sandbox):
    # The loop's children leave its process group (setsid) and double-fork.
    start = time.monotonic()
    r = sandbox.exec("setsid sh -c 'sleep 1000 & sleep 1001' & "
                     "(sleep 1002 &) ; while :; do :; done", timeout=1.5)
    assert r.timed_out and r.exit_code == 137
    assert time.monotonic() - start < 6
    left = sandbox.exec("cat /proc/[0-9]*/cmdline | tr '\\0' ' '").stdout
    assert "sleep 100" not in left, left
    assert sandbox.exec("echo alive").stdout == "alive\n"


def test_background_processes_of_a_finished_command_survive(sandbox):
    # The other side of the timeout kill: only a command that times out loses its children.
    sandbox.exec("sleep 1003 > /dev/null 2>&1 &")
    time.sleep(0.2)
    assert "sleep 1003" in sandbox.exec("cat /proc/[0-9]*/cmdline | tr '\\0' ' '").stdout


def test_huge_output_is_truncated_with_a_marker(sandbox):
    r = sandbox.exec("head -c 50000000 /dev/zero | tr '\\0' a; echo done >&2")
    limit = TEST_LIMITS.max_output
    assert r.truncated and r.exit_code == 0
    assert r.stdout.startswith("a" * limit)
    assert len(r.stdout) < limit + 100
    assert f"output truncated, {50_000_000 - limit} more bytes" in r.stdout
    assert r.stderr == "done\n"


def test_binary_output_is_returned_safely(sandbox):
    r = sandbox.exec("printf 'ok\\377\\376\\000\\200end'")
    assert r.stdout == "ok\ufffd\ufffd\x00\ufffdend"


def test_upload_never_follows_a_symlink_to_a_host_file(sandbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    src = tmp_path / "src"
    src.mkdir()
    (src / "normal.txt").write_text("hello")
    os.symlink(secret, src / "link")
    sandbox.upload(src, "up")
    assert sandbox.read_file("up/normal.txt") == b"hello"
    r = sandbox.exec("cat up/link; grep -r 'host secret' . ; true")
    assert "host secret" not in r.stdout


def test_download_refuses_links_out_of_the_destination(sandbox, tmp_path):
    from gym_agents.sandboxes import UnsafeArchiveError

    sandbox.exec("mkdir -p out && echo fine > out/ok && ln -s /etc out/etc && "
                 "ln -s ../../.. out/up")
    with pytest.raises(UnsafeArchiveError):
        sandbox.download("out", tmp_path / "dst")
    assert not (tmp_path / "dst" / "etc").exists()
    assert not (tmp_path / "dst" / "up").exists()


def test_a_killed_session_server_makes_an_infra_error_not_a_hang(sandbox):
    from gym_agents.errors import EnvInfraError

    with pytest.raises(EnvInfraError):
        sandbox.exec("kill -9 $PPID; sleep 5")  # $PPID is the session server
    with pytest.raises(EnvInfraError, match="open a new one"):
        sandbox.exec("echo hi", timeout=5)
