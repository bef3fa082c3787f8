"""The policy loss (σ = 0 gives no gradient, TIS bounded, clip-higher) and the config loader."""

from __future__ import annotations

import pytest

from gym_agents.errors import ConfigError
from gym_agents.trainers.config import TrainConfig, describe, load_config
from gym_agents.trainers.loss import LossSettings, policy_loss

torch = pytest.importorskip("torch")


def _inputs(advantages, rollout_shift=0.0):
    logits = torch.randn(2, 5, requires_grad=True)
    logprobs = torch.log_softmax(logits, -1)
    old = logprobs.detach() + 0.1 * torch.randn(2, 5)
    rollout = old + rollout_shift
    adv = torch.tensor(advantages, dtype=torch.float32).expand(2, 5)
    mask = torch.tensor([[0, 1, 1, 0, 1], [1, 1, 0, 0, 0]], dtype=torch.float32)
    return logits, logprobs, old, rollout, adv, mask


def test_zero_advantages_give_zero_gradient():
    torch.manual_seed(0)
    logits, logprobs, old, rollout, adv, mask = _inputs([[0.0]])
    loss, _ = policy_loss(torch, logprobs, old, rollout, adv, mask, float(mask.sum()),
                          LossSettings())
    loss.backward()
    assert float(loss) == 0.0
    assert torch.count_nonzero(logits.grad) == 0


def test_masked_tokens_get_no_gradient():
    torch.manual_seed(1)
    logits = torch.randn(1, 4, requires_grad=True)
    logprobs = logits * 1.0  # stand-in per-token logprobs, one parameter each
    mask = torch.tensor([[0.0, 1.0, 0.0, 1.0]])
    loss, _ = policy_loss(torch, logprobs, logprobs.detach(), logprobs.detach(),
                          torch.ones(1, 4), mask, 2.0, LossSettings())
    loss.backward()
    assert logits.grad[0, 0] == 0 and logits.grad[0, 2] == 0
    assert logits.grad[0, 1] != 0 and logits.grad[0, 3] != 0


def test_tis_weight_never_exceeds_the_cap():
    torch.manual_seed(2)
    # Rollout logprobs far below the trainer's: raw weights exp(3) ~ 20.
    _logits, logprobs, _old, rollout, adv, mask = _inputs([[1.0]], rollout_shift=-3.0)
    settings = LossSettings(tis_cap=2.0)
    loss, sums = policy_loss(torch, logprobs, logprobs.detach(), rollout, adv, mask,
                             float(mask.sum()), settings)
    # ratio = 1 here, so each token's loss is -Â·w: the mean is -w, bounded by C.
    assert float(loss) == pytest.approx(-2.0)
    assert float(sums["tis/clipped_frac"]) == float(mask.sum())
    unclipped, _ = policy_loss(torch, logprobs, logprobs.detach(), rollout, adv, mask,
                               float(mask.sum()), LossSettings(tis_cap=0.0))
    assert float(unclipped) == pytest.approx(-1.0)  # TIS off: weight 1


def test_clip_higher_is_asymmetric():
    logprobs = torch.log(torch.tensor([[1.5, 0.6]]))  # ratios 1.5 and 0.6 against old = 0
    old = torch.zeros(1, 2)
    mask = torch.ones(1, 2)
    settings = LossSettings(clip_low=0.2, clip_high=0.28, tis_cap=0.0)
    up, _ = policy_loss(torch, logprobs[:, :1], old[:, :1], old[:, :1], torch.ones(1, 1),
                        mask[:, :1], 1.0, settings)
    down, _ = policy_loss(torch, logprobs[:, 1:], old[:, 1:], old[:, 1:], -torch.ones(1, 1),
                          mask[:, 1:], 1.0, settings)
    assert float(up) == pytest.approx(-1.28)  # positive advantage: capped at 1 + 0.28
    assert float(down) == pytest.approx(0.8)  # negative advantage: capped at 1 - 0.2


def test_k3_kl_is_zero_at_the_reference_and_positive_elsewhere():
    logprobs = torch.tensor([[-1.0, -2.0]])
    mask = torch.ones(1, 2)
    settings = LossSettings(kl_coef=1.0, tis_cap=0.0)
    same, sums = policy_loss(torch, logprobs, logprobs, logprobs, torch.zeros(1, 2), mask, 2.0,
                             settings, ref_logprobs=logprobs)
    assert float(same) == 0.0
    moved, sums = policy_loss(torch, logprobs, logprobs, logprobs, torch.zeros(1, 2), mask,
                              2.0, settings, ref_logprobs=logprobs - 0.5)
    assert float(moved) > 0 and float(sums["policy/ref_kl"]) > 0


def test_config_overrides_and_errors_name_the_field(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("algorithm: ppo\nmodel: {path: m}\ntrainer: {lr: 3.0e-4}\n")
    config = load_config(path, ["trainer.lr=1e-4", "rollout.group_size=4", "ppo.lam=0.9",
                                "env.kwargs={length: 3}"])
    assert config.trainer.lr == 1e-4 and config.rollout.group_size == 4
    assert config.ppo.lam == 0.9 and config.env.kwargs == {"length": 3}
    with pytest.raises(ConfigError, match=r"trainer\.lrr: unknown field \(did you mean tr"):
        load_config(path, ["trainer.lrr=1"])
    with pytest.raises(ConfigError, match=r"trainer\.steps: expected int, got 'many'"):
        load_config(path, ["trainer.steps=many"])
    with pytest.raises(ConfigError, match=r"algorithm: 'dpo' is not one of"):
        load_config(path, ["algorithm=dpo"])
    with pytest.raises(ConfigError, match=r"rollout\.group_size: grpo compares"):
        load_config(path, ["algorithm=grpo", "rollout.group_size=1"])
    with pytest.raises(ConfigError, match=r"model\.path: required"):
        load_config(None, [])
    with pytest.raises(ConfigError, match="bad override"):
        load_config(path, ["trainer.lr"])


def test_every_knob_has_help():
    rows = describe(TrainConfig())
    assert len(rows) > 50
    assert all(help_text for _, _, help_text in rows), [n for n, _, h in rows if not h]


def test_shipped_configs_load():
    from pathlib import Path

    configs = sorted((Path(__file__).parents[2] / "configs").glob("*.yaml"))
    assert configs
    for path in configs:
        load_config(path)
