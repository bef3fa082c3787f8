"""The training loop shared by every algorithm.

One step: collect B x G rollouts with the engine, compute advantages with the
chosen estimator (values first for PPO), broadcast them to the action tokens
of each row, then `epochs` passes over the rows in `minibatches` optimizer
steps, each accumulated over micro-batches of `micro_batch_rows` rows; then
the engine gets the new weights. SFT replaces the rollouts with rows built
from stored episodes. Checkpoints every N steps, at the end and on SIGTERM;
`resume=True` continues from the newest one bit-for-bit.
"""

from __future__ import annotations

import asyncio
import copy
import math
import random
import signal
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gym_agents.errors import ConfigError, require
from gym_agents.llm import register_shared
from gym_agents.store import EpisodeStore
from gym_agents.trainers.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from gym_agents.trainers.config import TrainConfig
from gym_agents.trainers.gigpo import gigpo_advantages
from gym_agents.trainers.grpo import grpo_advantages
from gym_agents.trainers.loss import LossSettings, policy_loss, value_loss
from gym_agents.trainers.metrics import MetricsLogger, truncate_jsonl
from gym_agents.trainers.policy import Policy, ValueHead, add_lora, load_model, resolve_device
from gym_agents.trainers.ppo import ppo_advantages
from gym_agents.trainers.records import Rollout, Row, broadcast_advantages, mean, std
from gym_agents.trainers.rloo import rloo_advantages
from gym_agents.trainers.rollout import RolloutCollector, check_scaffold, derived_seed

ROLLOUTS_FILE = "rollouts.jsonl"
CONFIG_FILE = "config.yaml"


class Trainer:
    def __init__(self, config: TrainConfig, output_dir: str | Path, *, resume: bool = False,
                 on_step=None) -> None:
        config.validate()
        check_scaffold(config.agent.scaffold)
        self.config, self.out, self.resume = config, Path(output_dir), resume
        self.on_step = on_step
        self.torch = require("torch", "train", "training")
        self.stop_requested = False
        self.step = 0

    # -- setup ------------------------------------------------------------------------

    def setup(self) -> None:
        torch, c = self.torch, self.config
        self._prepare_output()
        random.seed(c.trainer.seed)
        torch.manual_seed(c.trainer.seed)
        device = resolve_device(c.model.device)
        model, tokenizer = load_model(c.model.path, c.model.dtype, device)
        if c.model.lora.enabled:
            lora = c.model.lora
            model = add_lora(model, lora.r, lora.alpha, lora.dropout, lora.target_modules)
        model.train()
        self.reference = self._reference(model) if c.trainer.kl_coef > 0 else None
        value_head = None
        if c.algorithm == "ppo":
            value_head = ValueHead.build(model.config.hidden_size, device,
                                         next(model.parameters()).dtype)
        self.policy = Policy(model, tokenizer, value_head,
                             detach_value_features=c.ppo.detach_value_features,
                             temperature=c.rollout.temperature)
        self.optimizer = self._optimizer()
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.engine = self._engine(model, tokenizer)
        self.engine_spec = f"hf:gym-agents-policy-{id(self)}"
        register_shared(self.engine_spec, self.engine)
        resume_step = None
        if self.resume:
            checkpoint = latest_checkpoint(self.out)
            if checkpoint is not None:
                state = load_checkpoint(checkpoint, model=model, value_head=value_head,
                                        optimizer=self.optimizer, scheduler=self.scheduler)
                self.step = resume_step = state["step"]
                self.engine.sync_weights(model)
        truncate_jsonl(self.out / ROLLOUTS_FILE,
                       lambda ep: ep.get("config", {}).get("train_step", 0) < (resume_step or 0))
        self.metrics = MetricsLogger(self.out, asdict(c), tensorboard=c.logging.tensorboard,
                                     wandb=c.logging.wandb, resume_step=resume_step)
        self.rollout_store = EpisodeStore(self.out / ROLLOUTS_FILE) \
            if c.logging.save_rollouts else None
        if c.algorithm == "sft":
            from gym_agents.trainers.sft import load_sft_rows

            self.sft_rows = load_sft_rows(c.sft, self.engine.codec, c.agent.scaffold,
                                          c.agent.kwargs)
            self.collector = None
        else:
            self.collector = RolloutCollector(c, self.engine)

    def _prepare_output(self) -> None:
        yaml = require("yaml", "train", "training")
        self.out.mkdir(parents=True, exist_ok=True)
        has_run = (self.out / "metrics.jsonl").exists() or (self.out / "checkpoints").exists()
        if has_run and not self.resume:
            raise ConfigError(f"{self.out} already holds a run: pass --resume to continue it, "
                              "or choose another --output-dir")
        (self.out / CONFIG_FILE).write_text(yaml.safe_dump(asdict(self.config), sort_keys=False))

    def _reference(self, model):
        if self.config.model.lora.enabled:
            return "adapters-off"  # the base model with adapters disabled is the reference
        reference = copy.deepcopy(model).eval()
        for p in reference.parameters():
            p.requires_grad_(False)
        return reference

    def _optimizer(self):
        c = self.config
        groups = [{"params": [p for p in self.policy.model.parameters() if p.requires_grad],
                   "lr": c.trainer.lr}]
        if self.policy.value_head is not None:
            groups.append({"params": list(self.policy.value_head.parameters()),
                           "lr": c.trainer.lr * c.ppo.value_lr_mult})
        return self.torch.optim.AdamW(groups, betas=tuple(c.trainer.betas),
                                      weight_decay=c.trainer.weight_decay)

    def _lr_factor(self, step: int) -> float:
        t = self.config.trainer
        if step < t.warmup_steps:
            return (step + 1) / t.warmup_steps
        progress = (step - t.warmup_steps) / max(1, t.steps - t.warmup_steps)
        if t.schedule == "cosine":
            return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        if t.schedule == "linear":
            return max(0.0, 1 - progress)
        return 1.0

    def _engine(self, model, tokenizer):
        c = self.config
        if c.rollout.engine == "vllm":
            from gym_agents.trainers.engines.vllm import VLLMEngine

            engine = VLLMEngine(c.model.path, tokenizer, dtype=c.model.dtype,
                                gpu_memory_utilization=c.rollout.vllm_gpu_memory_utilization,
                                max_model_len=c.rollout.vllm_max_model_len, seed=c.trainer.seed)
            engine.sync_weights(model)
            return engine
        from gym_agents.trainers.engines.hf import HFEngine

        return HFEngine(model, tokenizer, seed=c.trainer.seed)

    # -- the loop -----------------------------------------------------------------------

    def train(self) -> dict[str, Any]:
        """Run to `trainer.steps` (or SIGTERM); return the last step's metrics."""
        self.setup()
        previous = signal.signal(signal.SIGTERM, self._on_sigterm) \
            if _main_thread() else None
        last: dict[str, Any] = {}
        c = self.config
        try:
            while self.step < c.trainer.steps and not self.stop_requested:
                metrics = self.train_step()
                self.step += 1
                if c.eval.every and self.step % c.eval.every == 0:
                    metrics.update(self.evaluate())
                self.metrics.log(self.step, metrics)
                last = metrics
                if self.on_step is not None:
                    self.on_step(self.step, metrics)
                if self.step % c.checkpoint.every == 0 or self.stop_requested:
                    self.save()
            if self.step >= c.trainer.steps:
                self.save()
                self.save_final()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.close()
        return last

    def _on_sigterm(self, signum, frame) -> None:
        self.stop_requested = True  # finish the step, checkpoint, stop

    def save(self) -> Path:
        return save_checkpoint(self.out, self.step, model=self.policy.model,
                               value_head=self.policy.value_head, optimizer=self.optimizer,
                               scheduler=self.scheduler, keep=self.config.checkpoint.keep)

    def save_final(self) -> None:
        """The trained model as a save_pretrained folder (`--model hf:OUT/final`)."""
        model = self.policy.model
        if hasattr(model, "merge_and_unload"):
            model = copy.deepcopy(model).merge_and_unload()
        model.save_pretrained(self.out / "final")
        self.policy.tokenizer.save_pretrained(self.out / "final")

    def close(self) -> None:
        register_shared(self.engine_spec, None) if hasattr(self, "engine_spec") else None
        for name in ("metrics", "rollout_store"):
            obj = getattr(self, name, None)
            if obj is not None:
                obj.close()
        if getattr(self, "collector", None) is not None:
            self.collector.close()

    def train_step(self) -> dict[str, Any]:
        if self.config.algorithm == "sft":
            return self.sft_step()
        t0 = time.perf_counter()
        rollouts = asyncio.run(self.collector.collect(self.step))
        t1 = time.perf_counter()
        if self.rollout_store is not None:
            for rollout in rollouts:
                self.rollout_store.append(rollout.episode)
        metrics = rollout_metrics(rollouts)
        usable = [r for r in rollouts if r.ok and r.rows]
        returns = self.compute_advantages(usable, metrics)
        rows = [row for r in usable for row in r.rows]
        metrics.update(self.update(rows, returns))
        self.engine.sync_weights(self.policy.model)
        t2 = time.perf_counter()
        generated = sum(len(t.token_ids or ()) for r in rollouts for t in r.episode.turns)
        trained = sum(len(row) for row in rows)
        metrics.update({"time/rollout_s": t1 - t0, "time/train_s": t2 - t1,
                        "time/step_s": t2 - t0,
                        "perf/rollout_tokens_per_s": generated / max(t1 - t0, 1e-9),
                        "perf/train_tokens_per_s": trained / max(t2 - t1, 1e-9),
                        "lr": self.scheduler.get_last_lr()[0],
                        "engine/weight_version": self.engine.weight_version})
        return metrics

    def compute_advantages(self, rollouts: list[Rollout], metrics: dict) -> dict | None:
        c, returns = self.config, None
        if c.algorithm == "grpo":
            metrics.update(grpo_advantages(rollouts, c.grpo))
        elif c.algorithm == "rloo":
            metrics.update(rloo_advantages(rollouts, c.rloo))
        elif c.algorithm == "gigpo":
            metrics.update(gigpo_advantages(rollouts, c.gigpo))
        elif c.algorithm == "ppo":
            values = self.turn_values(rollouts)
            returns, more = ppo_advantages(rollouts, values, c.ppo)
            returns = {"values": values, "returns": returns}
            metrics.update(more)
        if c.trainer.zero_advantages:
            for r in rollouts:
                r.turn_advantages = [0.0] * r.num_turns
        for r in rollouts:
            broadcast_advantages(r)
        flat = [a for r in rollouts for a in r.turn_advantages]
        metrics["advantages/abs_mean"] = mean([abs(a) for a in flat])
        return returns

    def turn_values(self, rollouts: list[Rollout]) -> dict[str, list[float]]:
        """V(s_t) at each turn boundary of each rollout (no gradient)."""
        torch = self.torch
        values: dict[str, list[float]] = {}
        with torch.no_grad():
            for r in rollouts:
                per_turn = [0.0] * r.num_turns
                for chunk in _chunks(r.rows, self.config.trainer.micro_batch_rows):
                    scored = self.policy.score(self.policy.batch(chunk), with_entropy=False,
                                               with_values=True)
                    for i, row in enumerate(chunk):
                        for turn, pos in row.value_positions.items():
                            per_turn[turn] = float(scored["values"][i, pos])
                values[r.uid] = per_turn
        return values

    def update(self, rows: list[Row], ppo: dict | None) -> dict[str, Any]:
        """epochs x minibatches optimizer steps over the rows; returns loss metrics."""
        torch, c = self.torch, self.config
        if not rows:
            return {"train/rows": 0}
        need_old = c.trainer.epochs > 1 or c.trainer.minibatches > 1
        old = self._old_logprobs(rows) if need_old else None
        sums: dict[str, float] = {}
        grad_norms = []
        order = list(range(len(rows)))
        for epoch in range(c.trainer.epochs):
            random.Random(derived_seed("shuffle", c.trainer.seed, self.step, epoch)) \
                .shuffle(order)
            for part in _split(order, c.trainer.minibatches):
                minibatch = [rows[i] for i in part]
                tokens = sum(r.num_action_tokens for r in minibatch)
                if tokens == 0 and ppo is None:
                    continue
                self.optimizer.zero_grad(set_to_none=True)
                for chunk in _chunks(part, c.trainer.micro_batch_rows):
                    self._accumulate(rows, chunk, old, ppo, max(tokens, 1), sums)
                if c.trainer.max_grad_norm > 0:
                    norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(),
                                                          c.trainer.max_grad_norm)
                    grad_norms.append(float(norm))
                self.optimizer.step()
        self.scheduler.step()
        total = sum(r.num_action_tokens for r in rows) * c.trainer.epochs
        out = {k: v / max(total, 1) for k, v in sums.items() if not k.startswith("value/")}
        out.update({k: v for k, v in sums.items() if k.startswith("value/")})
        out.update({"policy/grad_norm": mean(grad_norms), "train/rows": len(rows),
                    "train/action_tokens": sum(r.num_action_tokens for r in rows)})
        return out

    def _old_logprobs(self, rows: list[Row]) -> dict[int, Any]:
        old = {}
        with self.torch.no_grad():
            for chunk in _chunks(list(range(len(rows))), self.config.trainer.micro_batch_rows):
                scored = self.policy.score(self.policy.batch([rows[i] for i in chunk]),
                                           with_entropy=False)
                for j, i in enumerate(chunk):
                    old[i] = scored["logprobs"][j, :len(rows[i])]
        return old

    def _accumulate(self, rows, chunk, old, ppo, denominator, sums) -> None:
        torch, c = self.torch, self.config
        chunk_rows = [rows[i] for i in chunk]
        batch = self.policy.batch(chunk_rows)
        scored = self.policy.score(batch, with_values=ppo is not None)
        logprobs, mask = scored["logprobs"], batch["mask"]
        if old is None:
            old_lp = logprobs.detach()
        else:
            old_lp = torch.zeros_like(logprobs)
            for j, i in enumerate(chunk):
                old_lp[j, :len(rows[i])] = old[i]
        ref = self._reference_logprobs(batch) if self.reference is not None else None
        settings = LossSettings(c.trainer.clip_low, c.trainer.clip_high, c.trainer.tis_cap,
                                c.trainer.kl_coef)
        loss, part = policy_loss(torch, logprobs, old_lp, batch["rollout_logprobs"],
                                 batch["advantages"], mask, denominator, settings, ref)
        if ppo is not None and self.step < c.ppo.value_warmup_steps:
            loss = loss * 0.0  # critic warm-up: the policy waits for a useful value
        part["policy/entropy"] = (scored["entropy"] * mask).sum().detach()
        part["policy/loss"] = loss.detach() * denominator
        if ppo is not None:
            v_loss, v_count = self._value_loss(chunk_rows, scored["values"], ppo)
            loss = loss + c.ppo.value_coef * v_loss
            part["value/loss"] = v_loss.detach() * v_count
        loss.backward()
        for key, value in part.items():
            sums[key] = sums.get(key, 0.0) + float(value)

    def _value_loss(self, rows: list[Row], values, ppo: dict):
        torch = self.torch
        predicted, old, target = [], [], []
        for i, row in enumerate(rows):
            uid = row.rollout_uid
            for turn, pos in row.value_positions.items():
                predicted.append(values[i, pos])
                old.append(ppo["values"][uid][turn])
                target.append(ppo["returns"][uid][turn])
        if not predicted:
            return torch.zeros((), device=values.device), 0
        count = len(predicted)
        predicted = torch.stack(predicted)
        old = torch.tensor(old, device=values.device, dtype=predicted.dtype)
        target = torch.tensor(target, device=values.device, dtype=predicted.dtype)
        return value_loss(torch, predicted, old, target, self.config.ppo.value_clip,
                          count), count

    def _reference_logprobs(self, batch):
        with self.torch.no_grad():
            if self.reference == "adapters-off":
                with self.policy.model.disable_adapter():
                    return self.policy.score(batch, with_entropy=False)["logprobs"]
            return self.policy.score(batch, with_entropy=False, model=self.reference)["logprobs"]

    def sft_step(self) -> dict[str, Any]:
        torch, c = self.torch, self.config
        t0 = time.perf_counter()
        n = len(self.sft_rows)
        start = self.step * c.sft.batch_rows
        epoch, offset = divmod(start, n)
        order = list(range(n))
        random.Random(derived_seed("sft", c.trainer.seed, epoch)).shuffle(order)
        picked = [self.sft_rows[order[(offset + k) % n]] for k in range(min(c.sft.batch_rows, n))]
        tokens = sum(r.num_action_tokens for r in picked)
        self.optimizer.zero_grad(set_to_none=True)
        total_loss = 0.0
        for chunk in _chunks(picked, c.trainer.micro_batch_rows):
            batch = self.policy.batch(chunk)
            scored = self.policy.score(batch, with_entropy=False)
            loss = -(scored["logprobs"] * batch["mask"]).sum() / max(tokens, 1)
            loss.backward()
            total_loss += float(loss)
        norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(),
                                              c.trainer.max_grad_norm or float("inf"))
        self.optimizer.step()
        self.scheduler.step()
        self.engine.sync_weights(self.policy.model)
        return {"sft/loss": total_loss, "sft/tokens": tokens, "sft/epoch": epoch,
                "policy/grad_norm": float(norm), "lr": self.scheduler.get_last_lr()[0],
                "time/train_s": time.perf_counter() - t0}

    def evaluate(self) -> dict[str, Any]:
        """Held-out seeds through the same code as `gym-agents eval`."""
        from gym_agents.evaluation import EvalConfig, run_eval

        c = self.config
        out = self.out / "eval" / f"step_{self.step:06d}"
        if out.exists():  # a resumed run re-evaluates this step
            import shutil

            shutil.rmtree(out)
        config = EvalConfig(
            env_ids=[c.env.id], agent=c.agent.scaffold, agent_kwargs=dict(c.agent.kwargs),
            episodes=c.eval.episodes, seed=c.eval.seed, split=c.eval.split,
            env_kwargs=dict(c.env.kwargs), model=self.engine_spec, out=str(out),
            concurrency=min(c.eval.episodes, 16),
            sampling={"temperature": c.eval.temperature, "max_tokens": c.rollout.max_tokens,
                      "seed": c.eval.seed})
        summary = asyncio.run(run_eval(config))["envs"][c.env.id]
        return {"eval/success": summary["success_rate"], "eval/reward": summary["mean_reward"],
                "eval/turns": summary["mean_turns"]}


def rollout_metrics(rollouts: list[Rollout]) -> dict[str, Any]:
    ok = [r for r in rollouts if r.ok]
    turns = [t for r in ok for t in r.episode.turns]
    lengths = [len(t.token_ids or ()) for t in turns]
    return {
        "reward/mean": mean([r.reward for r in ok]),
        "reward/std": std([r.reward for r in ok]),
        "success/mean": mean([float(r.episode.success) for r in ok]),
        "episode/turns_mean": mean([r.num_turns for r in ok]),
        "response/length_mean": mean(lengths),
        "response/length_max": max(lengths, default=0),
        "episode/invalid_action_rate": mean([float(bool(t.info.get("invalid_action")))
                                             for t in turns]),
        "status/truncated_rate": mean([float(r.episode.status == "truncated") for r in ok]),
        "status/infra_error_rate": mean([float(not r.ok) for r in rollouts]),
        "status/retries": sum(r.episode.retries for r in rollouts),
        "rollouts": len(rollouts),
    }


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _split(items: list, parts: int) -> list[list]:
    size = math.ceil(len(items) / parts)
    return [p for p in _chunks(items, size) if p]


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
