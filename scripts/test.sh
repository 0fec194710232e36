#!/usr/bin/env bash
# The whole test suite, set up from nothing on Debian 12 as root:
# installs Postgres/Redis/busybox for the test stack, the Docker engine and compose v2,
# arctui with its test tools, then runs lint and every test (unit, UI, snapshots, and
# the integration tests against a real Docker engine, Postgres and Redis).
# Extra arguments go to pytest, e.g. ./scripts/test.sh -k services -x
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || missing+=(busybox-static)
command -v chromium >/dev/null || missing+=(chromium)  # the web mode test's browser
command -v tmux >/dev/null || missing+=(tmux)  # terminal-level tests (title, paste buffer)
[ -x /usr/bin/prometheus ] || missing+=(prometheus)  # the Metrics tab's real Prometheus
command -v docker-registry >/dev/null || missing+=(docker-registry)  # the image update tests
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)  # ssh:// engines (tests/integration/sshd.py)
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "test: need root to install ${missing[*]}" >&2; exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

./scripts/install.sh --test
PYTHON="$(pwd)/.venv/bin/python" ./scripts/ensure-docker.sh

.venv/bin/ruff check arctui tests benchmarks
.venv/bin/ruff format --check arctui tests benchmarks
.venv/bin/mypy arctui
.venv/bin/python -m pytest "$@"
echo "test: finished in $(( $(date +%s) - started )) s"
