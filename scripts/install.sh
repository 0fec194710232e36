#!/usr/bin/env bash
# Install arctui into ./.venv (Debian 12 or any machine with Python >= 3.11).
# Usage: ./scripts/install.sh [--test]   (--test also installs the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "install: arctui needs Python >= 3.11 ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian's python3 ships venv separately.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv && "$PY" -m venv .venv
    else
      echo "install: '$PY -m venv' failed; install python3-venv" >&2
      exit 1
    fi
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
.venv/bin/python -m pip install -q -e ".${extra}"
# An editable install leaves arctui uncompiled; with PYTHONDONTWRITEBYTECODE set (common in
# containers and CI) every start would compile ~170 modules again (~25 ms of each start).
.venv/bin/python -m compileall -q arctui >/dev/null
echo "install: arctui $(.venv/bin/arctui --version | cut -d' ' -f2) in $(pwd)/.venv"
