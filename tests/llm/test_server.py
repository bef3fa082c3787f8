"""`gym-agents serve` with the real `openai` client, on a free loopback port."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

import gym_agents
from gym_agents.agents import make_agent
from gym_agents.llm import SamplingParams
from gym_agents.llm.openai_api import OpenAILLM
from gym_agents.rollout import run_episode

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, model: str, name: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gym_agents.cli.main", "serve", "--model", model,
             "--port", str(self.port), "--name", name],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read()}")
            try:
                httpx.get(self.base_url + "/models", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not come up in 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def hf_server(tiny_model_dir):
    server = Server(f"hf:{tiny_model_dir}", "tiny")
    yield server
    server.stop()


@pytest.fixture
def scripted_server(tmp_path):
    # One per test: the replies play in order, so each test gets them from the start.
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(json.dumps(r) for r in [
        {"content": "Let me guess.",
         "tool_calls": [{"name": "guess", "arguments": {"number": 50}}]},
        "Thought: recall.\nAction: red",
    ]) + "\n")
    server = Server(f"scripted:{replies}", "scripted")
    yield server
    server.stop()


def test_models_and_chat_return_token_ids_and_logprobs(hf_server, hf_llm):
    import openai

    client = openai.OpenAI(base_url=hf_server.base_url, api_key="none")
    assert [m.id for m in client.models.list().data] == ["tiny"]
    messages = [{"role": "user", "content": "Where is the key?"}]
    response = client.chat.completions.create(
        model="tiny", messages=messages, max_tokens=10, temperature=0.9, seed=3, logprobs=True,
        extra_body={"return_token_ids": True})
    choice = response.choices[0]
    sampled, prompt = choice.token_ids, response.prompt_token_ids
    assert prompt == hf_llm.codec.encode(messages)
    assert response.usage.prompt_tokens == len(prompt)
    assert len(sampled) == len(choice.logprobs.content) == response.usage.completion_tokens
    # The same request in-process samples the same ids with the same logprobs.
    local = hf_llm.chat(messages, None, SamplingParams(temperature=0.9, max_tokens=10, seed=3))
    assert local.token_ids == sampled
    assert [t.logprob for t in choice.logprobs.content] == pytest.approx(local.logprobs, abs=1e-5)
    assert choice.message.content == local.text
    with pytest.raises(openai.BadRequestError, match="streaming"):
        client.chat.completions.create(model="tiny", messages=messages, stream=True)


def test_openai_backend_keeps_server_token_ids(hf_server):
    llm = OpenAILLM("tiny", hf_server.base_url)
    c = llm.chat([{"role": "user", "content": "hi"}], None,
                 SamplingParams(max_tokens=6, seed=1))
    assert len(c.token_ids) == len(c.logprobs) == 6 and c.finish_reason == "length"
    assert c.prompt_token_ids and c.usage.prompt_tokens == len(c.prompt_token_ids)


def test_tool_calls_round_trip_through_the_openai_client(scripted_server):
    import openai

    client = openai.OpenAI(base_url=scripted_server.base_url, api_key="none")
    tools = [{"type": "function", "function": {
        "name": "guess", "description": "Guess.",
        "parameters": {"type": "object", "properties": {"number": {"type": "integer"}}}}}]
    response = client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "Guess a number."}],
        tools=tools, logprobs=True, extra_body={"return_token_ids": True})
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "guess" and json.loads(call.function.arguments) == {"number": 50}
    assert choice.message.content == "Let me guess."
    assert bytes(t for t in choice.token_ids if t < 256).decode().startswith("Let me guess.")


def test_tool_calling_agent_plays_through_the_server(scripted_server):
    llm = OpenAILLM("scripted", scripted_server.base_url)
    env = gym_agents.make("toy/GuessNumber-v0")
    agent = make_agent("tool_calling", llm=llm, max_invalid=1)
    # Seed 1 hides 18, so the first guess (50) is wrong and the episode goes on.
    episode = asyncio.run(run_episode(env, agent, env_id="toy/GuessNumber-v0", seed=1))
    first = episode.turns[0]
    assert first.action.name == "guess" and first.action.arguments == {"number": 50}
    assert first.prompt_token_ids and first.token_ids and first.logprobs is not None
    # The server's next reply is text: the scaffold reports it, then gives up (max_invalid=1).
    assert episode.turns[1].info["invalid_action"] and episode.status == "truncated"


def test_react_over_the_openai_backend_records_what_the_server_saw(hf_server, hf_llm):
    # A remote server templates the history itself, so multi-turn exactness is only
    # promised in-process (hf); the ids are still exactly what the server saw and sampled.
    llm = OpenAILLM("tiny", hf_server.base_url)
    env = gym_agents.make("toy/Relay-v0")
    agent = make_agent("react", llm=llm, max_invalid=2, sampling={"max_tokens": 8})
    episode = asyncio.run(run_episode(env, agent, env_id="toy/Relay-v0", seed=0))
    assert episode.status == "truncated" and episode.num_turns == 2
    for turn in episode.turns:
        assert len(turn.token_ids) == len(turn.logprobs) == 8
        assert turn.prompt_token_ids == hf_llm.codec.encode(turn.messages)
