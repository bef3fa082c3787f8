"""The openai backend against a real HTTP server that fails: retries, then an infra error."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import gym_agents
from gym_agents.agents import make_agent
from gym_agents.errors import EnvInfraError
from gym_agents.llm import LLMError, LLMUnavailable
from gym_agents.llm.openai_api import OpenAILLM
from gym_agents.rollout import run_episode

OK = {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
      "choices": [{"index": 0, "finish_reason": "stop", "token_ids": [5, 6],
                   "message": {"role": "assistant", "content": "Action: red"},
                   "logprobs": {"content": [{"token": "a", "logprob": -0.5, "top_logprobs": []},
                                            {"token": "b", "logprob": -1.5, "top_logprobs": []}]}}],
      "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
      "prompt_token_ids": [1, 2, 3]}


class Flaky:
    """Answers `failures` requests with `status`, then OK forever."""

    def __init__(self, failures: int, status: int = 503) -> None:
        self.failures, self.status, self.requests = failures, status, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                failing = len(outer.requests) <= outer.failures
                data = json.dumps({"error": {"message": "busy"}} if failing else OK).encode()
                self.send_response(outer.status if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky(request):
    servers = []

    def make(failures, status=503):
        servers.append(Flaky(failures, status))
        return servers[-1]
    yield make
    for s in servers:
        s.close()


def fast(base_url, retries=3):
    return OpenAILLM("m", base_url, max_retries=retries, backoff=0.01, max_backoff=0.02)


@pytest.mark.parametrize("status", [503, 500, 429])
def test_transient_errors_are_retried_then_succeed(flaky, status):
    server = flaky(2, status)
    c = fast(server.base_url).chat([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 3
    assert (c.text, c.token_ids, c.prompt_token_ids, c.logprobs) == \
        ("Action: red", [5, 6], [1, 2, 3], [-0.5, -1.5])
    assert server.requests[-1]["return_token_ids"] is True and server.requests[-1]["logprobs"]


def test_async_path_retries_too(flaky):
    server = flaky(1)
    c = asyncio.run(fast(server.base_url).achat([{"role": "user", "content": "hi"}]))
    assert c.token_ids == [5, 6] and len(server.requests) == 2


def test_a_server_that_stays_down_is_an_infra_error(flaky):
    server = flaky(100)
    with pytest.raises(LLMUnavailable, match="failed 4 times in a row") as err:
        fast(server.base_url).chat([{"role": "user", "content": "hi"}])
    assert isinstance(err.value, EnvInfraError) and len(server.requests) == 4
    server.close()
    with pytest.raises(LLMUnavailable, match="is it running"):
        fast(server.base_url, retries=1).chat([{"role": "user", "content": "hi"}])


def test_a_refused_request_is_not_retried(flaky):
    server = flaky(100, status=400)
    with pytest.raises(LLMError, match="refused the request"):
        fast(server.base_url).chat([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 1


def test_a_dead_server_ends_the_episode_as_infra_error_not_the_run(flaky):
    server = flaky(100)
    agent = make_agent("react", llm=fast(server.base_url, retries=1))
    env = gym_agents.make("toy/Relay-v0")
    episode = asyncio.run(run_episode(env, agent, env_id="toy/Relay-v0", seed=0))
    assert episode.status == "infra_error" and "LLMUnavailable" in episode.error
