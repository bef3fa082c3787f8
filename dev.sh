#!/usr/bin/env bash
# Set up gym-agents in ./.venv (idempotent), then run the demo or the tests.
#   bash dev.sh demo   # oracle and random agents on a TextWorld suite, prints the tables
#   bash dev.sh test   # the whole test suite (everything but GPU tests; starts dockerd if needed)
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-demo}"; shift || true
case "$job" in demo|test|setup) ;; *) echo "usage: bash dev.sh demo|test|setup" >&2; exit 2 ;; esac

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "gym-agents needs Python >= 3.11 ($PY is $("$PY" -V 2>&1)); set PYTHON=..." >&2; exit 2; }

# System packages a bare Debian lacks: venv, and a compiler for jericho (TextWorld's engine).
need_apt=()
"$PY" -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v gcc >/dev/null || need_apt+=(build-essential python3-dev)
# cmake builds fast-downward (ALFWorld's planner); Java runs ScienceWorld's simulator.
command -v cmake >/dev/null || need_apt+=(cmake)
command -v java >/dev/null || need_apt+=(default-jre-headless)
# Debian's Chromium for the browser tests (viewer, web envs): Playwright drives it, never downloads one.
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo ">> apt-get install ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "please install: ${need_apt[*]} (as root: apt-get install ${need_apt[*]})" >&2; exit 2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo ">> creating .venv"
  "$PY" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.gym-agents-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo ">> installing gym-agents and its dev/test dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned, so pip takes the CPU build (a bare requirement pulls GBs of CUDA).
  .venv/bin/python -m pip install -q "torch==2.13.0"
  # fast-downward-textworld's build runs `python build.py`: let that be this venv's python.
  PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi

case "$job" in
  setup) echo "ready: .venv/bin/gym-agents --help" ;;
  demo)
    envs=(textworld/simple-v0 textworld/cooking-v0 textworld/coin_collector-v0 textworld/treasure_hunter-v0)
    env_flags=(); for e in "${envs[@]}"; do env_flags+=(--env "$e"); done
    echo ">> generating the TextWorld test games (cached after the first run)"
    .venv/bin/gym-agents textworld generate "${env_flags[@]}" --split test --seeds 0-9
    out="runs/demo-$(date +%Y%m%d-%H%M%S)"
    for agent in oracle random; do
      echo ">> eval: $agent agent"
      .venv/bin/gym-agents eval "${env_flags[@]}" --agent "$agent" --episodes 10 \
        --concurrency 4 --split test --out "$out/$agent" "$@"
    done ;;
  test)
    # Docker Engine, bubblewrap and the base image for the sandbox tests (root installs them).
    bash sandboxes/setup_engine.sh
    # The MLE family's image (Debian's numpy, pandas, scikit-learn); skipped once built.
    .venv/bin/gym-agents sandbox build mle
    .venv/bin/python -m pytest -m "not gpu" "$@" ;;
esac
