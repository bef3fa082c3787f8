"""Core value types: what an env shows, what an agent does, what a step returns.

All are frozen dataclasses (or a NamedTuple for `StepResult`, so it unpacks
like Gymnasium's 5-tuple) and convert to and from plain JSON.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Image:
    """A PNG screenshot with its size in pixels."""

    png: bytes
    width: int
    height: int

    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def to_dict(self) -> dict[str, Any]:
        return {"png_base64": base64.b64encode(self.png).decode("ascii"),
                "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Image:
        return cls(base64.b64decode(data["png_base64"]), data["width"], data["height"])


@dataclass(frozen=True)
class ToolSpec:
    """One action an agent may call, as an OpenAI function-calling schema."""

    name: str
    description: str
    parameters: dict[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )

    def to_openai(self) -> dict[str, Any]:
        return {"type": "function",
                "function": {"name": self.name, "description": self.description,
                             "parameters": self.parameters}}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "parameters": self.parameters}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolSpec:
        return cls(data["name"], data.get("description", ""),
                   data.get("parameters", {"type": "object", "properties": {}}))


@dataclass(frozen=True)
class ToolCall:
    """A structured action: call tool `name` with JSON `arguments`."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: "call_" + uuid.uuid4().hex[:12])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, "id": self.id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        return cls(data["name"], dict(data.get("arguments") or {}), data.get("id") or "")

    def __str__(self) -> str:
        return f"{self.name}({json.dumps(self.arguments, sort_keys=True)})"


# An action is raw text or a tool call; each env declares which it takes.
Action = str | ToolCall


def action_to_json(action: Action) -> str | dict[str, Any]:
    return action if isinstance(action, str) else {"tool_call": action.to_dict()}


def action_from_json(data: str | dict[str, Any]) -> Action:
    return data if isinstance(data, str) else ToolCall.from_dict(data["tool_call"])


@dataclass(frozen=True)
class Observation:
    """What the agent sees after a reset or a step."""

    text: str
    images: tuple[Image, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_messages(self, role: str = "user") -> list[dict[str, Any]]:
        """Render as OpenAI chat messages (text, then images as content parts)."""
        if not self.images:
            return [{"role": role, "content": self.text}]
        parts: list[dict[str, Any]] = [{"type": "text", "text": self.text}]
        parts += [{"type": "image_url", "image_url": {"url": im.data_url()}}
                  for im in self.images]
        return [{"role": role, "content": parts}]

    def to_dict(self, *, images: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.tools:
            data["tools"] = [t.to_dict() for t in self.tools]
        if self.metadata:
            data["metadata"] = self.metadata
        if self.images and images:
            data["images"] = [im.to_dict() for im in self.images]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        return cls(
            text=data["text"],
            images=tuple(Image.from_dict(d) for d in data.get("images", ())),
            tools=tuple(ToolSpec.from_dict(d) for d in data.get("tools", ())),
            metadata=dict(data.get("metadata", {})),
        )


class StepResult(NamedTuple):
    """The result of `Env.step`: unpacks as Gymnasium's 5-tuple."""

    observation: Observation
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
