"""The host-side pieces that need no sandbox: limits parsing and archive extraction."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from gym_agents.errors import ConfigError
from gym_agents.sandboxes import Limits, UnsafeArchiveError
from gym_agents.sandboxes.archive import extract, pack


def tar_of(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    return info


def test_limits_parse_sizes_and_name_the_bad_field():
    limits = Limits(memory="512m", disk="1.5g", max_output=1000)
    assert limits.memory == 512 << 20 and limits.disk == 3 << 29 and limits.max_output == 1000
    with pytest.raises(ConfigError, match=r"Limits\.memory"):
        Limits(memory="lots")
    with pytest.raises(ConfigError, match=r"Limits\.pids"):
        Limits(pids=2)
    with pytest.raises(ConfigError, match=r"Limits\.timeout"):
        Limits(timeout=0)


@pytest.mark.parametrize("name", ["../escaped", "a/../../escaped", "/tmp/escaped-abs"])
def test_extract_refuses_names_that_leave_the_destination(tmp_path, name):
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError):
        extract(tar_of((member(name), b"pwned")), dest)
    assert not (tmp_path / "escaped").exists()
    assert not os.path.exists("/tmp/escaped-abs")


def test_extract_refuses_to_write_through_a_symlink(tmp_path):
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    outside.mkdir()
    data = tar_of((member("d", tarfile.SYMTYPE, str(outside)), None), (member("d/x"), b"pwned"))
    with pytest.raises(UnsafeArchiveError):
        extract(data, dest)
    # An inside link first, then a climb through it.
    data = tar_of((member("sub", tarfile.DIRTYPE), None),
                  (member("l", tarfile.SYMTYPE, "sub"), None), (member("l/../../x"), b"pwned"))
    with pytest.raises(UnsafeArchiveError):
        extract(data, tmp_path / "dest2")
    assert not list(outside.iterdir()) and not (tmp_path / "x").exists()


def test_extract_refuses_a_symlink_already_in_the_destination(tmp_path):
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    os.symlink(outside, dest / "d")
    with pytest.raises(UnsafeArchiveError):
        extract(tar_of((member("d/x"), b"pwned")), dest)
    assert not (outside / "x").exists()


@pytest.mark.parametrize("kind", [tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_extract_refuses_hard_links_and_special_files(tmp_path, kind):
    with pytest.raises(UnsafeArchiveError):
        extract(tar_of((member("x", kind, "/etc/passwd"), None)), tmp_path / "dest")


def test_extract_keeps_inside_links_and_drops_setuid(tmp_path):
    setuid = member("tool")
    setuid.mode = 0o4755
    data = tar_of((member("dir", tarfile.DIRTYPE), None), (member("dir/f"), b"hi"),
                  (member("dir/link", tarfile.SYMTYPE, "f"), None), (setuid, b"#!/bin/sh"))
    extract(data, tmp_path)
    assert (tmp_path / "dir" / "link").read_text() == "hi"
    assert (tmp_path / "tool").stat().st_mode & 0o7777 == 0o755


def test_pack_stores_symlinks_as_links(tmp_path):
    (tmp_path / "secret").write_text("host secret")
    src = tmp_path / "src"
    src.mkdir()
    os.symlink(tmp_path / "secret", src / "link")
    with tarfile.open(fileobj=io.BytesIO(pack(src))) as tar:
        (info,) = tar.getmembers()
        assert info.issym() and info.size == 0
