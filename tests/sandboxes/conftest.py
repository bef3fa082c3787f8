"""Sandboxes of each backend for the tests. Docker ones need a running Docker Engine
and the base image (`gym-agents sandbox build`); they fail, not skip, without them."""

from __future__ import annotations

import warnings

import pytest

from gym_agents import sandboxes
from gym_agents.sandboxes import Limits

# Small limits, so the tests that hit them are fast; memory still fits Python.
TEST_LIMITS = Limits(memory="256m", cpus=1, pids=64, disk="64m", timeout=20, max_output="64k")

ISOLATING = [
    pytest.param("bwrap", id="bwrap"),
    pytest.param("docker", id="docker", marks=pytest.mark.docker),
    # Not runsc: Debian 12's gVisor (2022-12) answers statx with EINVAL, so
    # bookworm's coreutils (ls, stat...) fail inside it. See test_docker.py.
]


def open_sandbox(backend: str, limits: Limits = TEST_LIMITS, **options) -> sandboxes.Sandbox:
    if backend == "local":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return sandboxes.open("local", limits=limits, **options)
    return sandboxes.open(backend, limits=limits, **options)


@pytest.fixture(params=ISOLATING)
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_sandbox(backend):
    """Open sandboxes of the test's backend; all are closed after the test."""
    opened: list[sandboxes.Sandbox] = []

    def make(limits: Limits = TEST_LIMITS, **options) -> sandboxes.Sandbox:
        sb = open_sandbox(backend, limits, **options)
        opened.append(sb)
        return sb

    yield make
    for sb in opened:
        sb.close()


@pytest.fixture
def sandbox(make_sandbox) -> sandboxes.Sandbox:
    return make_sandbox()
