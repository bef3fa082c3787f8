"""JSONL episode store: one episode a line, appended and flushed as each ends.

A run killed at any moment loses no finished episode; at worst its last line
is cut short, and reading skips that line with a warning and keeps the rest.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gym_agents.episode import Episode
from gym_agents.errors import StoreError


class StoreWarning(UserWarning):
    """A line of an episode file could not be read and was skipped."""


class EpisodeStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file = None

    def _open(self):
        if self._file is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                needs_newline = self._ends_without_newline()
                self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise StoreError(f"cannot write episodes to {self.path}: {exc.strerror}. "
                                 "Choose another --out folder.") from exc
            if needs_newline:  # a killed writer left half a line: start clean
                self._file.write("\n")
        return self._file

    def _ends_without_newline(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"

    def append(self, episode: Episode | dict[str, Any]) -> None:
        data = episode.to_dict() if isinstance(episode, Episode) else episode
        line = json.dumps(data, ensure_ascii=False, allow_nan=False)
        with self._lock:
            f = self._open()
            f.write(line + "\n")
            f.flush()

    def read_dicts(self) -> Iterator[dict[str, Any]]:
        """Every readable line as a dict; unreadable lines are skipped with a warning."""
        if not self.path.exists():
            return
        try:
            f = open(self.path, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from exc
        with f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise ValueError("not a JSON object")
                except ValueError as exc:
                    warnings.warn(f"{self.path}:{lineno}: skipped a corrupt line ({exc})",
                                  StoreWarning, stacklevel=2)
                    continue
                yield data

    def __iter__(self) -> Iterator[Episode]:
        for data in self.read_dicts():
            try:
                yield Episode.from_dict(data)
            except (KeyError, TypeError, ValueError) as exc:
                warnings.warn(f"{self.path}: skipped an episode that does not parse ({exc})",
                              StoreWarning, stacklevel=2)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                self._file = None

    def __enter__(self) -> EpisodeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
