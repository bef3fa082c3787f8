"""Tar archives between host and sandbox, with the host side treated as the one to protect.

What comes out of a sandbox is untrusted: `extract` refuses any member that
would land outside the destination (absolute names, `..`, a path through a
symlink, a link pointing out, device files, hard links). What goes in is
packed without following symlinks, so a link in an uploaded folder can never
carry the content of a host file it points to.

Python's own `tarfile` filter (`filter="data"`) does most of this, but only
from 3.11.4 and 3.12; Debian 12 ships 3.11.2, so we check members ourselves.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from gym_agents.sandboxes.errors import UnsafeArchiveError


def pack(source: str | os.PathLike) -> bytes:
    """Tar `source` (a file or a folder's contents) without following symlinks."""
    source = Path(source)
    if not source.exists() and not source.is_symlink():
        raise FileNotFoundError(f"nothing to upload at {source}")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        if source.is_dir() and not source.is_symlink():
            for child in sorted(source.iterdir()):
                tar.add(child, arcname=child.name, recursive=True)  # dereference=False
        else:
            tar.add(source, arcname=source.name, recursive=False)
    return buf.getvalue()


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def extract(data: bytes, dest: str | os.PathLike) -> list[Path]:
    """Extract a tar from a sandbox into `dest`; return the paths written.

    Raises `UnsafeArchiveError` on the first member that could escape `dest`;
    members before it stay extracted (all inside `dest`).
    """
    os.makedirs(dest, exist_ok=True)
    root = os.path.realpath(dest)
    written: list[Path] = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        for member in tar:
            name = os.path.normpath(member.name)
            if name == ".":
                continue
            if os.path.isabs(name) or name == ".." or name.startswith(".." + os.sep):
                raise UnsafeArchiveError(f"refusing {member.name!r}: it points outside {dest}")
            target = os.path.join(root, name)
            # realpath of the parent follows any symlink already on the way.
            if not _inside(os.path.realpath(os.path.dirname(target)), root):
                raise UnsafeArchiveError(
                    f"refusing {member.name!r}: a symlink leads outside {dest}")
            _extract_member(tar, member, target, root, dest)
            written.append(Path(target))
    return written


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: str, root: str,
                    dest: str | os.PathLike) -> None:
    if os.path.islink(target):  # never write through a link, whatever it points to
        os.remove(target)
    if member.isdir():
        os.makedirs(target, exist_ok=True)
        os.chmod(target, 0o755 | (member.mode & 0o755))
    elif member.isfile():
        os.makedirs(os.path.dirname(target), exist_ok=True)
        source = tar.extractfile(member)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        fd = os.open(target, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.chmod(target, member.mode & 0o755)  # no setuid, setgid or sticky bits
    elif member.issym():
        link = member.linkname
        resolved = os.path.normpath(os.path.join(os.path.dirname(target), link))
        if os.path.isabs(link) or not _inside(resolved, root):
            raise UnsafeArchiveError(
                f"refusing symlink {member.name!r} -> {link!r}: it points outside {dest}")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(link, target)
    else:
        kind = "hard link" if member.islnk() else "device or special file"
        raise UnsafeArchiveError(f"refusing {member.name!r}: a {kind} is not allowed")
