#!/usr/bin/env bash
# Build the two local images of the arctui test stack without a registry:
#   arctui-test/busybox:local   FROM scratch + the host's static busybox
#   arctui-test/hostroot:local  an almost empty root for the host's postgres and redis
# Idempotent and fast: each image carries a content hash label (Dockerfile, busybox binary,
# uids); an image whose label matches is kept, anything else is rebuilt.
# FORCE=1 rebuilds regardless. Needs a Docker engine (see scripts/ensure-docker.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
images="$here/images"
busybox_bin=${BUSYBOX_BIN:-/bin/busybox}
export DOCKER_BUILDKIT=0

die() { echo "build-images: $*" >&2; exit 1; }
[ -x "$busybox_bin" ] || die "$busybox_bin missing (apt-get install busybox-static)"
id -u postgres >/dev/null 2>&1 || die "no 'postgres' user on the host (apt-get install postgresql)"
id -u redis >/dev/null 2>&1 || die "no 'redis' user on the host (apt-get install redis-server)"
PG_UID=$(id -u postgres); PG_GID=$(id -g postgres)
REDIS_UID=$(id -u redis); REDIS_GID=$(id -g redis)

hash_of() { cat "$@" | sha256sum | cut -c1-16; }
current_hash() {
  docker image inspect -f '{{ index .Config.Labels "arctui-test.hash" }}' "$1" 2>/dev/null || true
}

# build IMAGE HASH CONTEXT_DIR [docker build args...]
build() {
  local image=$1 hash=$2 ctx=$3; shift 3
  if [ "${FORCE:-0}" != 1 ] && [ "$(current_hash "$image")" = "$hash" ]; then
    echo "build-images: $image up to date ($hash)"
    return
  fi
  echo "build-images: building $image ($hash)"
  docker build -q --label "arctui-test.hash=$hash" --label "arctui-test=1" \
    -t "$image" "$@" "$ctx" >/dev/null
}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# busybox: context = Dockerfile + a copy of the static binary (not committed).
mkdir -p "$ctx/busybox"
cp "$images/busybox/Dockerfile" "$ctx/busybox/"
cp "$busybox_bin" "$ctx/busybox/busybox"
bb_hash=$(hash_of "$ctx/busybox/Dockerfile" "$ctx/busybox/busybox")
build arctui-test/busybox:local "$bb_hash" "$ctx/busybox"

# hostroot: depends on the busybox image and on the host's uids.
hr_hash=$( { echo "$bb_hash $PG_UID:$PG_GID $REDIS_UID:$REDIS_GID"; cat "$images/hostroot/Dockerfile"; } \
  | sha256sum | cut -c1-16)
build arctui-test/hostroot:local "$hr_hash" "$images/hostroot" \
  --build-arg "PG_UID=$PG_UID" --build-arg "PG_GID=$PG_GID" \
  --build-arg "REDIS_UID=$REDIS_UID" --build-arg "REDIS_GID=$REDIS_GID"

# The hostile fixture service (issue 9) runs busybox under a tag that is its own secret.
docker tag arctui-test/busybox:local arctui-test/busybox:Hst1le-Pw-7c1d

# Drop the previous versions of our own images (dangling and labelled by this script only).
docker image prune -f --filter label=arctui-test=1 >/dev/null
