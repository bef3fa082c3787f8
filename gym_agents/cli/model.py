"""`gym-agents model make-tiny DIR`: build a tiny random-init chat model locally."""

from __future__ import annotations

import argparse
import json

from gym_agents.llm.tiny import SIZES

EPILOG = """\
examples:
  gym-agents model make-tiny models/tiny
  gym-agents model make-tiny models/small --size small --seed 1
  gym-agents eval --env textworld/simple-v0 --agent react --model hf:models/tiny

A Qwen2 decoder with random weights and a byte-level BPE tokenizer trained
here on local text, with a ChatML chat template that supports tools. Saved
with save_pretrained; loads with from_pretrained like any hub model.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("model", help="model tools (make-tiny)",
                              description="Model tools.")
    sub = p.add_subparsers(dest="model_command", metavar="COMMAND", required=True)
    make = sub.add_parser(
        "make-tiny", help="build a tiny random-init model and tokenizer into DIR",
        description="Build a tiny random-init chat model; nothing is downloaded.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    make.add_argument("out", metavar="DIR", help="folder to write the model into")
    make.add_argument("--size", default="tiny", choices=tuple(SIZES),
                      help="tiny: ~0.9M parameters, small: ~5M (default: tiny)")
    make.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    make.set_defaults(func=make_tiny_command)


def make_tiny_command(args: argparse.Namespace) -> int:
    from gym_agents.llm.tiny import make_tiny

    out = make_tiny(args.out, size=args.size, seed=args.seed)
    info = json.loads((out / "gym_agents_tiny.json").read_text())
    print(f"built {info['size']} model ({info['parameters']:,} parameters) in {out}; "
          f"use it as --model hf:{out}")
    return 0
