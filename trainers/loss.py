"""The clipped token-level policy loss (clip-higher, TIS, optional k3 KL) and the value loss.

    ρ = π_θ / π_old                          (π_old: the trainer's logprobs before the update)
    ℓ = -min(ρÂ, clip(ρ, 1-ε_low, 1+ε_high)Â) · w_TIS + β·k3(π_ref || π_θ)
    w_TIS = min(π_old / π_rollout, C)        (engine vs trainer mismatch, no gradient)
    loss = Σ ℓ·m / Σ m                       (token mean over the whole batch)

`denominator` is the number of action tokens in the whole batch, so the
loss of a step does not depend on how it is split into micro-batches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LossSettings:
    clip_low: float = 0.2
    clip_high: float = 0.28
    tis_cap: float = 2.0  # 0: off
    kl_coef: float = 0.0


def policy_loss(torch, logprobs, old_logprobs, rollout_logprobs, advantages, mask,
                denominator: float, settings: LossSettings, ref_logprobs=None):
    """Return (loss, metric sums over action tokens) for one micro-batch."""
    ratio = torch.exp(logprobs - old_logprobs)
    clipped = ratio.clamp(1 - settings.clip_low, 1 + settings.clip_high)
    per_token = -torch.minimum(ratio * advantages, clipped * advantages)
    with torch.no_grad():
        log_mismatch = old_logprobs - rollout_logprobs
        weight = torch.exp(log_mismatch)
        if settings.tis_cap > 0:
            tis_clipped = (weight > settings.tis_cap).float()
            weight = weight.clamp(max=settings.tis_cap)
        else:
            tis_clipped = torch.zeros_like(weight)
            weight = torch.ones_like(weight)
    per_token = per_token * weight
    kl = torch.zeros_like(per_token)
    if settings.kl_coef > 0 and ref_logprobs is not None:
        log_ratio = ref_logprobs - logprobs
        kl = torch.exp(log_ratio) - log_ratio - 1  # k3: unbiased, always >= 0
        per_token = per_token + settings.kl_coef * kl
    loss = (per_token * mask).sum() / denominator
    with torch.no_grad():
        was_clipped = ((ratio < 1 - settings.clip_low) & (advantages < 0)) | \
                      ((ratio > 1 + settings.clip_high) & (advantages > 0))
        sums = {
            "policy/clip_frac": (was_clipped.float() * mask).sum(),
            "policy/approx_kl": (0.5 * (logprobs - old_logprobs) ** 2 * mask).sum(),
            "policy/ratio_mean": (ratio * mask).sum(),
            "tis/clipped_frac": (tis_clipped * mask).sum(),
            # k3 estimate of KL(rollout || trainer) from the sampled tokens.
            "tis/mismatch_kl": ((torch.exp(-log_mismatch) + log_mismatch - 1) * mask).sum(),
            "policy/ref_kl": (kl * mask).sum(),
        }
    return loss, sums


def value_loss(torch, values, old_values, returns, clip: float, denominator: float):
    """Clipped value loss at turn boundaries: 0.5·max((V-R)², (clip(V)-R)²), summed / denom."""
    clipped = old_values + (values - old_values).clamp(-clip, clip)
    per_turn = 0.5 * torch.maximum((values - returns) ** 2, (clipped - returns) ** 2)
    return per_turn.sum() / denominator
