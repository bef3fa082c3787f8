"""What works on this machine for sandboxes, and how to fix what does not."""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # False: nice to have (gVisor, the images not yet needed)


def run_checks() -> list[Check]:
    checks = [_bwrap()]
    docker_ok = importlib.util.find_spec("docker") is not None
    checks.append(Check("docker SDK", docker_ok, "installed" if docker_ok else "missing",
                        "pip install 'gym-agents[docker]'"))
    if docker_ok:
        checks += _docker()
    checks.append(Check("debootstrap", shutil.which("debootstrap") is not None,
                        "builds the base image without a registry",
                        "apt-get install debootstrap", required=False))
    return checks


def _bwrap() -> Check:
    from gym_agents.sandboxes.bwrap import BwrapSandbox

    if shutil.which("bwrap") is None:
        return Check("bwrap backend", False, "bubblewrap is not installed",
                     "apt-get install bubblewrap")
    try:
        with BwrapSandbox() as sb:
            result = sb.exec("echo ok", timeout=10)
    except Exception as exc:
        return Check("bwrap backend", False, f"cannot start a sandbox: {exc}",
                     "user namespaces must be allowed: sysctl kernel.unprivileged_userns_clone=1 "
                     "(and kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu)")
    return Check("bwrap backend", result.stdout == "ok\n", "starts and runs commands")


def _docker() -> list[Check]:
    from gym_agents.sandboxes import images, reaper
    from gym_agents.sandboxes.docker_engine import docker_client
    from gym_agents.sandboxes.errors import SandboxError

    try:
        client = docker_client()
    except SandboxError as exc:
        return [Check("Docker Engine", False, str(exc).split(";")[0],
                      "start it: `dockerd > /var/log/dockerd.log 2>&1 &` or `systemctl start "
                      "docker` (and apt-get install docker.io if missing)")]
    info = client.info()
    runtimes = sorted(r for r in info.get("Runtimes", {}) if not r.startswith("io.containerd"))
    checks = [Check("Docker Engine", True,
                    f"{info.get('ServerVersion')}, storage {info.get('Driver')}, "
                    f"cgroup v{info.get('CgroupVersion', '?')}, runtimes {', '.join(runtimes)}")]
    checks.append(Check("gVisor (runsc)", "runsc" in runtimes,
                        "runtime='runsc' isolates with a user-space kernel",
                        "apt-get install runsc, add it to /etc/docker/daemon.json "
                        '("runtimes": {"runsc": {"path": "/usr/bin/runsc"}}), restart dockerd',
                        required=False))
    for name in images.names():
        present = images.image_exists(client, images.tag(name))
        checks.append(Check(f"image {images.tag(name)}", present,
                            "present" if present else "not built",
                            f"gym-agents sandbox build {name}", required=name == "base"))
    leftovers = [name for name, labels in reaper.labelled(client)
                 if not reaper.owner_alive(labels)]
    checks.append(Check("leftover containers", not leftovers,
                        f"{len(leftovers)} from runs that are gone" if leftovers else "none",
                        "gym-agents sandbox reap", required=False))
    return checks
