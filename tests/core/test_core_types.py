import json
import struct
import zlib

from gym_agents import Image, Observation, StepResult, ToolCall, ToolSpec
from gym_agents.core import action_from_json, action_to_json


def tiny_png() -> bytes:
    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def test_observation_renders_text_and_images_as_openai_messages():
    assert Observation("hi").to_messages() == [{"role": "user", "content": "hi"}]
    obs = Observation("look", images=(Image(tiny_png(), 1, 1),))
    [message] = obs.to_messages()
    assert message["content"][0] == {"type": "text", "text": "look"}
    assert message["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_observation_round_trips_through_json():
    tool = ToolSpec("guess", "Guess.", {"type": "object", "properties": {"n": {"type": "integer"}}})
    obs = Observation("t", images=(Image(tiny_png(), 1, 1),), tools=(tool,), metadata={"k": [1]})
    assert Observation.from_dict(json.loads(json.dumps(obs.to_dict()))) == obs
    assert tool.to_openai()["function"]["name"] == "guess"


def test_actions_round_trip_and_step_result_unpacks_like_gymnasium():
    call = ToolCall("guess", {"number": 3})
    assert action_from_json(json.loads(json.dumps(action_to_json(call)))) == call
    assert action_from_json(action_to_json("go north")) == "go north"
    _, reward, terminated, truncated, _ = StepResult(Observation("x"), 1.0, True, False, {})
    assert (reward, terminated, truncated) == (1.0, True, False)
