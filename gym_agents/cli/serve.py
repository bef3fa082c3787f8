"""`gym-agents serve`: an OpenAI-compatible server for a local model."""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  gym-agents model make-tiny models/tiny
  gym-agents serve --model hf:models/tiny --port 8000
  gym-agents eval --env toy/GuessNumber-v0 --agent tool_calling \\
      --model openai:tiny@http://127.0.0.1:8000/v1

Speaks /v1/chat/completions (tools, logprobs, and vLLM's return_token_ids:
prompt_token_ids plus per-choice token_ids) and /v1/models.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="serve a local model over the OpenAI API",
        description="Serve a local model as an OpenAI-compatible /v1/chat/completions endpoint.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, metavar="SPEC",
                   help="hf:PATH (or scripted:FILE) of the model to serve")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--name", default=None,
                   help="model name clients ask for (default: the folder's name)")
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    p.set_defaults(func=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gym_agents.llm import load_llm, parse_model_spec
    from gym_agents.llm.server import serve

    spec = parse_model_spec(args.model)
    name = args.name or Path(spec.target).name or spec.target
    llm = load_llm(spec)
    print(f"serving {args.model} as {name!r} at http://{args.host}:{args.port}/v1",
          file=sys.stderr, flush=True)
    serve(llm, name, host=args.host, port=args.port, log_level=args.log_level)
    return 0
