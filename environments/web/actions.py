"""The BrowserGym-style action space: tool specs, and parsing of text calls.

An agent acts with calls such as `click("12")` or `fill("7", "hello")`,
either as a tool call or as text (ReAct). Both become one `BrowserAction`;
anything malformed becomes a message naming the problem.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from gym_agents.core import Action, ToolCall, ToolSpec


def _spec(name: str, description: str, **params: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name, description, {"type": "object", "properties": params,
                                        "required": list(params), "additionalProperties": False})


_BID = {"type": "string", "description": "the element's bid, as shown in [brackets]"}
_TEXT = {"type": "string"}
_INT = {"type": "integer", "minimum": -2000, "maximum": 2000}
_PIXEL = {"type": "integer", "minimum": 0, "maximum": 2000}

BID_TOOLS = (
    _spec("click", "Click the element with this bid.", bid=_BID),
    _spec("fill", "Clear the text field with this bid and type the value.", bid=_BID, value=_TEXT),
    _spec("select_option", "Choose an option (its text) in the select element.",
          bid=_BID, option=_TEXT),
    _spec("hover", "Move the mouse over the element.", bid=_BID),
    _spec("press", "Focus the element and press a key combination, e.g. Enter or Control+a.",
          bid=_BID, key_comb=_TEXT),
)
COORD_TOOLS = (
    _spec("mouse_click", "Click at pixel (x, y) of the screenshot.", x=_PIXEL, y=_PIXEL),
    _spec("keyboard_type", "Type text into whatever has the keyboard focus.", text=_TEXT),
    _spec("keyboard_press", "Press a key combination, e.g. Enter or Control+a.", key_comb=_TEXT),
)
COMMON_TOOLS = (
    _spec("scroll", "Scroll the page by (delta_x, delta_y) pixels.", delta_x=_INT, delta_y=_INT),
    _spec("goto", "Open a URL (this site only).", url=_TEXT),
    _spec("go_back", "Go back to the previous page."),
    _spec("send_msg_to_user", "Send a message (e.g. an answer) to the user.", text=_TEXT),
    _spec("noop", "Do nothing for a moment (let the page update)."),
)


def tools_for(mode: str) -> tuple[ToolSpec, ...]:
    """The tools of an observation mode: "axtree" (bids) or "screenshot" (coordinates)."""
    return (BID_TOOLS if mode == "axtree" else COORD_TOOLS) + COMMON_TOOLS


@dataclass(frozen=True)
class BrowserAction:
    name: str
    args: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(repr(v) for v in self.args.values())})"


_CALL_RE = re.compile(r"\b([a-z_]+)\s*\(")


def parse_action(action: Action, tools: tuple[ToolSpec, ...]) -> BrowserAction | str:
    """A `BrowserAction`, or a message saying what is wrong with `action`."""
    specs = {t.name: t for t in tools}
    usage = "; ".join(_usage(t) for t in tools)
    if isinstance(action, ToolCall):
        name, args = action.name, dict(action.arguments)
    elif isinstance(action, str):
        parsed = _parse_text(action, specs)
        if isinstance(parsed, str):
            return f"{parsed} Actions look like: {usage}"
        name, args = parsed
    else:
        return f"Actions must be text or a tool call, got {type(action).__name__}."
    spec = specs.get(name)
    if spec is None:
        return f"Unknown action {name!r}. Available: {usage}"
    return _bind(spec, args) or BrowserAction(name, {k: args[k] for k in _params(spec)})


def _params(spec: ToolSpec) -> list[str]:
    return list(spec.parameters["properties"])


def _usage(spec: ToolSpec) -> str:
    return f"{spec.name}({', '.join(_params(spec))})"


def _parse_text(text: str, specs: dict[str, ToolSpec]) -> tuple[str, dict[str, Any]] | str:
    # Take the first call of a known action anywhere in the text (ReAct output may
    # carry a thought before it, or code fences around it).
    for match in _CALL_RE.finditer(text):
        if match.group(1) not in specs:
            continue
        node = _parse_call(text[match.start():])
        if node is None:
            return f"Could not parse the arguments of {match.group(1)}(...)."
        name, positional, keywords = node
        names = _params(specs[name])
        if len(positional) > len(names):
            return f"{name} takes {len(names)} argument(s), got {len(positional)}."
        return name, {**dict(zip(names, positional, strict=False)), **keywords}
    return "No action found in the text."


def _parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]] | None:
    # Grow the candidate line by line until it parses as one call expression.
    end = text.find(")")
    while end != -1:
        try:
            node = ast.parse(text[:end + 1].strip(), mode="eval").body
        except SyntaxError:
            end = text.find(")", end + 1)
            continue
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            return None
        try:
            positional = [ast.literal_eval(a) for a in node.args]
            keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except ValueError:
            return None
        return node.func.id, positional, keywords
    return None


def _bind(spec: ToolSpec, args: dict[str, Any]) -> str | None:
    """A message when `args` do not fit the tool's schema, else None."""
    props = spec.parameters["properties"]
    unknown = sorted(set(args) - set(props))
    if unknown:
        return f"{spec.name} got unexpected argument(s) {unknown}; usage: {_usage(spec)}"
    missing = [p for p in props if p not in args]
    if missing:
        return f"{spec.name} is missing {missing}; usage: {_usage(spec)}"
    for key, schema in props.items():
        value = args[key]
        if schema["type"] == "integer":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{spec.name}: {key} must be a number, got {value!r}"
        elif schema["type"] == "string":
            if isinstance(value, int) and not isinstance(value, bool) and key == "bid":
                args[key] = str(value)  # click(12) means bid "12"
            elif not isinstance(value, str):
                return f"{spec.name}: {key} must be a string, got {value!r}"
    return None
