"""Rollouts with the hf engine: token-exact rows, batch-independent sampling, SFT replay."""

from __future__ import annotations

import asyncio

import pytest

from gym_agents.llm.base import SamplingParams
from gym_agents.trainers.config import load_config

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    from gym_agents.trainers.engines.hf import HFEngine

    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    return HFEngine(model, tokenizer)


def _config(tiny_model_dir, *overrides):
    return load_config(None, [f"model.path={tiny_model_dir}", "env.id=toy/Relay-v0",
                              "env.kwargs={length: 2}", "env.max_turns=4",
                              "rollout.tasks_per_step=2", "rollout.group_size=3",
                              "rollout.max_tokens=6", *overrides])


def test_a_row_samples_the_same_tokens_alone_or_in_a_batch(engine):
    prompts = [engine.codec.encode([{"role": "user", "content": text}])
               for text in ("Symbol: red", "a longer prompt, with more tokens in it", "hi")]
    samplings = [SamplingParams(max_tokens=8, seed=s) for s in (1, 2, 3)]
    together = engine.generate_batch(prompts, samplings)
    for prompt, sampling, (ids, logprobs) in zip(prompts, samplings, together, strict=True):
        alone_ids, alone_logprobs = engine.generate_batch([prompt], [sampling])[0]
        assert alone_ids == ids
        assert alone_logprobs == pytest.approx(logprobs, abs=1e-4)


def test_rollouts_are_token_exact_and_engine_logprobs_match_the_trainer(engine, tiny_model_dir):
    from gym_agents.trainers.policy import Policy
    from gym_agents.trainers.rollout import RolloutCollector

    config = _config(tiny_model_dir)
    collector = RolloutCollector(config, engine)
    rollouts = asyncio.run(collector.collect(step=0))
    assert len(rollouts) == 6
    assert len({r.group_uid for r in rollouts}) == 2
    policy = Policy(engine.model, engine.tokenizer)
    for rollout in rollouts:
        assert rollout.ok, rollout.episode.error
        (row,) = rollout.rows  # full history: one context, one row
        for turn in rollout.episode.turns:
            start = len(turn.prompt_token_ids)
            assert row.token_ids[:start] == turn.prompt_token_ids
            assert row.token_ids[start:start + len(turn.token_ids)] == turn.token_ids
            assert row.loss_mask[start:start + len(turn.token_ids)] == [1] * len(turn.token_ids)
        assert sum(row.loss_mask) == sum(len(t.token_ids) for t in rollout.episode.turns)
        with torch.no_grad():
            scored = policy.score(policy.batch([row]), with_entropy=False)["logprobs"][0]
        mask = torch.tensor(row.loss_mask, dtype=torch.bool)
        engine_lp = torch.tensor(row.rollout_logprobs)[mask]
        assert torch.allclose(scored[mask], engine_lp, atol=1e-3)
    collector.close()


def test_the_same_step_samples_the_same_rollouts(engine, tiny_model_dir):
    from gym_agents.trainers.rollout import RolloutCollector

    config = _config(tiny_model_dir)
    first = asyncio.run(RolloutCollector(config, engine).collect(step=3))
    again = asyncio.run(RolloutCollector(config, engine).collect(step=3))
    other = asyncio.run(RolloutCollector(config, engine).collect(step=4))
    ids = [[t.token_ids for t in r.episode.turns] for r in first]
    assert ids == [[t.token_ids for t in r.episode.turns] for r in again]
    assert ids != [[t.token_ids for t in r.episode.turns] for r in other]


def test_sft_rows_replay_an_oracle_episode_through_the_scaffold(engine, tmp_path):
    from gym_agents import make
    from gym_agents.evaluation import EvalConfig, run_eval
    from gym_agents.scaffolds.direct import DirectAgent
    from gym_agents.store import EpisodeStore
    from gym_agents.trainers.sft import SFTConfig, load_sft_rows

    asyncio.run(run_eval(EvalConfig(env_ids=["toy/Relay-v0"], agent="oracle", episodes=2,
                                    split=None, env_kwargs={"length": 2},
                                    out=str(tmp_path / "oracle"))))
    rows = load_sft_rows(SFTConfig(data=[str(tmp_path / "oracle")]), engine.codec, "direct", {})
    episodes = list(EpisodeStore(tmp_path / "oracle" / "episodes.jsonl"))
    assert len(rows) == 2
    for row, episode in zip(rows, episodes, strict=True):
        sampled = [t for t, m in zip(row.token_ids, row.loss_mask, strict=True) if m]
        text = engine.codec.decode(sampled)
        # Each action, then the end-of-turn token (decoded away), in order.
        assert text == "".join(t.action for t in episode.turns)
        # The row starts with the prompt the direct scaffold builds for this episode.
        env = make("toy/Relay-v0", length=2)
        obs, info = env.reset(seed=episode.seed)
        agent = DirectAgent(engine)
        agent.reset(env, obs, info, seed=episode.seed)
        first = agent.segments[0].token_ids
        assert row.token_ids[:len(first)] == first
