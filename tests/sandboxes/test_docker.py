"""The docker backend: lifecycle, labels, nothing left behind however a run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gym_agents import sandboxes
from gym_agents.sandboxes import reaper
from tests.conftest import REPO
from tests.sandboxes.conftest import TEST_LIMITS

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def client():
    from gym_agents.sandboxes.docker_engine import docker_client

    return docker_client()


def ours(client) -> set[str]:
    return {name for name, _ in reaper.labelled(client)}


def wait_until(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


HOLDER = """
import sys, time
from gym_agents import sandboxes
limits = sandboxes.Limits(memory="256m", pids=64)
with sandboxes.open("docker", limits=limits) as d, sandboxes.open("bwrap", limits=limits) as b:
    d.exec("sleep 1000 > /dev/null 2>&1 &")
    print("ready", d.name, b._sessions[None].channel.proc.pid, flush=True)
    time.sleep(600)
"""


def start_holder() -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                            cwd=REPO)
    line = proc.stdout.readline().split()
    assert line and line[0] == "ready", line
    return proc, line[1], int(line[2])


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_nothing_is_left_however_the_run_ends(client, how):
    proc, container, bwrap_pid = start_holder()
    assert container in ours(client)
    proc.send_signal(how)
    proc.wait(timeout=30)
    # No reap here: the container's server sees its stdin close and the daemon
    # auto-removes it; bwrap's server does the same and its namespace dies.
    assert wait_until(lambda: container not in ours(client)), f"{container} left after {how!r}"
    assert wait_until(lambda: not os.path.exists(f"/proc/{bwrap_pid}"))


def test_labels_name_the_owner(client):
    with sandboxes.open("docker", limits=TEST_LIMITS) as sb:
        labels = client.containers.get(sb.name).labels
        assert labels[reaper.LABEL] == "1"
        assert labels[reaper.OWNER_PID] == str(os.getpid())
        assert reaper.owner_alive(labels)


def test_reap_removes_containers_of_dead_owners_only(client):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    dead_labels = {**reaper.owner_labels(), reaper.OWNER_PID: gone}
    # What a run killed between `create` and `attach` would leave: a plain labelled container.
    orphan = client.containers.run("gym-agents/base:latest", ["sleep", "1000"], detach=True,
                                   labels=dead_labels, network_mode="none")
    with sandboxes.open("docker", limits=TEST_LIMITS) as live:
        removed = reaper.reap(client)
        assert orphan.name in removed
        assert live.name not in removed and live.exec("echo ok").stdout == "ok\n"
    assert orphan.name not in ours(client)


def test_cli_reap(client):
    from gym_agents.cli.main import main

    orphan = client.containers.run("gym-agents/base:latest", ["sleep", "1000"], detach=True,
                                   labels={**reaper.owner_labels(), reaper.OWNER_PID: "0"},
                                   network_mode="none")
    assert main(["sandbox", "reap"]) == 0
    assert orphan.name not in ours(client)


def test_limits_reach_the_container(client):
    with sandboxes.open("docker", limits=TEST_LIMITS) as sb:
        host = client.api.inspect_container(sb.name)["HostConfig"]
        assert host["Memory"] == TEST_LIMITS.memory and host["MemorySwap"] == TEST_LIMITS.memory
        assert host["PidsLimit"] == TEST_LIMITS.pids and host["NetworkMode"] == "none"
        assert host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"]
        assert sb.exec("id -u").stdout == "1000\n"
        assert sb.exec("grep CapEff /proc/self/status").stdout.split()[1] == "0" * 16


def test_exec_as_another_user_keeps_timeouts():
    with sandboxes.open("docker", limits=TEST_LIMITS) as sb:
        assert sb.exec("id -u", user="root").stdout == "0\n"
        r = sb.exec("sleep 30", user="root", timeout=1)
        assert r.timed_out
        assert sb.exec("id -u").stdout == "1000\n"


def test_workdir_starts_with_what_the_image_put_there(client, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM gym-agents/base:latest\nRUN mkdir -p /work/pkg && echo seeded > /work/pkg/a.txt\n")
    client.images.build(path=str(tmp_path), tag="gym-agents-test/seeded:latest", rm=True)
    with sandboxes.open("docker", image="gym-agents-test/seeded:latest", limits=TEST_LIMITS) as sb:
        assert sb.read_file("pkg/a.txt") == b"seeded\n"
        sb.write_file("pkg/a.txt", "changed")  # writable, though the root is read-only
    with sandboxes.open("docker", image="gym-agents-test/seeded:latest", limits=TEST_LIMITS) as sb:
        assert sb.read_file("pkg/a.txt") == b"seeded\n"


def test_missing_image_says_how_to_build_it():
    with pytest.raises(sandboxes.SandboxError, match="gym-agents sandbox build"):
        sandboxes.open("docker", image="gym-agents/no-such-image:latest")


def test_docker_pool_hands_out_clean_sandboxes_and_leaves_nothing(client):
    before = ours(client)
    with sandboxes.SandboxPool("docker", size=2, limits=TEST_LIMITS) as pool:
        assert pool.wait_warm(60)
        with pool.sandbox() as sb:
            sb.exec("echo dirty > f")
        with pool.sandbox() as sb:
            assert sb.exec("ls").stdout == ""
    assert wait_until(lambda: ours(client) <= before)


WORKER = """
import random, sys
from gym_agents import sandboxes
pool = sandboxes.SandboxPool("docker", size=2, limits=sandboxes.Limits(memory="128m", pids=32))
for episode in range(100):
    with pool.sandbox() as sb:
        sb.exec("echo step > f && cat f")
    print("episode", flush=True)
"""


@pytest.mark.slow
def test_killed_workers_leave_nothing_after_reap(client):
    """Episodes through pools in worker processes that get SIGKILLed mid-run."""
    before = ours(client)
    done = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE,
                                text=True, cwd=REPO)
        for _ in range(5):
            assert proc.stdout.readline().startswith("episode")
            done += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    reaper.reap(client)
    assert wait_until(lambda: ours(client) <= before)
    assert done == 20


def test_sdk_is_not_imported_by_gym_agents_or_the_package():
    code = ("import sys, gym_agents, gym_agents.sandboxes\n"
            "sys.exit('docker' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


@pytest.mark.skipif("not os.path.exists('/usr/bin/runsc')", reason="gVisor (runsc) not installed")
def test_runsc_runtime_when_the_daemon_has_it(client):
    if "runsc" not in client.info().get("Runtimes", {}):
        pytest.fail("runsc is installed but not registered with dockerd: see `gym-agents "
                    "sandbox doctor`")
    # Default limits: Debian 12's runsc (2022-12) dies at start under 256m + 64 pids together.
    with sandboxes.open("docker", runtime="runsc") as sb:
        assert client.api.inspect_container(sb.name)["HostConfig"]["Runtime"] == "runsc"
        # gVisor's own kernel, not the host's: it reports a made-up Linux version.
        assert sb.read_file("/proc/version") != Path("/proc/version").read_bytes()
        assert sb.exec("python3 -c 'print(6 * 7)'").stdout == "42\n"
