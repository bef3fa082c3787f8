"""SFT on stored episodes (oracle walkthroughs, expert or filtered model trajectories).

Episodes from `gym-agents eval` (or `collect`) become token-exact rows the way
a rollout would have made them: the episode is replayed through the same
scaffold, with a stand-in LLM that "samples" the stored action written as the
scaffold's expert reply (`Action: go east`, a tool call...). So the SFT rows
hold the same system prompt, observation formatting and ids-by-extension as
RL rollouts with that scaffold, and training on them warm-starts RL cleanly.
Loss: token-mean negative log-likelihood of the action tokens.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gym_agents.agents import make_agent
from gym_agents.core import ToolCall
from gym_agents.episode import Episode, Turn
from gym_agents.errors import ConfigError
from gym_agents.llm.base import Completion, SamplingParams, Usage
from gym_agents.llm.codec import ChatCodec, parse_tool_calls
from gym_agents.store import EpisodeStore
from gym_agents.trainers.knobs import knob
from gym_agents.trainers.records import Row, rows_from_episode


@dataclass
class SFTConfig:
    data: list = knob([], "episodes.jsonl files (or folders holding one) to learn from")
    only_success: bool = knob(True, "keep only episodes whose task succeeded")
    batch_rows: int = knob(16, "rows per optimizer step")


class ExpertLLM:
    """Stands in for the model during replay: returns the next expert message, as ids."""

    spec = "expert"

    def __init__(self, codec: ChatCodec) -> None:
        self.codec = codec
        self.next_message: dict[str, Any] | None = None

    def reply_ids(self, message: dict[str, Any], tools) -> list[int]:
        user = [{"role": "user", "content": "."}]
        head = self.codec.encode(user, tools, add_generation_prompt=True)
        full = self.codec.encode([*user, message], tools, add_generation_prompt=False)
        if full[:len(head)] != head:
            raise ConfigError("the chat template renders a conversation differently once a "
                              "reply follows; SFT rows cannot be built token-exactly")
        rest = full[len(head):]
        ends = [i for i, t in enumerate(rest) if t in self.codec.end_of_turn_ids]
        return rest[:ends[0] + 1] if ends else rest

    def chat(self, messages, tools=None, sampling=None, *, prompt_token_ids=None) -> Completion:
        message = self.next_message
        ids = self.reply_ids(message, tools)
        text, calls = parse_tool_calls(self.codec.decode(ids))
        if message.get("tool_calls"):  # keep the stored call ids and arguments
            calls = [ToolCall(c["function"]["name"], _arguments(c), c.get("id") or "call_0")
                     for c in message["tool_calls"]]
        prompt = list(prompt_token_ids) if prompt_token_ids is not None \
            else self.codec.encode(messages, tools)
        return Completion(text=text, tool_calls=calls, prompt_token_ids=prompt, token_ids=ids,
                          logprobs=[0.0] * len(ids), usage=Usage(len(prompt), len(ids)),
                          finish_reason="tool_calls" if calls else "stop", model=self.spec)

    async def achat(self, messages, tools=None, sampling=None, *, prompt_token_ids=None):
        return self.chat(messages, tools, sampling, prompt_token_ids=prompt_token_ids)


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    import json

    args = call["function"]["arguments"]
    return json.loads(args) if isinstance(args, str) else dict(args)


class _ReplayEnv:
    """What a scaffold asks of an env at reset, for an episode that is only replayed."""

    def __init__(self, episode: Episode) -> None:
        kinds = {"tool" if isinstance(t.action, ToolCall) else "text" for t in episode.turns}
        self.action_kinds = frozenset(kinds or {"text"})


def episode_rows(episode: Episode, codec: ChatCodec, scaffold: str,
                 scaffold_kwargs: dict[str, Any]) -> list[Row]:
    """Replay a stored episode through `scaffold`; return its token-exact rows."""
    expert = ExpertLLM(codec)
    agent = make_agent(scaffold, llm=expert, sampling=SamplingParams(), **scaffold_kwargs)
    agent.reset(_ReplayEnv(episode), episode.initial_observation, {}, seed=episode.seed,
                sample_index=episode.sample_index)
    replayed = Episode(env_id=episode.env_id, seed=episode.seed)
    obs = episode.initial_observation
    for turn in episode.turns:
        expert.next_message = agent.expert_message(turn.action)
        decision = asyncio.run(agent.act(obs, {}))
        replayed.turns.append(Turn(index=turn.index, action=turn.action,
                                   observation=turn.observation, reward=turn.reward,
                                   prompt_token_ids=decision.prompt_token_ids,
                                   token_ids=decision.token_ids, logprobs=decision.logprobs))
        obs = turn.observation
    return rows_from_episode(replayed)


def load_sft_rows(config: SFTConfig, codec: ChatCodec, scaffold: str,
                  scaffold_kwargs: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for entry in config.data:
        path = Path(entry)
        if path.is_dir():
            path = path / "episodes.jsonl"
        if not path.exists():
            raise ConfigError(f"sft.data: no episodes at {path} (give an episodes.jsonl "
                              "written by `gym-agents eval`, or its folder)")
        for episode in EpisodeStore(path):
            if episode.status == "infra_error" or not episode.turns:
                continue
            if config.only_success and not episode.success:
                continue
            rows.extend(episode_rows(episode, codec, scaffold, scaffold_kwargs))
    if not rows:
        raise ConfigError("sft.data: no usable episodes (all failed, errored or empty; "
                          "set sft.only_success=false to keep failed ones)")
    return rows
