"""An OpenAI-compatible server for a local model: `/v1/chat/completions`, `/v1/models`.

Responses follow the OpenAI schema plus vLLM's extensions: with
`return_token_ids: true` the response carries `prompt_token_ids` and each
choice its sampled `token_ids`; with `logprobs: true`, each sampled token's
logprob. Streaming is not supported (a 400 says so).
"""

# No `from __future__ import annotations`: FastAPI reads the handlers'
# annotations as objects (a string "Request" would become a query parameter).
import time
import uuid
from typing import Any

from gym_agents.errors import ConfigError, GymAgentsError, require
from gym_agents.llm.base import LLM, SamplingParams, tool_call_to_openai


def create_app(llm: LLM, model_name: str):
    fastapi = require("fastapi", "serve", "gym-agents serve")
    from fastapi import Request
    from fastapi.responses import JSONResponse

    app = fastapi.FastAPI(title="gym-agents model server")
    created = int(time.time())

    def error(status: int, message: str, kind: str = "invalid_request_error"):
        return JSONResponse({"error": {"message": message, "type": kind, "code": status}},
                            status_code=status)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model",
                                            "created": created, "owned_by": "gym-agents"}]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        try:
            body = await request.json()
        except ValueError:
            return error(400, "the request body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return error(400, "'messages' must be a list of chat messages")
        if body.get("stream"):
            return error(400, "streaming is not supported by gym-agents serve; "
                              "send stream=false")
        try:
            sampling = _sampling(body)
            n = int(body.get("n") or 1)
        except (ConfigError, TypeError, ValueError) as exc:
            return error(400, str(exc))
        choices, prompt_ids, completion_tokens = [], None, 0
        try:
            for i in range(n):
                seed = None if sampling.seed is None else sampling.seed + i
                c = await llm.achat(body["messages"], body.get("tools"), sampling.with_seed(seed))
                prompt_ids = c.prompt_token_ids
                completion_tokens += c.usage.completion_tokens
                choices.append(_choice(i, c, llm, body))
        except GymAgentsError as exc:
            return error(400, str(exc))
        response = {
            "id": "chatcmpl-" + uuid.uuid4().hex, "object": "chat.completion",
            "created": int(time.time()), "model": model_name, "choices": choices,
            "usage": {"prompt_tokens": len(prompt_ids or ()),
                      "completion_tokens": completion_tokens,
                      "total_tokens": len(prompt_ids or ()) + completion_tokens},
        }
        if body.get("return_token_ids"):
            response["prompt_token_ids"] = prompt_ids
        return response

    return app


def _sampling(body: dict[str, Any]) -> SamplingParams:
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    stop = body.get("stop") or ()
    fields = {"temperature": body.get("temperature"), "top_p": body.get("top_p"),
              "max_tokens": max_tokens, "seed": body.get("seed"),
              "stop": (stop,) if isinstance(stop, str) else tuple(stop)}
    return SamplingParams(**{k: v for k, v in fields.items() if v is not None})


def _choice(index: int, c, llm: LLM, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": c.text or None}
    if c.tool_calls:
        message["tool_calls"] = [tool_call_to_openai(t) for t in c.tool_calls]
    choice: dict[str, Any] = {"index": index, "message": message,
                              "finish_reason": c.finish_reason, "logprobs": None}
    if body.get("logprobs") and c.logprobs is not None:
        decode = llm.codec.decode if llm.codec is not None else (lambda ids: "")
        choice["logprobs"] = {"content": [
            {"token": (tok := decode([t])), "logprob": lp,
             "bytes": list(tok.encode("utf-8")), "top_logprobs": []}
            for t, lp in zip(c.token_ids or (), c.logprobs, strict=False)]}
    if body.get("return_token_ids"):
        choice["token_ids"] = c.token_ids
    return choice


def serve(llm: LLM, model_name: str, host: str = "127.0.0.1", port: int = 8000,
          log_level: str = "warning") -> None:
    uvicorn = require("uvicorn", "serve", "gym-agents serve")
    uvicorn.run(create_app(llm, model_name), host=host, port=port, log_level=log_level)
