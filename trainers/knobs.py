"""`knob`: a config dataclass field with its help text, shared by every config section."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def knob(default: Any, help: str, choices: tuple | None = None) -> Any:
    """A config field with its help text (and the values it may take)."""
    meta = {"help": help, "choices": choices}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
