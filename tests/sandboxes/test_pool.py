"""SandboxPool on the bwrap backend (fast); the docker pool is covered in test_docker.py."""

from __future__ import annotations

import contextlib
import os
import threading
import time

from gym_agents.sandboxes import SandboxPool
from tests.sandboxes.conftest import TEST_LIMITS


def bwrap_pid(sb) -> int:
    return sb._sessions[None].channel.proc.pid


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_each_episode_gets_a_clean_sandbox():
    with SandboxPool("bwrap", size=2, limits=TEST_LIMITS) as pool:
        assert pool.wait_warm(30)
        with pool.sandbox() as sb:
            sb.exec("echo secret > left-behind; sleep 1000 > /dev/null 2>&1 &")
        with pool.sandbox() as sb:
            assert sb.exec("ls").stdout == ""
            assert "sleep 1000" not in sb.exec("cat /proc/[0-9]*/cmdline | tr '\\0' ' '").stdout


def test_pool_scales_past_its_size_and_closes_everything():
    pool = SandboxPool("bwrap", size=1, limits=TEST_LIMITS)
    held = [pool.acquire() for _ in range(4)]  # 4 at once from a pool that keeps 1 warm
    assert len({id(sb) for sb in held}) == 4
    assert all(sb.exec("echo ok").stdout == "ok\n" for sb in held)
    pids = [pid for sb in held for pid in [bwrap_pid(sb), *descendants(bwrap_pid(sb))]]
    assert len(pids) >= 8  # bwrap, its init, the server... for each
    for sb in held:
        pool.release(sb)
    pool.close()
    deadline = time.monotonic() + 5  # the kernel tears a pid namespace down asynchronously
    while [pid for pid in pids if os.path.exists(f"/proc/{pid}")] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if os.path.exists(f"/proc/{pid}")] == []


def test_a_sandbox_killed_while_warm_is_not_handed_out():
    with SandboxPool("bwrap", size=1, limits=TEST_LIMITS) as pool:
        assert pool.wait_warm(30)
        warm = pool._idle[0]
        for pid in descendants(bwrap_pid(warm)):  # what a crash inside would look like
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        with pool.sandbox() as sb:
            assert sb is not warm and sb.exec("echo ok").stdout == "ok\n"


def test_concurrent_episodes_from_threads():
    results = []
    with SandboxPool("bwrap", size=2, limits=TEST_LIMITS) as pool:
        def episode(i: int) -> None:
            with pool.sandbox() as sb:
                sb.write_file("n", str(i))
                results.append(sb.exec("cat n").stdout)

        threads = [threading.Thread(target=episode, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [str(i) for i in range(6)]
