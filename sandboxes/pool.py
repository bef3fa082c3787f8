"""`SandboxPool`: warm sandboxes, a clean one per episode.

    pool = SandboxPool("docker", image="gym-agents/base", size=8)
    with pool.sandbox() as sb:      # a warm sandbox nobody has used
        sb.exec("pytest -q", timeout=60)
    pool.close()

A sandbox is never reused: on release it is destroyed and a fresh one is
started in the background, so "clean" holds by construction (processes,
files, /tmp, all of it) whatever the episode did. When more are asked for at
once than are warm, the extra ones start cold in the caller's thread: the
pool scales to the concurrency it is asked for and `size` is only how many it
keeps ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gym_agents.errors import ConfigError
from gym_agents.sandboxes.base import Limits, Sandbox


class SandboxPool:
    def __init__(self, backend: str, *, image: str | None = None, size: int = 4,
                 limits: Limits | None = None, starters: int = 2, **options: Any) -> None:
        if size < 0:
            raise ConfigError(f"SandboxPool.size must be >= 0, got {size}")
        self.backend, self.image, self.size = backend, image, size
        self.limits = limits or Limits()
        self._options = options
        self._idle: deque[Sandbox] = deque()
        self._lock = threading.Lock()
        self._starting = 0
        self._closed = False
        # Starting and destroying sandboxes is slow I/O; a few threads overlap it.
        self._workers = ThreadPoolExecutor(max_workers=max(1, starters),
                                           thread_name_prefix="sandbox-pool")
        self._refill()

    # -- handing out -------------------------------------------------------------

    def acquire(self) -> Sandbox:
        """A clean, answering sandbox; give it back with `release()` (or use `sandbox()`)."""
        while True:
            with self._lock:
                if self._closed:
                    raise ConfigError("this SandboxPool is closed")
                sb = self._idle.popleft() if self._idle else None
            self._refill()
            if sb is None:
                return self._new()  # none warm: start one now rather than wait
            if sb.ping():
                return sb
            sb.close()  # died while waiting (killed from outside): try the next

    def release(self, sb: Sandbox) -> None:
        """Done with it: it is destroyed in the background and replaced by a fresh one."""
        self._submit(sb.close)
        self._refill()

    @contextlib.contextmanager
    def sandbox(self) -> Iterator[Sandbox]:
        sb = self.acquire()
        try:
            yield sb
        finally:
            self.release(sb)

    async def acquire_async(self) -> Sandbox:
        return await asyncio.to_thread(self.acquire)

    async def release_async(self, sb: Sandbox) -> None:
        self.release(sb)  # only schedules work: no need for a thread

    @contextlib.asynccontextmanager
    async def sandbox_async(self) -> AsyncIterator[Sandbox]:
        sb = await self.acquire_async()
        try:
            yield sb
        finally:
            self.release(sb)

    @property
    def warm(self) -> int:
        """How many sandboxes are ready to hand out now."""
        return len(self._idle)

    def wait_warm(self, timeout: float = 60.0) -> bool:
        """Block until `size` sandboxes are warm (for benchmarks and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self._idle) >= self.size:
                return True
            time.sleep(0.01)
        return False

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = list(self._idle), deque()
        # Not cancel_futures: queued work includes closing released sandboxes.
        self._workers.shutdown(wait=True)
        for sb in idle + list(self._idle):  # and any that finished starting meanwhile
            sb.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------

    def _new(self) -> Sandbox:
        from gym_agents.sandboxes import backend_class

        return backend_class(self.backend)(image=self.image, limits=self.limits, **self._options)

    def _refill(self) -> None:
        with self._lock:
            if self._closed:
                return
            missing = self.size - len(self._idle) - self._starting
            self._starting += max(0, missing)
        for _ in range(max(0, missing)):
            self._submit(self._start_one)

    def _start_one(self) -> None:
        if self._closed:  # queued before close(): not needed any more
            with self._lock:
                self._starting -= 1
            return
        try:
            sb = self._new()
        except Exception as exc:  # the next acquire() starts one itself and raises
            warnings.warn(f"the sandbox pool could not start a {self.backend} sandbox: {exc}",
                          RuntimeWarning, stacklevel=1)
            with self._lock:
                self._starting -= 1
            return
        with self._lock:
            self._starting -= 1
            if not self._closed:
                self._idle.append(sb)
                return
        sb.close()

    def _submit(self, fn) -> None:
        try:
            self._workers.submit(fn)
        except RuntimeError:  # the pool is closing: do it here
            fn()
