"""`openai`: any OpenAI-compatible server through the official `openai` client.

vLLM, hosted APIs and `gym-agents serve` all work. We ask for logprobs and,
from servers that are not api.openai.com, for vLLM's `return_token_ids`, and
keep the prompt and sampled ids when they come back. Connection errors,
timeouts, 429 and 5xx are retried with exponential backoff; a server that
stays down raises `LLMUnavailable`, an infra error of that episode only.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from typing import Any

from gym_agents.errors import require
from gym_agents.llm.base import (
    Completion,
    LLMError,
    LLMUnavailable,
    SamplingParams,
    Usage,
    tool_call_from_openai,
    tools_to_openai,
)

RETRY_STATUS = (408, 409, 429)


class OpenAILLM:
    codec = None  # the server owns the tokenizer and the chat template

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, *,
                 max_retries: int = 6, backoff: float = 0.5, max_backoff: float = 16.0,
                 timeout: float = 300.0, return_token_ids: bool | None = None,
                 spec: str | None = None) -> None:
        self._openai = require("openai", "serve", "the openai model backend")
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.timeout = timeout
        if return_token_ids is None:  # hosted OpenAI rejects unknown parameters
            return_token_ids = self.base_url is not None and "api.openai.com" not in self.base_url
        self.return_token_ids = return_token_ids
        self.spec = spec or (f"openai:{model}@{self.base_url}" if self.base_url
                             else f"openai:{model}")
        self._client = self._openai.OpenAI(base_url=self.base_url, api_key=self.api_key,
                                           max_retries=0, timeout=timeout)
        self._async_clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    # -- requests ------------------------------------------------------------------

    def _request(self, messages, tools, sampling: SamplingParams) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(
            model=self.model, messages=messages, temperature=sampling.temperature,
            top_p=sampling.top_p, max_tokens=sampling.max_tokens, logprobs=True)
        tools = tools_to_openai(tools)
        if tools:
            kwargs["tools"] = tools
        if sampling.stop:
            kwargs["stop"] = list(sampling.stop)
        if sampling.seed is not None:
            kwargs["seed"] = sampling.seed
        if self.return_token_ids:
            kwargs["extra_body"] = {"return_token_ids": True}
        return kwargs

    def chat(self, messages, tools=None, sampling: SamplingParams | None = None, *,
             prompt_token_ids=None) -> Completion:
        kwargs = self._request(messages, tools, sampling or SamplingParams())
        for attempt in range(self.max_retries + 1):
            try:
                return self._parse(self._client.chat.completions.create(**kwargs))
            except Exception as exc:
                time.sleep(self._retry_delay(exc, attempt))
        raise AssertionError("unreachable")

    async def achat(self, messages, tools=None, sampling: SamplingParams | None = None, *,
                    prompt_token_ids=None) -> Completion:
        kwargs = self._request(messages, tools, sampling or SamplingParams())
        client = self._async_client()
        for attempt in range(self.max_retries + 1):
            try:
                return self._parse(await client.chat.completions.create(**kwargs))
            except Exception as exc:
                await asyncio.sleep(self._retry_delay(exc, attempt))
        raise AssertionError("unreachable")

    def _async_client(self):
        # An async client belongs to one event loop; eval runs one, tests several.
        loop = id(asyncio.get_running_loop())
        with self._lock:
            if loop not in self._async_clients:
                self._async_clients[loop] = self._openai.AsyncOpenAI(
                    base_url=self.base_url, api_key=self.api_key, max_retries=0,
                    timeout=self.timeout)
            return self._async_clients[loop]

    def _retry_delay(self, exc: Exception, attempt: int) -> float:
        """Seconds to wait before retrying `exc`, or raise when it is final."""
        o = self._openai
        retryable = isinstance(exc, (o.APIConnectionError, o.APITimeoutError)) or (
            isinstance(exc, o.APIStatusError)
            and (exc.status_code >= 500 or exc.status_code in RETRY_STATUS))
        where = self.base_url or "the OpenAI API"
        if not retryable:
            if isinstance(exc, o.APIStatusError):
                raise LLMError(f"{where} refused the request ({exc.status_code}): "
                               f"{exc.message}") from exc
            raise exc
        if attempt >= self.max_retries:
            raise LLMUnavailable(
                f"model server {where} failed {attempt + 1} times in a row "
                f"({type(exc).__name__}: {exc}); is it running and reachable?") from exc
        delay = min(self.max_backoff, self.backoff * 2 ** attempt)
        return delay * (0.5 + random.random() / 2)  # jitter spreads out retry storms

    # -- responses -----------------------------------------------------------------

    def _parse(self, response) -> Completion:
        if not response.choices:
            raise LLMError(f"{self.base_url or 'the OpenAI API'} returned no choices")
        choice = response.choices[0]
        msg = choice.message
        calls = [tool_call_from_openai(c.model_dump()) for c in msg.tool_calls or ()]
        logprobs = None
        if choice.logprobs is not None and choice.logprobs.content is not None:
            logprobs = [t.logprob for t in choice.logprobs.content]
        usage = Usage(response.usage.prompt_tokens, response.usage.completion_tokens) \
            if response.usage else Usage()
        return Completion(
            text=msg.content or "", tool_calls=calls,
            prompt_token_ids=_extra(response, "prompt_token_ids"),
            token_ids=_extra(choice, "token_ids"), logprobs=logprobs,
            finish_reason=choice.finish_reason or "stop", usage=usage, model=response.model)


def _extra(obj, name: str) -> list[int] | None:
    """A field the OpenAI schema lacks but vLLM (and `gym-agents serve`) send."""
    value = getattr(obj, name, None)
    if value is None and getattr(obj, "model_extra", None):
        value = obj.model_extra.get(name)
    return list(value) if value is not None else None
