"""LLM overhead, measured side by side in one run.

1. `LLM.chat` through the `hf` backend (chat template, logits kept for
   logprobs, decoding, tool-call parsing) against calling `model.generate`
   directly on the same prompt ids with the same greedy settings; both must
   sample the same ids. Goal: at most 1.10x.
2. Throughput of `gym-agents serve` (the real `openai` client over HTTP) with
   8 concurrent clients against 1.

    .venv/bin/python benchmarks/llm_overhead.py [--model DIR] [--tokens 64] [--reps 10]
        [--threads N]   # torch threads, here and in the server (default: torch's choice)

Each case prints its median and its fastest call, and both as a ratio to
model.generate; on a busy machine the fastest calls are the steadier measure.

Without --model it builds the `small` tiny model (~5M parameters) in a temp dir.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MESSAGES = [
    {"role": "system", "content": "You are an agent in a text game. Reply with one action."},
    {"role": "user", "content": "You are in a kitchen. There is a fridge and a closed door to "
                                "the east. Your task: find the apple and eat it."},
]


def bench_chat(model_dir: str, tokens: int, reps: int) -> None:
    import torch

    from gym_agents.llm import SamplingParams
    from gym_agents.llm.hf import HFLLM

    llm = HFLLM(model_dir)
    sampling = SamplingParams(temperature=0, max_tokens=tokens)
    prompt = llm.codec.encode(MESSAGES)
    inputs = torch.tensor([prompt])
    plain = dict(max_new_tokens=tokens, do_sample=False, eos_token_id=llm.eos_ids,
                 pad_token_id=llm.pad_id)

    def direct():
        with torch.inference_mode():
            out = llm.model.generate(inputs, attention_mask=torch.ones_like(inputs), **plain)
        return out[0, len(prompt):].tolist()

    def chat():
        return llm.chat(MESSAGES, None, sampling).token_ids

    def chat_ids():  # what scaffolds do: pass the prompt ids they keep
        return llm.chat(MESSAGES, None, sampling, prompt_token_ids=prompt).token_ids

    cases = {"model.generate (direct)": direct, "LLM.chat(messages)": chat,
             "LLM.chat(prompt_token_ids)": chat_ids}
    reference = direct()
    for name, fn in cases.items():  # warm up, and check all sample the same ids
        if fn() != reference:
            raise SystemExit(f"{name} sampled other ids than model.generate")
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(reps):  # interleaved, so drift in machine load hits all alike
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    base = times["model.generate (direct)"]
    print(f"\n1. hf backend vs model.generate: prompt {len(prompt)} tokens, {len(reference)} "
          f"sampled (greedy), {reps} calls each, torch threads {torch.get_num_threads()}")
    print(f"   {'':<28} {'median':>9}          {'fastest':>9}")
    for name, ts in times.items():
        med, low = statistics.median(ts), min(ts)
        print(f"   {name:<28} {med * 1000:7.1f} ms {med / statistics.median(base):5.2f}x"
              f"   {low * 1000:7.1f} ms {low / min(base):5.2f}x", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_server(model_dir: str, tokens: int, requests: int, threads: int | None) -> None:
    import httpx
    import openai

    port = free_port()
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {}))
    proc = subprocess.Popen([sys.executable, "-m", "gym_agents.cli.main", "serve", "--model",
                             f"hf:{model_dir}", "--port", str(port), "--name", "m"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(base_url + "/models", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not come up") from None
                time.sleep(0.2)
        client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0)

        def one(i: int) -> int:
            r = client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=tokens,
                                               temperature=1.0, seed=i)
            return r.usage.completion_tokens

        one(0)  # warm up
        results = {}
        for clients in (1, 8, 1, 8):  # twice each, interleaved
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                sampled = sum(pool.map(one, range(requests)))
            results.setdefault(clients, []).append(sampled / (time.perf_counter() - start))
        print(f"\n2. gym-agents serve throughput: {requests} requests of {tokens} tokens, "
              "best of 2")
        one_client = max(results[1])
        for clients, rates in results.items():
            best = max(rates)
            print(f"   {clients} client(s)  {best:8.1f} tokens/s   {best / one_client:5.2f}x",
                  flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model folder (default: build the small tiny model)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens per completion")
    parser.add_argument("--reps", type=int, default=10, help="timed calls per case")
    parser.add_argument("--requests", type=int, default=16, help="server requests per setting")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model
        if model_dir is None:
            from gym_agents.llm.tiny import make_tiny

            model_dir = str(make_tiny(Path(tmp) / "small", size="small"))
        bench_chat(model_dir, args.tokens, args.reps)
        bench_server(model_dir, args.tokens, args.requests, args.threads)


if __name__ == "__main__":
    main()
