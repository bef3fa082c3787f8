"""Sandbox images: Dockerfiles under `sandboxes/images/<name>/`, tagged `gym-agents/<name>`.

The chain starts at `gym-agents/debian:<codename>`, a Debian rootfs made with
`debootstrap` from the Debian mirror this machine already uses and loaded
with `docker import`: it needs no container registry, so it works offline and
on air-gapped clusters that mirror Debian. Every other image builds FROM an
image of this chain, and `build(name)` builds what it depends on first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from gym_agents.sandboxes.errors import SandboxError

IMAGES_DIR = Path(__file__).with_name("images")
PREFIX = "gym-agents/"
ROOTFS_REPO = PREFIX + "debian"
# What every sandbox needs: the session server's Python, `ps`, TLS roots.
ROOTFS_PACKAGES = ("python3", "procps", "ca-certificates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
Log = Callable[[str], None]


def names() -> list[str]:
    """The images this project defines (folders with a Dockerfile)."""
    return sorted(p.parent.name for p in IMAGES_DIR.glob("*/Dockerfile"))


def tag(name: str) -> str:
    return f"{PREFIX}{name}:latest"


def parent_of(name: str) -> str:
    """The FROM of an image's Dockerfile."""
    dockerfile = IMAGES_DIR / name / "Dockerfile"
    if not dockerfile.exists():
        raise SandboxError(f"no image {name!r}: choose one of {names()} "
                           f"(each is a folder with a Dockerfile under {IMAGES_DIR})")
    match = re.search(r"^FROM\s+(\S+)", dockerfile.read_text(), re.MULTILINE)
    if not match:
        raise SandboxError(f"{dockerfile} has no FROM line")
    return match.group(1)


def debian_codename() -> str:
    text = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    match = re.search(r"^VERSION_CODENAME=(\w+)", text, re.MULTILINE)
    return match.group(1) if match else "bookworm"


def debian_mirror() -> str:
    """The Debian archive apt uses here (the one place we know we can reach)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        # one-line format ("deb URL suite ...") and deb822 ("URIs: URL")
        for url in re.findall(r"^(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(\S+)", text, re.MULTILINE):
            if url.rstrip("/").endswith("/debian"):
                return url
    return DEFAULT_MIRROR


def image_exists(client, ref: str) -> bool:
    import docker

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def build_rootfs(client, *, codename: str | None = None, mirror: str | None = None,
                 log: Log = print) -> str:
    """debootstrap a minimal Debian with Python and `docker import` it; return its tag."""
    codename = codename or debian_codename()
    mirror = mirror or debian_mirror()
    ref = f"{ROOTFS_REPO}:{codename}"
    if shutil.which("debootstrap") is None:
        raise SandboxError("building the base image needs debootstrap: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise SandboxError("debootstrap needs root: run `sudo gym-agents sandbox build`")
    with tempfile.TemporaryDirectory(prefix="gym-agents-rootfs-") as tmp:
        rootfs, tarball = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
        log(f"debootstrap {codename} from {mirror} (a few minutes)")
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(ROOTFS_PACKAGES)}",
              codename, str(rootfs), mirror], "debootstrap")
        # No apt caches or lists in the image: they are big and go stale.
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        _run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], "tar")
        log(f"docker import -> {ref}")
        client.api.import_image(src=str(tarball), repository=ROOTFS_REPO, tag=codename,
                                changes=["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                         "/usr/bin:/sbin:/bin", "CMD [\"/bin/bash\"]"])
    return ref


def build(name: str = "base", *, client=None, force: bool = False, log: Log = print) -> str:
    """Build `gym-agents/<name>` and what it is built FROM; skip images that exist."""
    from gym_agents.sandboxes.docker_engine import docker_client

    parent = parent_of(name)  # an unknown name fails here, before any daemon is needed
    client = client or docker_client()
    if parent.startswith(ROOTFS_REPO + ":"):
        if not image_exists(client, parent):
            build_rootfs(client, codename=parent.split(":", 1)[1], log=log)
    elif parent.startswith(PREFIX):
        build(parent[len(PREFIX):].split(":")[0], client=client, force=False, log=log)
    ref = tag(name)
    if image_exists(client, ref) and not force:
        log(f"{ref} exists (--force rebuilds it)")
        return ref
    log(f"docker build {IMAGES_DIR / name} -> {ref}")
    try:
        client.images.build(path=str(IMAGES_DIR / name), tag=ref, rm=True, forcerm=True)
    except Exception as exc:  # BuildError carries the log; show its end
        tail = "".join(str(line.get("stream", "")) for line in getattr(exc, "build_log", []))
        raise SandboxError(f"building {ref} failed: {exc}\n{tail[-2000:]}") from exc
    return ref


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr)[-3000:]
        raise SandboxError(f"{what} failed ({proc.returncode}):\n{output}")
