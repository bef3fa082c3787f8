"""What the browser asks of a run's index: filtered pages of episodes, and run comparisons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from gym_agents.viewer.index import ROW_FIELDS, Run, row_dict

_COL = {name: i for i, name in enumerate(ROW_FIELDS)}
SORTS = {"index": None, "reward": "total_reward", "turns": "num_turns"}
MAX_PAGE = 500


class QueryError(ValueError):
    """A request parameter the viewer cannot use (the message says which)."""


def _float(params: Mapping[str, str], name: str) -> float | None:
    value = params.get(name, "")
    if value == "":
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise QueryError(f"{name} must be a number, got {value!r}") from exc


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name) or default)
    except ValueError as exc:
        raise QueryError(f"{name} must be an integer, got {params.get(name)!r}") from exc


def filter_positions(rows: list[list[Any]], params: Mapping[str, str]) -> list[int]:
    """Positions of the rows matching env, task (substring), outcome, status, reward range, step."""
    env = params.get("env") or None
    task = (params.get("task") or "").lower()
    status = params.get("status") or None
    outcome = params.get("outcome") or None
    if outcome not in (None, "success", "failure"):
        raise QueryError(f"outcome must be success or failure, got {outcome!r}")
    low, high = _float(params, "min_reward"), _float(params, "max_reward")
    step = _float(params, "step")  # training rollouts: the step that collected them
    env_c, task_c, seed_c = _COL["env_id"], _COL["task_id"], _COL["seed"]
    status_c, success_c, reward_c = _COL["status"], _COL["success"], _COL["total_reward"]
    step_c = _COL["step"]
    keep = []
    for i, row in enumerate(rows):
        if env is not None and row[env_c] != env:
            continue
        if status is not None and row[status_c] != status:
            continue
        if outcome is not None and row[success_c] != (outcome == "success"):
            continue
        if low is not None and row[reward_c] < low:
            continue
        if high is not None and row[reward_c] > high:
            continue
        if step is not None and row[step_c] != step:
            continue
        if task and task not in f"{row[task_c]} seed={row[seed_c]}".lower():
            continue
        keep.append(i)
    return keep


def episode_page(run: Run, params: Mapping[str, str]) -> dict[str, Any]:
    """One page of a run's episodes after filtering and sorting, plus counts to filter by."""
    rows = run.load_index().rows
    positions = filter_positions(rows, params)
    sort = params.get("sort") or "index"
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), "missing")
    if key == "missing":
        raise QueryError(f"sort must be one of {', '.join(SORTS)} (prefix - to reverse)")
    if key is not None:
        col = _COL[key]
        positions.sort(key=lambda i: rows[i][col], reverse=descending)
    elif descending:
        positions.reverse()
    offset = max(0, _int(params, "offset", 0))
    limit = min(MAX_PAGE, max(1, _int(params, "limit", 50)))
    return {"total": len(positions), "offset": offset, "limit": limit,
            "rows": [row_dict(rows[i], i) for i in positions[offset:offset + limit]],
            "facets": facets(rows)}


def facets(rows: list[list[Any]]) -> dict[str, dict[str, int]]:
    return {"env_id": dict(Counter(r[_COL["env_id"]] for r in rows)),
            "status": dict(Counter(r[_COL["status"]] for r in rows))}


def task_key(row: list[Any]) -> tuple[Any, ...]:
    """What makes two runs' episodes the same task: env, task (or seed), sample."""
    task = row[_COL["task_id"]]
    return (row[_COL["env_id"]], task if task is not None else f"seed={row[_COL['seed']]}",
            row[_COL["sample_index"]])


def latest_by_task(rows: list[list[Any]]) -> dict[tuple[Any, ...], int]:
    """One row per task: a finished episode beats an infra error, a later one an earlier."""
    chosen: dict[tuple[Any, ...], int] = {}
    status_c = _COL["status"]
    for i, row in enumerate(rows):
        key = task_key(row)
        old = chosen.get(key)
        if old is None or row[status_c] != "infra_error" or rows[old][status_c] == "infra_error":
            chosen[key] = i
    return chosen


def compare_runs(a: Run, b: Run, only: str = "") -> dict[str, Any]:
    """Pair the episodes of two runs by task; count where each one wins."""
    rows_a, rows_b = a.load_index().rows, b.load_index().rows
    by_a, by_b = latest_by_task(rows_a), latest_by_task(rows_b)
    pairs = []
    counts = Counter()
    for key in sorted(by_a.keys() | by_b.keys(), key=lambda k: tuple(map(str, k))):
        ra = row_dict(rows_a[by_a[key]], by_a[key]) if key in by_a else None
        rb = row_dict(rows_b[by_b[key]], by_b[key]) if key in by_b else None
        if ra is None or rb is None:
            verdict = "only_a" if rb is None else "only_b"
        elif ra["success"] == rb["success"]:
            verdict = "both" if ra["success"] else "neither"
        else:
            verdict = "a_wins" if ra["success"] else "b_wins"
        counts[verdict] += 1
        differs = verdict in ("a_wins", "b_wins") or (
            ra is not None and rb is not None and ra["total_reward"] != rb["total_reward"])
        if only == "diff" and not differs:
            continue
        pairs.append({"env_id": key[0], "task": key[1], "sample_index": key[2],
                      "verdict": verdict, "a": ra, "b": rb})
    return {"a": a.name, "b": b.name, "counts": dict(counts), "pairs": pairs}
