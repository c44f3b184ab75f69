#!/usr/bin/env bash
# Set up everything this project needs on a Debian/Ubuntu machine: the OS sandbox (bubblewrap),
# git, a virtual environment in .venv, and this package with its dev tools. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v bwrap >/dev/null 2>&1 || ! command -v git >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq bubblewrap git >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to 2.13.0 in pyproject.toml: a range would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q -e ".[dev]"
echo "setup done: activate with 'source .venv/bin/activate' or call .venv/bin/oec"
