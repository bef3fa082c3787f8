import asyncio
import json

import pytest

import gym_agents
from gym_agents.agents import make_agent
from gym_agents.core import ToolCall
from gym_agents.llm.scripted import ScriptedLLM
from gym_agents.rollout import run_episode
from gym_agents.scaffolds.react import parse_react
from tests.scaffolds.helpers import assert_token_exact, binary_search, relay_solver


def play(env_id, agent, seed=0, **env_kwargs):
    env = gym_agents.make(env_id, **env_kwargs)
    try:
        return asyncio.run(run_episode(env, agent, env_id=env_id, seed=seed, model="scripted"))
    finally:
        env.close()


@pytest.mark.parametrize("text, action", [
    ("Thought: go.\nAction: go north", "go north"),
    ("thought: x\naction:   open the fridge  ", "open the fridge"),
    ("**Action:** `take apple`", "take apple"),
    ("Thought: hmm\nAction:\n```\nlook\n```", "look"),
    ('Action: "inventory"\nObservation: you carry nothing', "inventory"),
    ("Action 1: east\nAction 2: west", "east"),
    ("> Action: go west Observation: a room", "go west"),
])
def test_parse_react_reads_the_first_action(text, action):
    assert parse_react(text) == action


@pytest.mark.parametrize("text", ["", "go north", "Thought: no action here",
                                  "Action:", "Action Input: look", "Action: ``"])
def test_parse_react_rejects_replies_without_an_action(text):
    assert parse_react(text) is None


def test_react_solves_relay_with_a_scripted_model_and_keeps_tokens():
    agent = make_agent("react", llm=relay_solver(), sampling={"max_tokens": 64})
    episode = play("toy/Relay-v0", agent)
    assert episode.status == "ok" and episode.success
    assert episode.model == "scripted" and episode.agent == "react"
    first = episode.turns[0]
    assert first.messages[0]["role"] == "system" and "Action:" in first.messages[0]["content"]
    assert "Valid actions: red, green, blue, yellow" in first.messages[1]["content"]
    assert first.info["llm"]["completion_tokens"] == len(first.token_ids)
    assert_token_exact(episode)


def test_react_plays_tool_envs_with_name_and_json_arguments():
    agent = make_agent("react", llm=binary_search(as_text=True))
    episode = play("toy/GuessNumber-v0", agent, seed=3)
    assert episode.success
    assert isinstance(episode.turns[0].action, ToolCall)
    assert episode.turns[0].action.arguments == {"number": 50}


def test_unparseable_reply_is_an_invalid_turn_that_shows_the_format():
    llm = ScriptedLLM(["I think red.", "Action: red", "no idea", "??", "!!"])
    agent = make_agent("react", llm=llm, max_invalid=3)
    episode = play("toy/Relay-v0", agent)
    bad, good = episode.turns[0], episode.turns[1]
    assert bad.info["invalid_action"] and bad.info["parse_error"] and bad.reward == 0
    assert "Reply in this format:\nThought:" in bad.observation.text
    assert bad.token_ids and bad.completion == "I think red."  # kept for training
    assert good.info.get("invalid_action") is False or "parse_error" not in good.info
    # The model saw the format message as the next observation.
    assert "Reply in this format" in good.messages[-1]["content"]
    # Three unparseable replies in a row end the episode as truncated, not a crash.
    assert episode.status == "truncated" and "3 times in a row" in episode.error
    assert episode.num_turns == 5
    assert_token_exact(episode)


def test_model_spec_strings_load_lazily_and_bad_ones_fail_early(tmp_path):
    from gym_agents.errors import ConfigError

    with pytest.raises(ConfigError, match="hf:PATH"):
        make_agent("react", llm="gpt-4")
    replies = tmp_path / "replies.jsonl"  # one reply a line; JSON strings may hold newlines
    replies.write_text(json.dumps("Thought: t\nAction: red") + "\n")
    agent = make_agent("react", llm=f"scripted:{replies}")
    episode = play("toy/Relay-v0", agent)
    assert episode.status == "ok" and {t.action for t in episode.turns} == {"red"}


def test_sampling_seeds_are_per_episode_sample_and_turn():
    agent = make_agent("react", llm=relay_solver(), sampling={"seed": 3})
    env = gym_agents.make("toy/Relay-v0")
    obs, info = env.reset(seed=0)

    def seeds(seed, sample):
        agent.reset(env, obs, info, seed=seed, sample_index=sample)
        out = []
        for turn in range(3):
            agent.turn = turn
            out.append(agent._turn_seed())
        return out

    assert seeds(0, 0) == seeds(0, 0)
    assert len(set(seeds(0, 0))) == 3
    assert seeds(0, 1) != seeds(0, 0) and seeds(1, 0) != seeds(0, 0)


def test_a_custom_system_prompt_replaces_the_default_and_parsing_still_reports_format():
    agent = make_agent("react", llm=ScriptedLLM(["nothing", "Action: red"]),
                       system_prompt="Be brief.")
    episode = play("toy/Relay-v0", agent)
    assert episode.turns[0].messages[0] == {"role": "system", "content": "Be brief."}
    assert "Reply in this format" in episode.turns[0].observation.text
