"""pytest plugin `gym_swe_report`, installed in SWE suite images: one JSON line per test phase.

Lines are appended and flushed as tests run, so a run killed by its timeout
(a mutation that loops forever) still tells which tests finished.
Loaded with `pytest -p gym_swe_report`; writes to $GYM_SWE_REPORT.
"""

import json
import os

_PATH = os.environ.get("GYM_SWE_REPORT", "/tmp/gym_swe_report.jsonl")


def _write(record):
    with open(_PATH, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
        out.flush()


def _test_frame(longrepr):
    """The failing test's own lines (its assertion), never the library frame that raised."""
    entries = getattr(getattr(longrepr, "reprtraceback", None), "reprentries", None) or []
    lines = list(getattr(entries[0], "lines", []) or []) if entries else []
    marked = [i for i, line in enumerate(lines) if line.startswith(">")]
    if marked:
        lines = lines[max(0, marked[0] - 3):marked[0] + 1]
    return [line for line in lines if not line.startswith("E ")][-6:]


def pytest_runtest_logreport(report):
    if report.when != "call" and report.outcome == "passed":
        return
    record = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome}
    if report.failed:
        record["message"] = _message(report.longrepr)
        record["test_lines"] = _test_frame(report.longrepr)
    _write(record)


def pytest_collectreport(report):
    if report.failed:
        _write({"nodeid": report.nodeid, "when": "collect", "outcome": "failed",
                "message": _message(report.longrepr)})


def _message(longrepr):
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:800]
    lines = str(longrepr).strip().splitlines()
    return lines[-1][:800] if lines else "failed"
