"""Where gym-agents keeps generated data (games, models, images)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """`$GYM_AGENTS_CACHE` or `~/.cache/gym_agents`, joined with `parts` (not created)."""
    root = os.environ.get("GYM_AGENTS_CACHE") or Path.home() / ".cache" / "gym_agents"
    return Path(root).joinpath(*parts)
