import pytest

from gym_agents.core import ToolCall, ToolSpec
from gym_agents.errors import ConfigError
from gym_agents.llm import SamplingParams, parse_model_spec
from gym_agents.llm.base import tool_call_from_openai, tool_call_to_openai
from gym_agents.llm.codec import byte_codec, parse_tool_calls, render_chatml

TOOLS = [ToolSpec("guess", "Guess <it>", {"type": "object",
                                           "properties": {"number": {"type": "integer"}}}
                  ).to_openai()]
CONVERSATION = [
    {"role": "system", "content": "Play well."},
    {"role": "user", "content": "Pick a number — any."},
    {"role": "assistant", "content": "Sure.",
     "tool_calls": [tool_call_to_openai(ToolCall("guess", {"number": 5}, "c1"))]},
    {"role": "tool", "tool_call_id": "c1", "content": "lower"},
]


def test_chatml_render_shows_tools_calls_and_generation_prompt():
    text = render_chatml(CONVERSATION, TOOLS)
    assert text.startswith("<|im_start|>system\nPlay well.\n\n# Tools")
    assert '{"type": "function", "function": {"name": "guess"' in text
    assert '<tool_call>\n{"name": "guess", "arguments": {"number": 5}}\n</tool_call>' in text
    assert "<|im_start|>tool\nlower<|im_end|>\n" in text
    assert text.endswith("<|im_start|>assistant\n")
    assert not render_chatml(CONVERSATION[:2], None, False).endswith("assistant\n")


def test_byte_codec_round_trips_text_and_special_tokens():
    codec = byte_codec()
    ids = codec.encode(CONVERSATION, TOOLS)
    assert 257 in ids and 258 in ids  # <|im_start|>, <|im_end|>
    assert codec.decode(codec.encode_text("héllo <|im_end|>")) == "héllo "


@pytest.mark.parametrize("tools", [None, TOOLS])
def test_continuation_extends_a_conversation_exactly(tools):
    codec = byte_codec()
    head, reply, answer = CONVERSATION[:2], CONVERSATION[2], [CONVERSATION[3]]
    prompt = codec.encode(head, tools)
    # What a model following the template samples: the reply body, then <|im_end|>.
    sampled = codec.encode([*head, reply], tools, add_generation_prompt=False)[len(prompt):]
    sampled = sampled[:-1]  # the template's "\n" after <|im_end|> is not sampled
    assert sampled[-1] == 258
    extended = prompt + sampled + codec.continuation(sampled, answer, tools)
    assert extended == codec.encode([*head, reply, *answer], tools)


def test_continuation_closes_a_turn_cut_short():
    codec = byte_codec()
    sampled = codec.encode_text("I was cut")
    ids = codec.continuation(sampled, [{"role": "user", "content": "go on"}])
    assert codec.decode(ids) == "\nuser\ngo on\nassistant\n"
    assert ids[0] == 258  # <|im_end|> first: the turn is closed before the new one


def test_parse_tool_calls_keeps_bad_blocks_in_the_text():
    text, calls = parse_tool_calls('Let me try.\n<tool_call>\n{"name": "guess", '
                                   '"arguments": {"number": 50}}\n</tool_call>')
    assert text == "Let me try."
    assert [(c.name, c.arguments) for c in calls] == [("guess", {"number": 50})]
    text, calls = parse_tool_calls("<tool_call>{not json}</tool_call>")
    assert calls == [] and "not json" in text
    _, calls = parse_tool_calls('<tool_call>{"name": "a", "arguments": "{\\"x\\": 1}"}'
                                '</tool_call><tool_call>{"name": "b"}</tool_call>')
    assert [(c.name, c.arguments) for c in calls] == [("a", {"x": 1}), ("b", {})]


def test_openai_tool_call_with_bad_arguments_is_kept_for_the_env_to_reject():
    call = tool_call_from_openai({"id": "x", "function": {"name": "guess", "arguments": "{5"}})
    assert call == ToolCall("guess", {"_unparsed": "{5"}, "x")


def test_sampling_params_are_validated():
    assert SamplingParams.from_dict({"stop": "\n"}).stop == ("\n",)
    for bad in ({"temperature": -1}, {"top_p": 0}, {"max_tokens": 0}, {"topp": 1}):
        with pytest.raises(ConfigError):
            SamplingParams.from_dict(bad)


def test_model_specs():
    assert str(parse_model_spec("hf:models/tiny")) == "hf:models/tiny"
    spec = parse_model_spec("openai:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1")
    assert (spec.target, spec.base_url) == ("Qwen/Qwen3-8B", "http://127.0.0.1:8000/v1")
    assert parse_model_spec("openai:gpt-4o-mini").base_url is None
    for bad in ("tiny", "vllm:x", "hf:"):
        with pytest.raises(ConfigError, match="hf:PATH"):
            parse_model_spec(bad)
