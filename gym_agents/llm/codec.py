"""Chat messages <-> token ids, and extending a tokenized conversation exactly.

`ChatCodec.encode` applies a chat template. `ChatCodec.continuation` gives the
ids that follow a sampled reply when new messages arrive (the end-of-turn
token if the model did not sample it, the template's text after it, the new
messages, the generation prompt), computed as the difference of two renders
of a dummy conversation. So turn k+1's prompt is turn k's prompt + the ids
sampled at turn k + new ids: what the model produced is never detokenized
and re-templated.

The `chatml` rendering here (`render_chatml`) is the template of the tiny
models `gym-agents model make-tiny` builds, in Python; the scripted backend
uses it with a byte-level vocabulary.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from gym_agents.core import ToolCall
from gym_agents.llm.base import LLMError

Render = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None, bool], list[int]]

# A conversation whose rendering the continuation is computed against.
_DUMMY = [{"role": "user", "content": "."}, {"role": "assistant", "content": "."}]


class ChatCodec:
    """A chat template plus a tokenizer, able to extend a conversation by ids."""

    def __init__(self, render: Render, end_of_turn_ids: Sequence[int],
                 decode: Callable[[list[int]], str]) -> None:
        self._render = render
        self.end_of_turn_ids = frozenset(end_of_turn_ids)
        self.decode = decode
        self._base_cache: dict[str, tuple[list[int], list[int], int | None]] = {}

    def encode(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
               add_generation_prompt: bool = True) -> list[int]:
        return self._render(normalize_messages(messages), tools or None, add_generation_prompt)

    def continuation(self, sampled_ids: Sequence[int], new_messages: list[dict[str, Any]],
                     tools: list[dict[str, Any]] | None = None) -> list[int]:
        """Ids to put after `prompt + sampled_ids` so the prompt then ends with
        `new_messages` and the generation prompt."""
        base, tail, eot = self._base(tools)
        full = self.encode(_DUMMY + list(new_messages), tools, add_generation_prompt=True)
        if full[:len(base)] != base:
            raise LLMError("the chat template renders earlier messages differently when new "
                           "ones follow, so prompts cannot be extended token-exactly")
        ids: list[int] = []
        if eot is not None and (not sampled_ids or sampled_ids[-1] not in self.end_of_turn_ids):
            ids.append(eot)  # cut by max_tokens or a stop string: close the turn
        return ids + tail + full[len(base):]

    def _base(self, tools):
        key = json.dumps(tools, sort_keys=True)
        if key not in self._base_cache:
            base = self.encode(_DUMMY, tools, add_generation_prompt=False)
            ends = [i for i, t in enumerate(base) if t in self.end_of_turn_ids]
            if ends:  # what the template writes after the assistant's end-of-turn token
                self._base_cache[key] = (base, base[ends[-1] + 1:], base[ends[-1]])
            else:
                self._base_cache[key] = (base, [], None)
        return self._base_cache[key]


def normalize_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Content parts -> text; tool-call arguments -> dicts (what HF templates expect)."""
    out = []
    for m in messages:
        m = dict(m)
        if isinstance(m.get("content"), list):
            m["content"] = "".join(p.get("text", "") for p in m["content"]
                                   if p.get("type") == "text")
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                fn = dict(c.get("function", c))
                if isinstance(fn.get("arguments"), str):
                    with contextlib.suppress(json.JSONDecodeError):
                        fn["arguments"] = json.loads(fn["arguments"])
                calls.append({**c, "type": "function", "function": fn})
            m["tool_calls"] = calls
        out.append(m)
    return out


# -- the project's ChatML template (tiny models, scripted backend) -------------------

IM_START, IM_END, ENDOFTEXT = "<|im_start|>", "<|im_end|>", "<|endoftext|>"
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)

TOOLS_PREAMBLE = (
    "# Tools\n\nYou may call one or more functions. The functions you may call:\n<tools>\n"
)
TOOLS_POSTAMBLE = (
    "</tools>\n\nTo call a function, reply with a JSON object inside tags:\n"
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
)

# The same rendering as `render_chatml`, as a Jinja chat template for tokenizers.
# No raw newlines: HF renders with trim_blocks, which would eat a newline after
# a block tag, so every newline is `{{ nl }}`.
def _jinja_text(text: str) -> str:
    return text.replace("\n", "{{ nl }}")


CHATML_TEMPLATE = "".join((
    "{% set nl = '\\n' %}{% set ns = namespace(start=0) %}",
    "{% if messages and messages[0].role == 'system' %}{% set ns.start = 1 %}{% endif %}",
    "{% if tools %}<|im_start|>system{{ nl }}",
    "{% if ns.start %}{{ messages[0].content }}{{ nl }}{{ nl }}{% endif %}",
    _jinja_text(TOOLS_PREAMBLE),
    "{% for tool in tools %}{{ tool | tojson }}{{ nl }}{% endfor %}",
    _jinja_text(TOOLS_POSTAMBLE), "<|im_end|>{{ nl }}",
    "{% elif ns.start %}<|im_start|>system{{ nl }}{{ messages[0].content }}<|im_end|>{{ nl }}",
    "{% endif %}",
    "{% for m in messages[ns.start:] %}<|im_start|>{{ m.role }}{{ nl }}",
    "{% if m.content %}{{ m.content }}{% endif %}",
    "{% if m.role == 'assistant' and m.tool_calls %}{% for c in m.tool_calls %}",
    "{% if m.content or not loop.first %}{{ nl }}{% endif %}",
    '<tool_call>{{ nl }}{"name": {{ c.function.name | tojson }}, "arguments": ',
    "{% if c.function.arguments is string %}{{ c.function.arguments }}",
    "{% else %}{{ c.function.arguments | tojson }}{% endif %}}{{ nl }}</tool_call>",
    "{% endfor %}{% endif %}<|im_end|>{{ nl }}{% endfor %}",
    "{% if add_generation_prompt %}<|im_start|>assistant{{ nl }}{% endif %}",
))


def render_chatml(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
                  add_generation_prompt: bool = True) -> str:
    """Python twin of `CHATML_TEMPLATE` (tests check they agree)."""
    messages = normalize_messages(messages)
    start = 1 if messages and messages[0]["role"] == "system" else 0
    out = []
    if tools:
        head = f"{messages[0]['content']}\n\n" if start else ""
        listed = "".join(_tojson(t) + "\n" for t in tools)
        out.append(f"{IM_START}system\n{head}{TOOLS_PREAMBLE}{listed}{TOOLS_POSTAMBLE}{IM_END}\n")
    elif start:
        out.append(f"{IM_START}system\n{messages[0]['content']}{IM_END}\n")
    for m in messages[start:]:
        body = m.get("content") or ""
        if m["role"] == "assistant":
            for i, c in enumerate(m.get("tool_calls") or ()):
                fn = c["function"]
                args = fn["arguments"] if isinstance(fn["arguments"], str) \
                    else _tojson(fn["arguments"])
                sep = "\n" if (m.get("content") or i) else ""
                body += (f'{sep}<tool_call>\n{{"name": {_tojson(fn["name"])}, '
                         f'"arguments": {args}}}\n</tool_call>')
        out.append(f"{IM_START}{m['role']}\n{body}{IM_END}\n")
    if add_generation_prompt:
        out.append(f"{IM_START}assistant\n")
    return "".join(out)


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # what transformers' `tojson` filter does


def byte_codec() -> ChatCodec:
    """ChatML over a byte vocabulary: ids 0-255 are bytes, then the special tokens."""
    specials = {tok: 256 + i for i, tok in enumerate(SPECIAL_TOKENS)}
    split = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")

    def encode_text(text: str) -> list[int]:
        ids: list[int] = []
        for piece in split.split(text):
            if piece in specials:
                ids.append(specials[piece])
            elif piece:
                ids.extend(piece.encode("utf-8"))
        return ids

    def render(messages, tools, add_generation_prompt):
        return encode_text(render_chatml(messages, tools, add_generation_prompt))

    def decode(ids: list[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")

    codec = ChatCodec(render, [specials[IM_END], specials[ENDOFTEXT]], decode)
    codec.encode_text = encode_text  # type: ignore[attr-defined]
    return codec


# -- tool calls in generated text (Hermes / Qwen style) ------------------------------

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def parse_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Split `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks out of text.

    Returns the remaining text and the calls. A block that is not valid JSON
    with a name stays in the text, so the scaffold can report it to the model.
    """
    calls: list[ToolCall] = []
    kept: list[str] = []
    pos = 0
    for match in _TOOL_CALL.finditer(text):
        call = _tool_call_json(match.group(1))
        if call is None:
            continue
        kept.append(text[pos:match.start()])
        pos = match.end()
        calls.append(call)
    kept.append(text[pos:])
    return "".join(kept).strip() if calls else text, calls


def _tool_call_json(body: str) -> ToolCall | None:
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    arguments = data.get("arguments", data.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            arguments = {"_unparsed": arguments}
    if not isinstance(arguments, dict):
        arguments = {"_unparsed": json.dumps(arguments)}
    return ToolCall(data["name"], arguments, "call_" + uuid.uuid4().hex[:12])
