"""The local backend: no isolation, but the same contract (timeouts, output limits, files)."""

from __future__ import annotations

import pytest

from gym_agents import sandboxes
from tests.sandboxes.conftest import open_sandbox


def test_local_must_be_asked_for_and_warns():
    with pytest.warns(RuntimeWarning, match="without any isolation"), \
            sandboxes.open("local") as sb:
        assert sb.exec("echo hi").stdout == "hi\n"


def test_local_exec_files_and_timeout(tmp_path):
    with open_sandbox("local") as sb:
        r = sb.exec("echo out; echo err >&2; exit 3", env={"X": "1"})
        assert (r.exit_code, r.stdout, r.stderr, r.timed_out) == (3, "out\n", "err\n", False)
        assert sb.exec("echo $X", env={"X": "42"}).stdout == "42\n"
        sb.write_file("a/b.txt", "hello")
        assert sb.exec("cat b.txt", cwd="a").stdout == "hello"
        r = sb.exec("sleep 5", timeout=0.3)
        assert r.timed_out and r.exit_code == 137 and r.duration < 3
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "f").write_text("up")
        sb.upload(tmp_path / "src", "dst")
        written = sb.download("dst", tmp_path / "back")
        assert (tmp_path / "back" / "f").read_text() == "up" and written
        with pytest.raises(FileNotFoundError):
            sb.read_file("missing")
        workdir = sb.workdir
    assert not __import__("os").path.exists(workdir)  # removed on close


def test_unknown_backend_names_the_choices():
    from gym_agents.errors import ConfigError

    with pytest.raises(ConfigError, match="bwrap"):
        sandboxes.open("firecracker")


def test_closed_sandbox_says_so():
    sb = open_sandbox("local")
    sb.close()
    with pytest.raises(sandboxes.SandboxError, match="closed"):
        sb.exec("true")


async def _async_roundtrip():
    async with open_sandbox("local") as sb:
        await sb.write_file_async("x", b"1")
        r = await sb.exec_async("cat x")
        return r.stdout


def test_async_twins():
    import asyncio

    assert asyncio.run(_async_roundtrip()) == "1"
