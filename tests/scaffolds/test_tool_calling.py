import asyncio

import gym_agents
from gym_agents.agents import make_agent
from gym_agents.core import ToolCall
from gym_agents.llm.scripted import ScriptedLLM
from gym_agents.rollout import run_episode
from tests.scaffolds.helpers import assert_token_exact, binary_search


def play(env_id, agent, seed=0):
    env = gym_agents.make(env_id)
    try:
        return asyncio.run(run_episode(env, agent, env_id=env_id, seed=seed))
    finally:
        env.close()


def test_tool_calling_solves_guess_number_and_answers_with_tool_messages():
    episode = play("toy/GuessNumber-v0", make_agent("tool_calling", llm=binary_search()), seed=7)
    assert episode.status == "ok" and episode.success
    assert all(isinstance(t.action, ToolCall) for t in episode.turns)
    last = episode.turns[-1].messages
    assert last[1]["role"] == "user"  # the task
    calls = [m for m in last if m["role"] == "assistant"]
    results = [m for m in last if m["role"] == "tool"]
    # The prompt of the last turn: every earlier call answered by its tool message.
    assert [c["tool_calls"][0]["id"] for c in calls] == [r["tool_call_id"] for r in results]
    assert "go higher" in results[0]["content"] or "go lower" in results[0]["content"]
    assert episode.turns[0].info["llm"]["finish_reason"] == "tool_calls"
    assert_token_exact(episode)


def test_reply_without_a_tool_call_is_invalid_and_says_which_tools_exist():
    llm = ScriptedLLM(["I guess 50", '<tool_call>{"name": guess}</tool_call>',
                       {"content": "", "tool_calls": [{"name": "guess",
                                                       "arguments": {"number": 50}}]}])
    episode = play("toy/GuessNumber-v0", make_agent("tool_calling", llm=llm, max_invalid=5))
    first, second, third = episode.turns[:3]
    assert first.info["invalid_action"] and "Call exactly one of these tools: guess" \
        in first.observation.text
    assert "valid JSON" in second.observation.text
    assert third.action == ToolCall("guess", {"number": 50}, third.action.id)
    assert "invalid_action" not in third.info or not third.info["invalid_action"]
    assert_token_exact(episode)


def test_two_calls_in_one_reply_run_the_first_and_answer_both():
    two = {"content": "", "tool_calls": [{"name": "guess", "arguments": {"number": 10}},
                                         {"name": "guess", "arguments": {"number": 20}}]}
    episode = play("toy/GuessNumber-v0", make_agent("tool_calling", llm=ScriptedLLM([two])))
    assert episode.turns[0].action.arguments == {"number": 10}
    tool_msgs = [m for m in episode.turns[1].messages if m["role"] == "tool"]
    assert len(tool_msgs) == 2 and tool_msgs[1]["content"].startswith("Not run")


def test_tool_calling_on_a_text_only_env_says_to_use_react():
    episode = play("toy/Relay-v0", make_agent("tool_calling", llm=ScriptedLLM(["x"])))
    assert episode.status == "infra_error" and "use --agent react" in episode.error
