"""Run folders on disk, and a byte-offset index of their episode files.

A run is a folder holding an episode file (`episodes.jsonl` from eval,
`rollouts.jsonl` from training) and/or `metrics.jsonl`, with its config
(`config.json` or `config.yaml`) and `summary.json` beside them.

Episode files can hold 100k long episodes, so they are read once to note each
line's byte offset and a few fields to filter on; that index is cached in the
gym-agents cache and, when the file has only grown since (a live run), just
the new lines are read. Opening an episode then reads one line by its offset.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, StoreError
from gym_agents.paths import cache_dir

EPISODE_FILES = ("episodes.jsonl", "rollouts.jsonl")
METRICS_FILE = "metrics.jsonl"
CONFIG_FILES = ("config.json", "config.yaml", "config.yml")
SUMMARY_FILE = "summary.json"
INDEX_VERSION = 2
# One index row per episode line, in this order.
ROW_FIELDS = ("offset", "length", "env_id", "task_id", "seed", "sample_index", "status",
              "success", "total_reward", "num_turns", "step")
Progress = Callable[[int, int], None]
# Bytes hashed from the head of a file to notice it was rewritten, not appended to.
_HEAD_BYTES = 4096
_TAIL_BYTES = 256
# Enough of a metrics file's end to hold its last line.
_LAST_LINE_BYTES = 1 << 16


@dataclass
class EpisodeIndex:
    path: Path
    rows: list[list[Any]] = field(default_factory=list)
    # Bytes covered: the end of the last complete line read.
    size: int = 0
    head_hash: str = ""
    # Lines that were not episodes (corrupt, cut short mid-write and since rewritten).
    skipped: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"version": INDEX_VERSION, "path": str(self.path), "size": self.size,
                "head_hash": self.head_hash, "skipped": self.skipped, "rows": self.rows}


def row_dict(row: list[Any], n: int) -> dict[str, Any]:
    """An index row as the browser gets it: `n` is the episode's number in its file."""
    data = dict(zip(ROW_FIELDS[2:], row[2:], strict=True))
    data["n"] = n
    return data


def index_cache_path(path: Path) -> Path:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return cache_dir("viewer", f"{path.name}-{digest}.json")


def _head_hash(f, size: int) -> str:
    """A hash of the first and last bytes of the file's first `size` bytes.

    If it still matches, the file was only appended to since; a rewrite (a resumed
    trainer truncates its rollouts) changes the head or the bytes at the old end.
    """
    f.seek(0)
    head = f.read(min(size, _HEAD_BYTES))
    f.seek(max(0, size - _TAIL_BYTES))
    return hashlib.sha1(head + f.read(min(size, _TAIL_BYTES))).hexdigest()


def _load_cached(path: Path, cache: Path) -> EpisodeIndex | None:
    try:
        data = json.loads(cache.read_text())
    except (OSError, ValueError):
        return None
    if data.get("version") != INDEX_VERSION or data.get("path") != str(path):
        return None
    return EpisodeIndex(path, data["rows"], data["size"], data["head_hash"], data["skipped"])


def _save_cached(index: EpisodeIndex, cache: Path) -> None:
    """Write atomically; a read-only cache only costs a rebuild next time."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(index.to_json(), separators=(",", ":")))
        tmp.replace(cache)
    except OSError:
        pass


def episode_row(offset: int, line: bytes, data: dict[str, Any]) -> list[Any]:
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    turns = data.get("turns")
    # Trainers keep the training step in the episode's config (`train_step`).
    step = data.get("step", config.get("train_step", config.get("step")))
    return [offset, len(line), data.get("env_id"), data.get("task_id") or config.get("task"),
            data.get("seed"), data.get("sample_index", 0), data.get("status", "ok"),
            bool(data.get("success")), float(data.get("total_reward") or 0.0),
            data.get("num_turns", len(turns) if isinstance(turns, list) else 0), step]


_HEAD_END = b', "initial_observation": '
_CONFIG = b', "config": '
_TAIL = re.compile(rb', "num_turns": (\d+)\}\s*$')
_HEAD_KEYS = {"env_id", "status", "success", "total_reward"}


def quick_row(offset: int, line: bytes) -> list[Any] | None:
    """The row of an `Episode.to_dict` line, parsing its head and tail but not its turns.

    Turns are most of a line, and parsing them is most of the time an index takes.
    Returns None when the line is laid out otherwise; the caller parses it whole.
    """
    cut = line.find(_HEAD_END)
    tail = _TAIL.search(line, max(0, len(line) - 40))
    if cut < 0 or tail is None:
        return None
    config_at = line.rfind(_CONFIG, cut, tail.start())
    try:
        head = json.loads(line[:cut] + b"}")
        config = json.loads(line[config_at + len(_CONFIG):tail.start()]) if config_at > 0 else {}
    except ValueError:
        return None
    if not isinstance(head, dict) or not head.keys() >= _HEAD_KEYS or not isinstance(config, dict):
        return None
    head["num_turns"] = int(tail.group(1))
    head["config"] = config
    return episode_row(offset, line, head)


def full_row(offset: int, line: bytes) -> list[Any] | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return episode_row(offset, line, data) if isinstance(data, dict) and "env_id" in data else None


def build_index(path: Path, progress: Progress | None = None,
                use_cache: bool = True) -> EpisodeIndex:
    """Index `path`, starting from its cached index when that is still a prefix of the file.

    `progress(bytes_done, bytes_total)` is called now and then while reading.
    """
    path = Path(path)
    cache = index_cache_path(path)
    index = (_load_cached(path, cache) if use_cache else None) or EpisodeIndex(path)
    before = (index.size, index.head_hash)
    index = update_index(index, progress)
    if use_cache and (index.size, index.head_hash) != before:
        _save_cached(index, cache)
    return index


def update_index(index: EpisodeIndex, progress: Progress | None = None) -> EpisodeIndex:
    """Read the lines appended since `index` was made; start over if the file was rewritten."""
    try:
        f = open(index.path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise StoreError(f"cannot read {index.path}: {exc.strerror}") from exc
    with f:
        total = os.fstat(f.fileno()).st_size
        if index.size > total or _head_hash(f, index.size) != index.head_hash:
            index = EpisodeIndex(index.path)
        if index.size == total:
            return index
        f.seek(index.size)
        offset = index.size
        for lineno, line in enumerate(f):
            if not line.endswith(b"\n"):
                break  # a line still being written: index it next time
            if line.strip():
                row = quick_row(offset, line) or full_row(offset, line)
                if row is not None:
                    index.rows.append(row)
                else:
                    index.skipped += 1
            offset += len(line)
            if progress is not None and lineno % 2000 == 0:
                progress(offset, total)
        index.size = offset
        index.head_hash = _head_hash(f, offset)
    if progress is not None:
        progress(total, total)
    return index


def read_line(path: Path, offset: int, length: int) -> dict[str, Any]:
    with open(path, "rb") as f:
        f.seek(offset)
        return json.loads(f.read(length))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every readable JSON object in `path`; a corrupt or half-written line is skipped."""
    rows = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    rows.append(data)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    return rows


@dataclass
class Run:
    """One run folder: where its files are, plus its config and summary as read."""

    path: Path
    name: str
    episodes_file: Path | None = None
    metrics_file: Path | None = None
    config: Any = None
    config_file: str | None = None
    summary: dict[str, Any] | None = None
    index: EpisodeIndex | None = None
    # The server answers requests in threads; one of them at a time extends the index.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def kind(self) -> str:
        training = self.metrics_file is not None or (
            self.episodes_file is not None and self.episodes_file.name == "rollouts.jsonl")
        return "training" if training else "eval"

    def load_index(self, progress: Progress | None = None) -> EpisodeIndex:
        """The index, brought up to date with episodes appended since (a live run)."""
        if self.episodes_file is None:
            return EpisodeIndex(Path(""))
        with self._lock:
            if self.index is None:
                self.index = build_index(self.episodes_file, progress)
            else:
                self.index = update_index(self.index, progress)
            return self.index

    def episode(self, n: int) -> dict[str, Any]:
        rows = self.load_index().rows
        if not 0 <= n < len(rows):
            raise KeyError(n)
        data = read_line(self.episodes_file, rows[n][0], rows[n][1])
        data["n"] = n
        return data

    def refresh(self) -> None:
        """(Re)read which files the run has, its config and its summary: a live run adds them."""
        path = self.path
        self.episodes_file = next((path / f for f in EPISODE_FILES if (path / f).is_file()), None)
        self.metrics_file = path / METRICS_FILE if (path / METRICS_FILE).is_file() else None
        for config_name in CONFIG_FILES:
            if (path / config_name).is_file():
                text = (path / config_name).read_text(errors="replace")
                self.config_file = config_name
                try:
                    self.config = json.loads(text) if config_name.endswith(".json") else text
                except ValueError:
                    self.config = text
                break
        try:
            self.summary = json.loads((path / SUMMARY_FILE).read_text())
        except (OSError, ValueError):  # none yet, or being written
            self.summary = None

    def metrics(self) -> list[dict[str, Any]]:
        return read_jsonl(self.metrics_file) if self.metrics_file else []

    def last_metrics(self) -> dict[str, Any] | None:
        """The last complete metrics line, read from the end of the file (cheap for long runs)."""
        if self.metrics_file is None:
            return None
        with open(self.metrics_file, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - _LAST_LINE_BYTES))
            for line in reversed(f.read().splitlines()):
                try:
                    data = json.loads(line)
                except ValueError:
                    continue  # a line still being written, or cut by the seek
                if isinstance(data, dict):
                    return data
        return None


def is_run_dir(path: Path) -> bool:
    return any((path / name).is_file() for name in (*EPISODE_FILES, METRICS_FILE))


def open_run(path: Path, name: str) -> Run:
    run = Run(path=path, name=name)
    run.refresh()
    return run


def _walk_runs(root: Path, depth: int) -> Iterator[Path]:
    """Run folders at or below `root`, runs inside runs too (a training run's eval/step_N)."""
    if is_run_dir(root):
        yield root
    if depth == 0:
        return
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return
    for child in children:
        yield from _walk_runs(child, depth - 1)


def discover_runs(dirs: list[str | os.PathLike[str]], max_depth: int = 3) -> list[Run]:
    """The runs in `dirs`: each is a run folder or a folder with runs below it."""
    runs: list[Run] = []
    seen: set[Path] = set()
    for given in dirs:
        root = Path(given)
        if not root.is_dir():
            raise ConfigError(f"{root} is not a folder: give an eval or training output folder")
        found = list(_walk_runs(root, max_depth))
        if not found:
            raise ConfigError(
                f"no runs in {root}: a run folder holds episodes.jsonl, rollouts.jsonl or "
                "metrics.jsonl (written by gym-agents eval and gym-agents train)")
        for path in found:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            rel = path.relative_to(root).as_posix()
            name = root.resolve().name if rel == "." else f"{root.resolve().name}/{rel}"
            runs.append(open_run(path, name))
    return runs
