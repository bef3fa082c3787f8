"""Labels on everything the docker backend creates, and the reaper that uses them.

Each container carries its owner's host name, pid and process start time. A
container whose owner is no longer running (killed with SIGKILL, a crashed
node's daemon restarted) is garbage: `reap()` removes it. The start time tells
a dead owner from a new process that happens to reuse its pid.
"""

from __future__ import annotations

import os
import socket
import threading

LABEL = "gym-agents.sandbox"
OWNER_HOST = "gym-agents.owner-host"
OWNER_PID = "gym-agents.owner-pid"
OWNER_START = "gym-agents.owner-start"

_reaped_once = threading.Lock()
_reaped = False


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` in clock ticks since boot, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return stat.rsplit(b")", 1)[1].split()[19].decode()


def owner_labels(extra: dict[str, str] | None = None) -> dict[str, str]:
    pid = os.getpid()
    return {LABEL: "1", OWNER_HOST: socket.gethostname(), OWNER_PID: str(pid),
            OWNER_START: process_start_time(pid) or "", **(extra or {})}


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that created a container still runs (on this host)."""
    if labels.get(OWNER_HOST) != socket.gethostname():
        return True  # another machine's: not ours to judge
    try:
        pid = int(labels.get(OWNER_PID, ""))
    except ValueError:
        return False
    return process_start_time(pid) == labels.get(OWNER_START)


def labelled(client) -> list[tuple[str, dict[str, str]]]:
    """(name, labels) of every gym-agents container, running or not.

    The low-level list: the high-level one inspects each container and fails
    on any that is auto-removed meanwhile.
    """
    return [(c["Names"][0].lstrip("/"), c.get("Labels") or {})
            for c in client.api.containers(all=True, filters={"label": LABEL})]


def reap(client=None, *, everything: bool = False) -> list[str]:
    """Remove gym-agents containers whose owner is gone (all of them with `everything`).

    Returns the names of the containers removed.
    """
    import docker

    from gym_agents.sandboxes.docker_engine import docker_client

    client = client or docker_client()
    removed = []
    for name, labels in labelled(client):
        if everything or not owner_alive(labels):
            try:
                client.api.remove_container(name, force=True)
            except docker.errors.NotFound:
                continue  # removed meanwhile (auto-remove, another reaper)
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # 409: removal already in progress
                    raise
            removed.append(name)
    return removed


def reap_once(client) -> None:
    """Reap at the first sandbox a process opens, so every run starts clean."""
    global _reaped
    with _reaped_once:
        if not _reaped:
            reap(client)
            _reaped = True
