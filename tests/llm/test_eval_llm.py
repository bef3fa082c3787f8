"""`gym-agents eval` with LLM agents: model spec, sampling, tokens and latency recorded."""

import json

import pytest

from gym_agents.cli.main import main
from gym_agents.store import EpisodeStore


def test_eval_with_a_scripted_model_records_model_sampling_tokens_and_latency(tmp_path, capsys):
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(json.dumps(f"Thought: t\nAction: {s}")
                                 for s in ("red", "green", "blue", "yellow")) + "\n")
    out = tmp_path / "run"
    code = main(["eval", "--env", "toy/Relay-v0", "--agent", "react",
                 "--model", f"scripted:{replies}", "--episodes", "3", "--temperature", "0.5",
                 "--max-tokens", "40", "--sampling-seed", "7", "--out", str(out), "--quiet"])
    assert code == 0
    table = capsys.readouterr().out
    assert "tokens/ep" in table and "s/turn" in table
    summary = json.loads((out / "summary.json").read_text())["envs"]["toy/Relay-v0"]
    assert summary["episodes"] == 3
    assert summary["prompt_tokens"] > summary["completion_tokens"] > 0
    assert summary["mean_tokens_per_episode"] == pytest.approx(
        (summary["prompt_tokens"] + summary["completion_tokens"]) / 3)
    assert summary["mean_turn_seconds"] >= 0
    config = json.loads((out / "config.json").read_text())["eval"]
    assert config["model"] == f"scripted:{replies}"
    assert config["sampling"] == {"temperature": 0.5, "max_tokens": 40, "seed": 7}
    episodes = list(EpisodeStore(out / "episodes.jsonl"))
    assert {ep.model for ep in episodes} == {f"scripted:{replies}"}
    assert all(t.token_ids and t.prompt_token_ids for ep in episodes for t in ep.turns)
    assert episodes[0].config["sampling"]["seed"] == 7


def test_llm_agent_without_a_model_is_a_config_error(tmp_path, capsys):
    assert main(["eval", "--env", "toy/Relay-v0", "--agent", "react", "--quiet"]) == 2
    assert "needs --model SPEC" in capsys.readouterr().err
    assert main(["eval", "--env", "toy/Relay-v0", "--agent", "react", "--model", "hf:/nope",
                 "--quiet", "--out", str(tmp_path / "run")]) == 2
    assert "no model at /nope" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # fails before any output is written


@pytest.mark.slow
def test_react_with_the_tiny_hf_model_completes_ten_textworld_episodes(tmp_path, tiny_model_dir):
    out = tmp_path / "run"
    code = main(["eval", "--env", "textworld/simple-v0", "--agent", "react",
                 "--model", f"hf:{tiny_model_dir}", "--episodes", "10", "--max-tokens", "24",
                 "--concurrency", "1", "--out", str(out), "--quiet"])
    assert code == 0
    episodes = list(EpisodeStore(out / "episodes.jsonl"))
    assert len(episodes) == 10
    for ep in episodes:
        assert ep.status != "infra_error", ep.error
        assert ep.model == f"hf:{tiny_model_dir}" and ep.agent == "react"
        assert ep.num_turns >= 1
        for t in ep.turns:
            assert t.prompt_token_ids and t.token_ids and len(t.logprobs) == len(t.token_ids)
            assert t.messages and t.completion is not None
    summary = json.loads((out / "summary.json").read_text())["envs"]["textworld/simple-v0"]
    assert summary["episodes"] == 10 and summary["mean_tokens_per_episode"] > 0
