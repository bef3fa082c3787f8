"""Trainer throughput: tokens/s of one GRPO update of ours against TRL's GRPOTrainer, side by
side in one run, and the rollout/update wall-time split of real training steps.

    .venv/bin/pip install -e '.[train,bench]'     # TRL lives in the `bench` extra
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/trainer_throughput.py --threads 1 \\
        --rows 16 64 --prompt-len 128 --completion-len 32 --repeats 5

1. Builds the tiny model (`gym_agents.llm.tiny.make_tiny`, Qwen2, ~0.9M parameters) once.
   Both sides load the same weights, in float32 on the CPU with the same torch threads.
2. For each --rows N: N sequences of prompt-len + completion-len random token ids (no
   padding), the same ids and per-sequence advantages on both sides. One update is one
   optimizer step over the whole batch in one forward/backward (no micro-batching on either
   side), gradient clipping at 1.0, AdamW:
   - ours: `Trainer.update(rows, None)` after `Trainer.setup()` (micro_batch_rows = N);
   - TRL: `GRPOTrainer.compute_loss` on the inputs dict its generation step would build
     (prompt/completion ids and masks, advantages), `accelerator.backward`,
     `clip_grad_norm_`, `optimizer.step()`. Generation is bypassed (it is not the update).
   Warm-up once, then --repeats interleaved runs (ours, TRL, ours, TRL...), median seconds;
   tokens/s = N x (prompt + completion) / seconds. Prints the ratio ours/TRL (goal >= 1).
3. Runs --train-steps real `Trainer.train_step()` steps of configs/grpo_toy.yaml
   (toy/Relay-v0) with the tiny model and prints time/rollout_s and time/train_s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "grpo_toy.yaml"


def make_batch(rows: int, prompt_len: int, completion_len: int, vocab: int, seed: int):
    """(token ids per sequence, advantage per sequence): group-normalised-looking values."""
    rng = random.Random(seed)
    ids = [[rng.randrange(10, vocab) for _ in range(prompt_len + completion_len)]
           for _ in range(rows)]
    advantages = [rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 1.5) for _ in range(rows)]
    return ids, advantages


class Ours:
    def __init__(self, model_dir: Path, out: Path, rows: int) -> None:
        from gym_agents.trainers.config import load_config
        from gym_agents.trainers.loop import Trainer

        config = load_config(CONFIG, [f"model.path={model_dir}", "model.device=cpu",
                                      f"trainer.micro_batch_rows={rows}",
                                      "logging.save_rollouts=false"])
        self.trainer = Trainer(config, out)
        self.trainer.setup()

    def rows(self, ids, advantages, prompt_len: int):
        from gym_agents.trainers.records import Row

        out = []
        for seq, adv in zip(ids, advantages, strict=True):
            completion = len(seq) - prompt_len
            out.append(Row(token_ids=list(seq), loss_mask=[0] * prompt_len + [1] * completion,
                           rollout_logprobs=[0.0] * len(seq),
                           turn_index=[-1] * prompt_len + [0] * completion,
                           advantages=[0.0] * prompt_len + [adv] * completion))
        return out

    def update(self, rows) -> None:
        self.trainer.update(rows, None)

    def close(self) -> None:
        self.trainer.close()


class Trl:
    def __init__(self, model_dir: Path, out: Path, rows: int, completion_len: int) -> None:
        import torch
        import transformers
        from datasets import Dataset
        from trl import GRPOConfig, GRPOTrainer

        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir,
                                                                  dtype=torch.float32)
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
        args = GRPOConfig(
            output_dir=str(out), use_cpu=True, report_to=[], save_strategy="no",
            per_device_train_batch_size=rows, num_generations=min(rows, 8),
            gradient_accumulation_steps=1, max_completion_length=completion_len,
            learning_rate=3e-4, weight_decay=0.0, max_grad_norm=1.0, beta=0.0, loss_type="bnpo",
            epsilon=0.2, epsilon_high=0.28, logging_steps=10**9, disable_tqdm=True)
        dataset = Dataset.from_dict({"prompt": ["hi"] * rows})
        self.trainer = GRPOTrainer(model=model, reward_funcs=lambda completions, **_:
                                   [0.0] * len(completions), args=args,
                                   train_dataset=dataset, processing_class=tokenizer)
        self.trainer.create_optimizer()
        self.trainer.current_gradient_accumulation_steps = 1
        self.model = self.trainer.model
        self.model.train()

    def inputs(self, ids, advantages, prompt_len: int) -> dict:
        import torch

        tensor = torch.tensor(ids, dtype=torch.long)
        prompt, completion = tensor[:, :prompt_len], tensor[:, prompt_len:]
        return {"prompt_ids": prompt, "prompt_mask": torch.ones_like(prompt),
                "completion_ids": completion, "completion_mask": torch.ones_like(completion),
                "advantages": torch.tensor(advantages, dtype=torch.float32),
                "num_items_in_batch": torch.tensor(float(completion.numel()))}

    def update(self, inputs) -> None:
        import torch

        t = self.trainer
        t.optimizer.zero_grad(set_to_none=True)
        loss = t.compute_loss(self.model, inputs)
        t.accelerator.backward(loss)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), t.args.max_grad_norm)
        t.optimizer.step()


def timed(fn, arg) -> float:
    t0 = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t0


def compare(model_dir: Path, work: Path, rows: int, prompt_len: int, completion_len: int,
            repeats: int, vocab: int) -> tuple[float, float]:
    """Median seconds of one update: (ours, TRL)."""
    ids, advantages = make_batch(rows, prompt_len, completion_len, vocab, seed=rows)
    ours = Ours(model_dir, work / f"ours_{rows}_{prompt_len}_{completion_len}", rows)
    trl = Trl(model_dir, work / f"trl_{rows}_{prompt_len}_{completion_len}", rows,
              completion_len)
    our_rows, trl_inputs = ours.rows(ids, advantages, prompt_len), \
        trl.inputs(ids, advantages, prompt_len)
    ours.update(our_rows), trl.update(trl_inputs)  # warm-up
    ours_s, trl_s = [], []
    for _ in range(repeats):
        ours_s.append(timed(ours.update, our_rows))
        trl_s.append(timed(trl.update, trl_inputs))
    ours.close()
    return statistics.median(ours_s), statistics.median(trl_s)


def train_split(model_dir: Path, out: Path, steps: int) -> list[tuple[float, float, int]]:
    """(rollout_s, train_s, trained rows) of `steps` real GRPO steps on toy/Relay-v0."""
    from gym_agents.trainers.config import load_config
    from gym_agents.trainers.loop import Trainer

    config = load_config(CONFIG, [f"model.path={model_dir}", "model.device=cpu",
                                  "logging.save_rollouts=false"])
    trainer = Trainer(config, out)
    trainer.setup()
    split = []
    try:
        for _ in range(steps):
            m = trainer.train_step()
            trainer.step += 1
            split.append((m["time/rollout_s"], m["time/train_s"], m["train/rows"]))
    finally:
        trainer.close()
    return split


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/trainer_throughput.py "
               "--threads 1 --rows 16 64 --prompt-len 128 --completion-len 32 --repeats 5",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (both sides)")
    parser.add_argument("--rows", type=int, nargs="+", default=[16, 64],
                        help="sequences per update")
    parser.add_argument("--prompt-len", type=int, nargs="+", default=[128, 512],
                        help="prompt tokens per sequence (one setting each)")
    parser.add_argument("--completion-len", type=int, nargs="+", default=[32, 128],
                        help="completion tokens per sequence, paired with --prompt-len")
    parser.add_argument("--repeats", type=int, default=5, help="timed updates per side")
    parser.add_argument("--train-steps", type=int, default=3,
                        help="real train_step()s for the rollout/update split (0: skip)")
    args = parser.parse_args()
    if len(args.prompt_len) != len(args.completion_len):
        parser.error("give as many --completion-len values as --prompt-len values")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    warnings.filterwarnings("ignore")

    import torch
    import transformers

    from gym_agents.llm.tiny import make_tiny

    torch.set_num_threads(args.threads)
    transformers.utils.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model_dir = make_tiny(work / "tiny")
        vocab = transformers.AutoConfig.from_pretrained(model_dir).vocab_size
        print(f"\n{'rows':>5} {'prompt':>7} {'compl':>6} {'tokens':>7} "
              f"{'ours tok/s':>11} {'TRL tok/s':>10} {'ours/TRL':>9}")
        for prompt_len, completion_len in zip(args.prompt_len, args.completion_len, strict=True):
            for rows in args.rows:
                ours_s, trl_s = compare(model_dir, work, rows, prompt_len, completion_len,
                                        args.repeats, vocab)
                tokens = rows * (prompt_len + completion_len)
                print(f"{rows:>5} {prompt_len:>7} {completion_len:>6} {tokens:>7} "
                      f"{tokens / ours_s:>11.0f} {tokens / trl_s:>10.0f} "
                      f"{trl_s / ours_s:>8.2f}x", flush=True)
        if args.train_steps:
            print(f"\nGRPO train_step() on toy/Relay-v0 ({CONFIG.name}, tiny model):")
            print(f"{'step':>5} {'rollout s':>10} {'update s':>9} {'rollout %':>10} {'rows':>5}")
            split = train_split(model_dir, work / "split", args.train_steps)
            for i, (rollout_s, train_s, n) in enumerate(split):
                print(f"{i:>5} {rollout_s:>10.2f} {train_s:>9.2f} "
                      f"{100 * rollout_s / (rollout_s + train_s):>9.0f}% {n:>5}")
    print(f"\nload at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
