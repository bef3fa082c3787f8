"""The hf backend on a tiny local model: sampling, logprobs, and token-exact episodes."""

import asyncio

import pytest

import gym_agents
from gym_agents.agents import make_agent
from gym_agents.llm import SamplingParams
from gym_agents.llm.codec import render_chatml
from gym_agents.rollout import run_episode
from tests.llm.test_codec import CONVERSATION, TOOLS
from tests.scaffolds.helpers import assert_token_exact

pytestmark = pytest.mark.slow


def forward_logprobs(llm, prompt, sampled, temperature):
    """What a trainer computes: teacher-forced logprobs of `sampled` after `prompt`."""
    torch = llm.torch
    ids = torch.tensor([prompt + sampled])
    with torch.no_grad():
        logits = llm.model(ids).logits[0, len(prompt) - 1:-1].float()
    if temperature > 0:
        logits = logits / temperature
    return torch.log_softmax(logits, -1).gather(-1, torch.tensor(sampled)[:, None])[:, 0]


def test_tiny_model_loads_through_from_pretrained_with_the_chatml_template(hf_llm, tiny_model_dir):
    import json

    info = json.loads((tiny_model_dir / "gym_agents_tiny.json").read_text())
    assert 500_000 < info["parameters"] < 5_000_000
    for tools in (None, TOOLS):
        text = hf_llm.tokenizer.apply_chat_template(CONVERSATION, tools=tools, tokenize=False,
                                                    add_generation_prompt=True)
        assert text == render_chatml(CONVERSATION, tools)


def test_sampling_is_seeded_and_logprobs_match_a_forward_pass(hf_llm):
    msgs = CONVERSATION[:2]
    sampling = SamplingParams(temperature=0.8, max_tokens=12, seed=5)
    a, b = hf_llm.chat(msgs, None, sampling), hf_llm.chat(msgs, None, sampling)
    assert a.token_ids == b.token_ids and a.logprobs == b.logprobs
    assert hf_llm.chat(msgs, None, sampling.with_seed(6)).token_ids != a.token_ids
    assert len(a.token_ids) == len(a.logprobs) == a.usage.completion_tokens
    assert a.prompt_token_ids == hf_llm.codec.encode(msgs)
    expected = forward_logprobs(hf_llm, a.prompt_token_ids, a.token_ids, 0.8)
    assert expected.tolist() == pytest.approx(a.logprobs, abs=1e-4)


def test_stop_strings_cut_the_text_but_keep_the_sampled_ids(hf_llm):
    c = hf_llm.chat(CONVERSATION[:2], None, SamplingParams(max_tokens=40, stop=("e",), seed=1))
    assert c.finish_reason == "stop" and "e" not in c.text
    assert "e" in hf_llm.tokenizer.decode(c.token_ids)
    g = hf_llm.chat(CONVERSATION[:2], None, SamplingParams(temperature=0, max_tokens=8))
    assert g.finish_reason == "length" and len(g.token_ids) == 8


@pytest.mark.parametrize("agent, env_id", [("react", "toy/Relay-v0"),
                                           ("tool_calling", "toy/GuessNumber-v0")])
def test_episode_ids_are_what_the_model_saw_and_sampled(hf_llm, agent, env_id):
    """Token-in-token-out: no drift from re-templating across turns."""
    env = gym_agents.make(env_id)
    a = make_agent(agent, llm=hf_llm, max_invalid=5,
                   sampling={"temperature": 1.0, "max_tokens": 16, "seed": 0})
    episode = asyncio.run(run_episode(env, a, env_id=env_id, seed=0))
    assert episode.num_turns == 5, episode.error  # the random model never parses
    assert_token_exact(episode)
    drift = 0
    for turn in episode.turns:
        # The trainer's view (prompt + sampled ids) reproduces the sampling logprobs.
        expected = forward_logprobs(hf_llm, turn.prompt_token_ids, turn.token_ids, 1.0)
        assert expected.tolist() == pytest.approx(turn.logprobs, abs=1e-4)
        # Re-templating the decoded history would have given the model other ids.
        drift += hf_llm.codec.encode(turn.messages, a.tools) != turn.prompt_token_ids
    assert drift > 0


def test_micro_model_has_a_byte_level_vocabulary(tmp_path):
    from gym_agents.cli.main import main

    assert main(["model", "make-tiny", str(tmp_path / "micro"), "--size", "micro"]) == 0
    import json

    info = json.loads((tmp_path / "micro" / "gym_agents_tiny.json").read_text())
    assert info["size"] == "micro" and info["parameters"] < 500_000
    from gym_agents.llm.hf import HFLLM

    llm = HFLLM(str(tmp_path / "micro"))
    assert len(llm.tokenizer) <= 320
    # Digits are single tokens: what the learning demos' symbols rely on.
    assert all(len(llm.tokenizer(d, add_special_tokens=False)["input_ids"]) == 1
               for d in "0123456789")
