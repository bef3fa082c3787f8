#!/usr/bin/env bash
# Make this machine ready for sandboxes and their tests (idempotent; used by
# `dev.sh test` and CI): bubblewrap, debootstrap, the Docker Engine (started
# by hand when no daemon answers, as in containers without systemd) and the
# gym-agents/base image (debootstrap + docker import, cached once built).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
log=/var/log/gym-agents-dockerd.log

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo ">> apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "sandboxes need: ${need[*]} (as root: apt-get install ${need[*]});" \
         "or run the tests without them: pytest -m 'not docker'" >&2
    exit 2
  fi
fi

engine_up() { "$PY" -c 'import docker; docker.from_env(timeout=5).ping()' >/dev/null 2>&1; }

start_dockerd() {  # start_dockerd [flags...]: true once the API answers
  echo ">> starting dockerd $*"
  nohup dockerd "$@" >>"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 60); do
    engine_up && return 0
    kill -0 "$pid" 2>/dev/null || break  # it gave up: try the next configuration
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  return 1
}

if ! engine_up; then
  [ "$(id -u)" = 0 ] || { echo "no Docker Engine answers; start it (as root: dockerd &)" >&2; exit 2; }
  # Defaults first (overlay2, iptables). Kernels or nested containers without
  # overlayfs or netfilter get the slow but portable vfs driver, no iptables.
  start_dockerd \
    || start_dockerd --storage-driver=vfs \
    || start_dockerd --storage-driver=vfs --iptables=false --ip6tables=false \
    || { echo "dockerd did not start; see $log" >&2; tail -20 "$log" >&2; exit 1; }
fi

.venv/bin/gym-agents sandbox build base
