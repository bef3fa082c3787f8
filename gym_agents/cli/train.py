"""`gym-agents train`: an RL (or SFT) training run from a YAML config plus dotted overrides."""

from __future__ import annotations

import argparse
import sys

EXAMPLES = """\
examples:
  gym-agents model make-tiny models/tiny
  gym-agents train configs/grpo_toy.yaml --output-dir runs/grpo_toy
  gym-agents train configs/grpo_toy.yaml --output-dir runs/x trainer.lr=1e-4 rollout.group_size=4
  gym-agents train configs/grpo_toy.yaml --output-dir runs/grpo_toy --resume   # after a kill
  gym-agents train --print-config                  # every knob, its default and help
  gym-agents train configs/ppo_toy.yaml --print-config   # the resolved config

outputs in --output-dir: config.yaml, metrics.jsonl, rollouts.jsonl, tensorboard/,
checkpoints/step_N/, eval/step_N/ (held-out evaluations), final/ (save_pretrained
model: evaluate it with --model hf:DIR/final)
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train an agent with GRPO, RLOO, PPO, GiGPO or SFT",
        description="Train a policy on a registered env. The config is a YAML file of "
                    "sections (env, agent, model, rollout, trainer, eval, checkpoint, logging "
                    "and one per algorithm); `section.field=value` arguments override it.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="YAML config file (see configs/)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="dotted overrides, e.g. trainer.lr=1e-4")
    p.add_argument("--output-dir", "-o", help="run folder (metrics, checkpoints, model)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --output-dir from its newest checkpoint")
    p.add_argument("--print-config", action="store_true",
                   help="print every knob with its value and help, then exit")
    p.set_defaults(func=run)


def run(args) -> int:
    from gym_agents.errors import ConfigError
    from gym_agents.trainers.config import describe, load_config

    config_path, overrides = args.config, list(args.overrides)
    if config_path and "=" in config_path:  # only overrides were given
        config_path, overrides = None, [config_path, *overrides]
    if args.print_config:
        from gym_agents.trainers.config import TrainConfig, build, parse_override, set_dotted

        if config_path or overrides:
            try:
                config = load_config(config_path, overrides)
            except ConfigError as exc:
                if not str(exc).startswith("model.path"):
                    raise
                data: dict = {}
                for item in overrides:
                    set_dotted(data, *parse_override(item))
                config = build(TrainConfig, data, "")
        else:
            config = TrainConfig()
        print_config(describe(config))
        return 0
    if not args.output_dir:
        raise ConfigError("--output-dir: required (where metrics, checkpoints and the model go)")
    config = load_config(config_path, overrides)
    return train(config, args.output_dir, args.resume)


def print_config(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="training config", show_lines=False)
    for name in ("knob", "value", "help"):
        table.add_column(name, overflow="fold")
    for name, value, help_text in rows:
        table.add_row(name, repr(value), help_text)
    Console(width=160).print(table)


def train(config, output_dir: str, resume: bool) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from gym_agents.trainers.loop import Trainer

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"),
                        TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                        disable=not config.logging.progress or not sys.stderr.isatty())
    task = progress.add_task(config.algorithm, total=config.trainer.steps, info="")

    def on_step(step: int, metrics: dict) -> None:
        reward = metrics.get("reward/mean", metrics.get("sft/loss"))
        label = "reward" if "reward/mean" in metrics else "loss"
        info = f"{label} {reward:.3f}  step {metrics.get('time/step_s', 0):.2f}s"
        if metrics.get("eval/success") is not None:
            info += f"  eval {metrics['eval/success']:.2f}"
        progress.update(task, completed=step, info=info)
        if not sys.stderr.isatty():
            print(f"step {step}: {info}", flush=True)

    trainer = Trainer(config, output_dir, resume=resume, on_step=on_step)
    with progress:
        last = trainer.train()
    if trainer.stop_requested:
        print(f"stopped by SIGTERM at step {trainer.step}; checkpoint saved. Continue with "
              f"--resume", file=sys.stderr)
        return 143
    print(f"done: {trainer.step} steps in {output_dir}; model in {output_dir}/final")
    if last:
        keys = [k for k in ("reward/mean", "success/mean", "eval/success", "sft/loss")
                if k in last]
        print("  ".join(f"{k} {last[k]:.3f}" for k in keys if last[k] is not None))
    return 0
