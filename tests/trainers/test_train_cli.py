"""`gym-agents train` end to end on the tiny model: outputs, evaluation, errors, LoRA."""

from __future__ import annotations

import json

import pytest

from gym_agents.cli.main import main

pytest.importorskip("torch")

BASE = ["env.id=toy/Relay-v0", "env.kwargs={length: 2}", "env.max_turns=4",
        "rollout.tasks_per_step=2", "rollout.group_size=2", "rollout.max_tokens=4",
        "trainer.steps=2", "trainer.lr=3e-4", "logging.progress=false"]


def test_a_short_run_writes_its_outputs_and_evaluates(tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--output-dir", str(out), f"model.path={tiny_model_dir}", *BASE,
                 "eval.every=2", "eval.episodes=3", "algorithm=ppo", "trainer.epochs=2"])
    assert code == 0, capsys.readouterr().err
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2]
    for key in ("reward/mean", "policy/entropy", "policy/clip_frac", "policy/approx_kl",
                "tis/mismatch_kl", "value/explained_variance", "time/rollout_s",
                "time/train_s", "perf/train_tokens_per_s", "episode/invalid_action_rate"):
        assert key in metrics[-1], key
    assert metrics[-1]["eval/success"] is not None and "eval/success" not in metrics[0]
    summary = json.loads((out / "eval" / "step_000002" / "summary.json").read_text())
    assert summary["envs"]["toy/Relay-v0"]["episodes"] == 3
    episodes = (out / "rollouts.jsonl").read_text().splitlines()
    assert len(episodes) == 2 * 4
    assert (out / "final" / "model.safetensors").exists()
    assert (out / "config.yaml").read_text().startswith("algorithm: ppo")
    assert list((out / "tensorboard").iterdir())
    # The trained model loads like any other.
    code = main(["eval", "--env", "toy/Relay-v0", "--agent", "direct", "--model",
                 f"hf:{out / 'final'}", "--episodes", "2", "--max-tokens", "4",
                 "--split", "none", "--out", str(tmp_path / "eval"), "--quiet"])
    assert code == 0


def test_an_existing_run_needs_resume(tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--output-dir", str(out), f"model.path={tiny_model_dir}", *BASE,
            "trainer.steps=1"]
    assert main(args) == 0
    assert main(args) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main([*args, "--resume", "trainer.steps=2"]) == 0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2


def test_lora_trains_adapters_only(tiny_model_dir, tmp_path):
    pytest.importorskip("peft")
    out = tmp_path / "lora"
    assert main(["train", "--output-dir", str(out), f"model.path={tiny_model_dir}", *BASE,
                 "model.lora.enabled=true", "model.lora.r=4", "trainer.kl_coef=0.1",
                 "trainer.steps=1"]) == 0
    import torch

    state = torch.load(out / "checkpoints" / "step_000001" / "state.pt", weights_only=False)
    assert state["model"] and all("lora_" in k for k in state["model"])
    metrics = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert "policy/ref_kl" in metrics
    assert (out / "final" / "model.safetensors").exists()  # merged weights


def test_bad_config_errors_name_the_field(tiny_model_dir, tmp_path, capsys):
    assert main(["train", "--output-dir", str(tmp_path / "x"), f"model.path={tiny_model_dir}",
                 "rollout.group_sise=4"]) == 2
    assert "rollout.group_sise: unknown field (did you mean rollout.group_size?)" in \
        capsys.readouterr().err
    assert main(["train", "--output-dir", str(tmp_path / "x"), "model.path=/nowhere"]) == 2
    assert "model.path" in capsys.readouterr().err
    assert main(["train", "--output-dir", str(tmp_path / "x"), f"model.path={tiny_model_dir}",
                 "agent.scaffold=random"]) == 2
    assert "agent.scaffold" in capsys.readouterr().err


def test_print_config_lists_every_knob(capsys):
    assert main(["train", "--print-config"]) == 0
    out = capsys.readouterr().out
    for knob in ("trainer.lr", "rollout.group_size", "ppo.detach_value_features",
                 "grpo.scale_rewards", "model.lora.r"):
        assert knob in out
